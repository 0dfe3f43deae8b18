"""The points ledger: append-only entries, one per user and reason and thing rewarded."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db import utcnow
from app.extensions import db


class PointsEntry(db.Model):
    __tablename__ = "points_entries"
    __table_args__ = (UniqueConstraint("user_id", "reason", "ref_type", "ref_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    amount: Mapped[int]
    reason: Mapped[str] = mapped_column(String(40))
    ref_type: Mapped[str] = mapped_column(String(40))
    ref_id: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
