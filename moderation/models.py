"""Moderation's own records: reason codes, the append-only decision log, stored findings."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.auth.models import User
from app.db import utcnow
from app.extensions import db


class ModerationReason(db.Model):
    """A reason a decision may cite. `project_id` null: offered in every project."""

    __tablename__ = "moderation_reasons"
    __table_args__ = (UniqueConstraint("project_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(default=0)


class Decision(db.Model):
    """One moderation decision: who, when, what, why, and the state before and after.

    Append-only: database triggers (see the migration) refuse UPDATE and DELETE, so the
    log cannot be rewritten through the app or by hand with plain SQL.
    """

    __tablename__ = "moderation_decisions"
    __table_args__ = (
        Index("ix_moderation_decisions_target", "target_type", "target_id"),
        Index("ix_moderation_decisions_created", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    moderator_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    target_type: Mapped[str] = mapped_column(String(20))  # idea, comment, user
    target_id: Mapped[int]
    action: Mapped[str] = mapped_column(String(20))
    reason_code: Mapped[str | None] = mapped_column(String(40))
    note: Mapped[str | None] = mapped_column(Text)
    merge_into_id: Mapped[int | None]
    before: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    after: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # When the decided item was written, so the log can tell how long decisions take.
    item_created_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    moderator: Mapped[User] = relationship(lazy="joined")


class StoredFinding(db.Model):
    """What the automatic checks found in an item when it was written."""

    __tablename__ = "moderation_findings"
    __table_args__ = (Index("ix_moderation_findings_target", "target_type", "target_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    target_type: Mapped[str] = mapped_column(String(20))
    target_id: Mapped[int]
    kind: Mapped[str] = mapped_column(String(20))
    detail: Mapped[str] = mapped_column(String(40))
    excerpt: Mapped[str] = mapped_column(String(200), default="")
    ref_id: Mapped[int | None]
    score: Mapped[float | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"kind": self.kind, "detail": self.detail}
        if self.excerpt:
            data["excerpt"] = self.excerpt
        if self.ref_id is not None:
            data["ref_id"] = self.ref_id
        if self.score is not None:
            data["score"] = round(self.score, 3)
        return data
