"""Crowdsourcing projects, their sections, ideas with a status history, supports, comments, flags.

Counts that lists sort by (`support_count`, `comment_count`) are kept on the idea itself and
changed in the same transaction as the rows they count, so sorting thousands of ideas by
support needs no aggregate. `normalized_text` (lemmas from `ml`) is written with the idea and
feeds full-text search and the similar-ideas index.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.auth.models import User
from app.db import str_enum, utcnow
from app.extensions import db


class ProjectStage(enum.StrEnum):
    """Stages in order; the stage decides what residents may do (see `ideas.rules`)."""

    DRAFT = "draft"
    IDEAS = "ideas"
    RATING = "rating"
    EXPERT_REVIEW = "expert_review"
    RESULTS = "results"
    CLOSED = "closed"


class ModerationMode(enum.StrEnum):
    PRE = "pre"  # ideas wait as pending until a moderator approves them
    POST = "post"  # ideas are published at once; moderators act afterwards


class IdeaStatus(enum.StrEnum):
    PENDING = "pending"
    PUBLISHED = "published"
    REJECTED = "rejected"
    HIDDEN = "hidden"
    MERGED = "merged"
    SELECTED = "selected"


class CommentStatus(enum.StrEnum):
    PUBLISHED = "published"
    PENDING = "pending"
    HIDDEN = "hidden"


class FlagTarget(enum.StrEnum):
    IDEA = "idea"
    COMMENT = "comment"


class Project(db.Model):
    __tablename__ = "projects"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    stage: Mapped[ProjectStage] = mapped_column(str_enum(ProjectStage), default=ProjectStage.DRAFT)
    moderation: Mapped[ModerationMode] = mapped_column(
        str_enum(ModerationMode, 10), default=ModerationMode.POST
    )
    starts_at: Mapped[datetime | None]
    ends_at: Mapped[datetime | None]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    sections: Mapped[list[Section]] = relationship(
        back_populates="project",
        order_by="Section.position, Section.id",
        cascade="all, delete-orphan",
        lazy="selectin",
    )

    def __repr__(self) -> str:
        return f"<Project {self.id} {self.stage}>"


class Participant(db.Model):
    """Someone who took part in a project (wrote, supported or commented), counted once.

    Kept as rows so that the project's participant count is one indexed count instead of a
    union over every idea, support and comment.
    """

    __tablename__ = "project_participants"

    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Section(db.Model):
    """A topic of a project («Очереди и запись», «Доступная среда», …)."""

    __tablename__ = "sections"
    __table_args__ = (UniqueConstraint("project_id", "title"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(120))
    position: Mapped[int] = mapped_column(default=0)

    project: Mapped[Project] = relationship(back_populates="sections")


class Idea(db.Model):
    __tablename__ = "ideas"
    __table_args__ = (
        # Lists filter on project and status and sort by id, supports or comments; the
        # comments index also covers the project's totals (count and both sums), and the
        # updated one the similar-ideas signature, so neither reads the table.
        Index("ix_ideas_project_status_updated", "project_id", "status", "updated_at"),
        Index("ix_ideas_project_status_supports", "project_id", "status", "support_count"),
        Index(
            "ix_ideas_project_status_comments",
            "project_id",
            "status",
            "comment_count",
            "support_count",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    section_id: Mapped[int] = mapped_column(ForeignKey("sections.id"), index=True)
    # Null for ideas imported from elsewhere (their author's name is kept in `author_name`).
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    author_name: Mapped[str | None] = mapped_column(String(80))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    normalized_text: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[IdeaStatus] = mapped_column(str_enum(IdeaStatus), default=IdeaStatus.PENDING)
    support_count: Mapped[int] = mapped_column(default=0)
    comment_count: Mapped[int] = mapped_column(default=0)
    merged_into_id: Mapped[int | None] = mapped_column(
        ForeignKey("ideas.id", ondelete="SET NULL"), index=True
    )
    source: Mapped[str] = mapped_column(String(20), default="site")  # site | import | demo
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    published_at: Mapped[datetime | None]

    project: Mapped[Project] = relationship()
    section: Mapped[Section] = relationship(lazy="joined")
    author: Mapped[User | None] = relationship(lazy="joined")
    merged_into: Mapped[Idea | None] = relationship(remote_side=[id])

    @property
    def author_display_name(self) -> str:
        if self.author is not None:
            return self.author.display_name
        return self.author_name or ""

    def __repr__(self) -> str:
        return f"<Idea {self.id} {self.status}>"


class IdeaStatusChange(db.Model):
    """One step of an idea's history: who moved it from which status to which, and why."""

    __tablename__ = "idea_status_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    idea_id: Mapped[int] = mapped_column(ForeignKey("ideas.id", ondelete="CASCADE"), index=True)
    from_status: Mapped[IdeaStatus | None] = mapped_column(str_enum(IdeaStatus))
    to_status: Mapped[IdeaStatus] = mapped_column(str_enum(IdeaStatus))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    note: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    actor: Mapped[User | None] = relationship()


class Support(db.Model):
    __tablename__ = "supports"
    __table_args__ = (UniqueConstraint("idea_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    idea_id: Mapped[int] = mapped_column(ForeignKey("ideas.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Moved here from a duplicate by a merge: its owner was told they may withdraw it, and
    # may until the idea is selected, whatever the stage (`ideas.services.withdraw_support`).
    moved_by_merge: Mapped[bool] = mapped_column(default=False, server_default=false())


class Comment(db.Model):
    __tablename__ = "comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    idea_id: Mapped[int] = mapped_column(ForeignKey("ideas.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("comments.id", ondelete="CASCADE"), index=True
    )
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[CommentStatus] = mapped_column(
        str_enum(CommentStatus), default=CommentStatus.PUBLISHED
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    author: Mapped[User] = relationship(lazy="joined")
    idea: Mapped[Idea] = relationship()


class Flag(db.Model):
    """A report by one person about one idea or comment; moderation reads them."""

    __tablename__ = "flags"
    __table_args__ = (
        UniqueConstraint("target_type", "target_id", "user_id"),
        Index("ix_flags_target", "target_type", "target_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    target_type: Mapped[FlagTarget] = mapped_column(str_enum(FlagTarget, 10))
    target_id: Mapped[int]
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    reason: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None]


__all__ = [
    "Comment",
    "CommentStatus",
    "Flag",
    "FlagTarget",
    "Idea",
    "IdeaStatus",
    "IdeaStatusChange",
    "ModerationMode",
    "Participant",
    "Project",
    "ProjectStage",
    "Section",
    "Support",
]
