"""Awarding and reading points. Awards are idempotent: the ledger's unique key guards them."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite

from app.db import utcnow
from app.extensions import db
from app.points.models import PointsEntry

_INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def award_points(user_id: int, amount: int, reason: str, ref_type: str, ref_id: int) -> int | None:
    """Credit `amount` once for (reason, thing): the id of the new entry, or None if it was
    already awarded. One INSERT … ON CONFLICT DO NOTHING on the ledger's unique key, so
    concurrent awards of the same thing cannot double it and the hot paths (voting,
    publishing) pay one statement."""
    insert = _INSERTS[db.session.get_bind().dialect.name](PointsEntry)
    result = db.session.execute(
        insert.values(
            user_id=user_id,
            amount=amount,
            reason=reason,
            ref_type=ref_type,
            ref_id=ref_id,
            created_at=utcnow(),
        )
        .on_conflict_do_nothing(index_elements=["user_id", "reason", "ref_type", "ref_id"])
        .returning(PointsEntry.id)
    )
    return result.scalar_one_or_none()


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
