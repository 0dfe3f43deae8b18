"""The moderation queue: pending and flagged ideas and comments, oldest first.

An item enters the queue when it is written as pending (pre-moderation, or held because
the automatic checks found something) or when someone flags it; its place is the earlier
of the two moments. Flags stay open until a decision on the item resolves them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, literal, select, union_all

from app.extensions import db
from ideas.models import Comment, CommentStatus, Flag, FlagTarget, Idea, IdeaStatus
from moderation.models import StoredFinding


@dataclass
class QueueItem:
    target_type: str
    target_id: int
    project_id: int
    queued_at: datetime
    status: str
    title: str | None
    body: str
    author_id: int | None
    author_name: str
    created_at: datetime
    idea_id: int
    flags: list[dict[str, Any]] = field(default_factory=list)
    findings: list[dict[str, Any]] = field(default_factory=list)

    @property
    def why(self) -> list[str]:
        reasons = ["pending"] if self.status == "pending" else []
        return reasons + (["flagged"] if self.flags else [])


def _entries(project_id: int | None, kind: str | None) -> Any:
    parts = []
    if kind in (None, "idea"):
        pending = select(
            literal("idea").label("target_type"),
            Idea.id.label("target_id"),
            Idea.project_id.label("project_id"),
            Idea.created_at.label("queued_at"),
        ).where(Idea.status == IdeaStatus.PENDING)
        flagged = (
            select(
                literal("idea").label("target_type"),
                Idea.id.label("target_id"),
                Idea.project_id.label("project_id"),
                func.min(Flag.created_at).label("queued_at"),
            )
            .join(Idea, (Flag.target_type == FlagTarget.IDEA) & (Flag.target_id == Idea.id))
            .where(Flag.resolved_at.is_(None))
            .group_by(Idea.id, Idea.project_id)
        )
        if project_id is not None:
            pending = pending.where(Idea.project_id == project_id)
            flagged = flagged.where(Idea.project_id == project_id)
        parts += [pending, flagged]
    if kind in (None, "comment"):
        pending_c = (
            select(
                literal("comment").label("target_type"),
                Comment.id.label("target_id"),
                Idea.project_id.label("project_id"),
                Comment.created_at.label("queued_at"),
            )
            .join(Idea, Comment.idea_id == Idea.id)
            .where(Comment.status == CommentStatus.PENDING)
        )
        flagged_c = (
            select(
                literal("comment").label("target_type"),
                Comment.id.label("target_id"),
                Idea.project_id.label("project_id"),
                func.min(Flag.created_at).label("queued_at"),
            )
            .join(
                Comment, (Flag.target_type == FlagTarget.COMMENT) & (Flag.target_id == Comment.id)
            )
            .join(Idea, Comment.idea_id == Idea.id)
            .where(Flag.resolved_at.is_(None))
            .group_by(Comment.id, Idea.project_id)
        )
        if project_id is not None:
            pending_c = pending_c.where(Idea.project_id == project_id)
            flagged_c = flagged_c.where(Idea.project_id == project_id)
        parts += [pending_c, flagged_c]
    entries = union_all(*parts).subquery()
    return (
        select(
            entries.c.target_type,
            entries.c.target_id,
            entries.c.project_id,
            func.min(entries.c.queued_at).label("queued_at"),
        )
        .group_by(entries.c.target_type, entries.c.target_id, entries.c.project_id)
        .subquery()
    )


def count_waiting(project_id: int | None = None, kind: str | None = None) -> int:
    queue = _entries(project_id, kind)
    return db.session.scalar(select(func.count()).select_from(queue)) or 0


def list_queue(
    *, project_id: int | None = None, kind: str | None = None, page: int = 1, per_page: int = 20
) -> tuple[list[QueueItem], int]:
    """One page of the queue, oldest first, with each item's flags and findings."""
    queue = _entries(project_id, kind)
    total = db.session.scalar(select(func.count()).select_from(queue)) or 0
    rows = db.session.execute(
        select(queue)
        .order_by(queue.c.queued_at, queue.c.target_type, queue.c.target_id)
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    return [_load(row) for row in rows], total


def _load(row: Any) -> QueueItem:
    if row.target_type == "idea":
        idea = db.session.get_one(Idea, row.target_id)
        item = QueueItem(
            "idea",
            idea.id,
            idea.project_id,
            row.queued_at,
            idea.status.value,
            idea.title,
            idea.body,
            idea.author_id,
            idea.author_display_name,
            idea.created_at,
            idea.id,
        )
    else:
        comment = db.session.get_one(Comment, row.target_id)
        item = QueueItem(
            "comment",
            comment.id,
            row.project_id,
            row.queued_at,
            comment.status.value,
            None,
            comment.body,
            comment.author_id,
            comment.author.display_name,
            comment.created_at,
            comment.idea_id,
        )
    item.flags = open_flags(item.target_type, item.target_id)
    item.findings = [finding.as_dict() for finding in findings_of(item.target_type, item.target_id)]
    return item


def open_flags(target_type: str, target_id: int) -> list[dict[str, Any]]:
    rows = db.session.execute(
        select(Flag.reason, func.count())
        .where(
            Flag.target_type == FlagTarget(target_type),
            Flag.target_id == target_id,
            Flag.resolved_at.is_(None),
        )
        .group_by(Flag.reason)
        .order_by(func.count().desc())
    ).all()
    return [{"reason": reason, "count": int(count)} for reason, count in rows]


def findings_of(target_type: str, target_id: int) -> list[StoredFinding]:
    return list(
        db.session.scalars(
            select(StoredFinding)
            .where(StoredFinding.target_type == target_type, StoredFinding.target_id == target_id)
            .order_by(StoredFinding.id)
        )
    )
