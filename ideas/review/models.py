"""Expert review and results: rubric, reviews, conflicts, implementation, publication."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.auth.models import User
from app.db import str_enum, utcnow
from app.extensions import db


class ReviewSettings(db.Model):
    """Per-project options staff choose for the review."""

    __tablename__ = "review_settings"

    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True
    )
    # Experts see others' scores of an idea only once they have scored it themselves.
    blind: Mapped[bool] = mapped_column(default=True)
    # Experts only review ideas of the sections they are assigned to (when any are).
    assignments_required: Mapped[bool] = mapped_column(default=False)


class Criterion(db.Model):
    __tablename__ = "review_criteria"
    __table_args__ = (UniqueConstraint("project_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(200))
    weight: Mapped[float] = mapped_column(Float, default=1.0)
    position: Mapped[int] = mapped_column(default=0)


class ExpertAssignment(db.Model):
    """Which expert reviews which section of a project (no row: the whole project)."""

    __tablename__ = "expert_assignments"
    __table_args__ = (UniqueConstraint("project_id", "expert_id", "section_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    expert_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    section_id: Mapped[int | None] = mapped_column(ForeignKey("sections.id", ondelete="CASCADE"))

    expert: Mapped[User] = relationship(lazy="joined")


class Review(db.Model):
    __tablename__ = "reviews"
    __table_args__ = (UniqueConstraint("idea_id", "expert_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    idea_id: Mapped[int] = mapped_column(ForeignKey("ideas.id", ondelete="CASCADE"), index=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    scores: Mapped[dict[str, int]] = mapped_column(JSON)
    weighted: Mapped[float] = mapped_column(Float)
    comment: Mapped[str | None] = mapped_column(Text)
    shortlist: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    expert: Mapped[User] = relationship(lazy="joined")


class ConflictOfInterest(db.Model):
    """An expert's declaration that they should not review an idea."""

    __tablename__ = "review_conflicts"
    __table_args__ = (UniqueConstraint("idea_id", "expert_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    idea_id: Mapped[int] = mapped_column(ForeignKey("ideas.id", ondelete="CASCADE"))
    expert_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    note: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ClusterOpening(db.Model):
    """That an expert opened a cluster of a run: what the coverage of clusters counts."""

    __tablename__ = "cluster_openings"

    cluster_id: Mapped[int] = mapped_column(
        ForeignKey("clusters.id", ondelete="CASCADE"), primary_key=True
    )
    expert_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)


class ImplementationStatus(enum.StrEnum):
    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    DECLINED = "declined"


class Implementation(db.Model):
    """Where the city stands with a selected idea, as Decidim's accountability shows it."""

    __tablename__ = "implementations"

    idea_id: Mapped[int] = mapped_column(
        ForeignKey("ideas.id", ondelete="CASCADE"), primary_key=True
    )
    status: Mapped[ImplementationStatus] = mapped_column(
        str_enum(ImplementationStatus), default=ImplementationStatus.PLANNED
    )
    progress: Mapped[int] = mapped_column(default=0)
    note: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    history: Mapped[list[ImplementationUpdate]] = relationship(
        order_by="ImplementationUpdate.created_at, ImplementationUpdate.id", lazy="selectin"
    )


class ImplementationUpdate(db.Model):
    __tablename__ = "implementation_updates"
    __table_args__ = (Index("ix_implementation_updates_idea", "idea_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    idea_id: Mapped[int] = mapped_column(ForeignKey("implementations.idea_id", ondelete="CASCADE"))
    status: Mapped[ImplementationStatus] = mapped_column(str_enum(ImplementationStatus))
    progress: Mapped[int]
    note: Mapped[str | None] = mapped_column(Text)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Publication(db.Model):
    """The project's results were published: the public results page and exports open."""

    __tablename__ = "result_publications"

    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True
    )
    published_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
