"""Writing and reading the decision log."""

from __future__ import annotations

import statistics
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, func, select

from app.auth.models import User
from app.db import utcnow
from app.extensions import db
from moderation.models import Decision


def log_decision(
    moderator: User,
    target_type: str,
    target_id: int,
    action: str,
    *,
    before: dict[str, Any],
    after: dict[str, Any],
    reason_code: str | None = None,
    note: str | None = None,
    merge_into_id: int | None = None,
    item_created_at: datetime | None = None,
) -> Decision:
    entry = Decision(
        moderator_id=moderator.id,
        target_type=target_type,
        target_id=target_id,
        action=action,
        reason_code=reason_code,
        note=note,
        merge_into_id=merge_into_id,
        before=before,
        after=after,
        item_created_at=item_created_at,
    )
    db.session.add(entry)
    db.session.flush()
    return entry


def decisions_query(
    *,
    target_type: str | None = None,
    target_id: int | None = None,
    moderator_id: int | None = None,
    action: str | None = None,
) -> Select[tuple[Decision]]:
    stmt = select(Decision).order_by(Decision.created_at.desc(), Decision.id.desc())
    if target_type:
        stmt = stmt.where(Decision.target_type == target_type)
    if target_id is not None:
        stmt = stmt.where(Decision.target_id == target_id)
    if moderator_id is not None:
        stmt = stmt.where(Decision.moderator_id == moderator_id)
    if action:
        stmt = stmt.where(Decision.action == action)
    return stmt


def median_seconds_to_decision(since: datetime | None = None, limit: int = 2000) -> float | None:
    """Median time from an item being written to its first decision, over recent decisions."""
    since = since or utcnow() - timedelta(days=30)
    rows = db.session.execute(
        select(Decision.created_at, Decision.item_created_at)
        .where(Decision.item_created_at.is_not(None), Decision.created_at >= since)
        .order_by(Decision.created_at.desc())
        .limit(limit)
    ).all()
    waits = [(decided - written).total_seconds() for decided, written in rows if written]
    return statistics.median(waits) if waits else None


def count_decisions_since(since: datetime) -> int:
    return (
        db.session.scalar(
            select(func.count()).select_from(Decision).where(Decision.created_at >= since)
        )
        or 0
    )


def decisions_per_moderator(since: datetime) -> dict[int, int]:
    rows = db.session.execute(
        select(Decision.moderator_id, func.count())
        .where(Decision.created_at >= since)
        .group_by(Decision.moderator_id)
    ).all()
    return {int(moderator_id): int(count) for moderator_id, count in rows}
