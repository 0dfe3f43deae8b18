"""Awarding and reading points. Awards are idempotent: the ledger's unique key guards them."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.points.models import PointsEntry


def award_points(
    user_id: int, amount: int, reason: str, ref_type: str, ref_id: int
) -> PointsEntry | None:
    """Credit `amount` once for (reason, thing); a repeated award returns None and adds nothing."""
    existing = db.session.scalar(
        select(PointsEntry.id).where(
            PointsEntry.user_id == user_id,
            PointsEntry.reason == reason,
            PointsEntry.ref_type == ref_type,
            PointsEntry.ref_id == ref_id,
        )
    )
    if existing is not None:
        return None
    entry = PointsEntry(
        user_id=user_id, amount=amount, reason=reason, ref_type=ref_type, ref_id=ref_id
    )
    try:
        with db.session.begin_nested():
            db.session.add(entry)
    except IntegrityError:  # a concurrent award of the same thing won the race
        return None
    return entry


def get_balance(user_id: int) -> int:
    return (
        db.session.scalar(
            select(func.coalesce(func.sum(PointsEntry.amount), 0)).where(
                PointsEntry.user_id == user_id
            )
        )
        or 0
    )


def list_entries(user_id: int, limit: int = 50) -> list[PointsEntry]:
    return list(
        db.session.scalars(
            select(PointsEntry)
            .where(PointsEntry.user_id == user_id)
            .order_by(PointsEntry.created_at.desc(), PointsEntry.id.desc())
            .limit(limit)
        )
    )
