"""JSON shapes of the moderation API."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from app.api import PageQuery, StrictModel
from app.db import MAX_ID
from moderation.models import Decision, ModerationReason
from moderation.queue import QueueItem


class ReasonOut(BaseModel):
    code: str
    title: str

    @classmethod
    def of(cls, reason: ModerationReason) -> ReasonOut:
        return cls(code=reason.code, title=reason.title)


class ReasonsQuery(BaseModel):
    project_id: int | None = Field(None, ge=1, le=MAX_ID)


class ReasonsOut(BaseModel):
    items: list[ReasonOut]


class LogQuery(PageQuery):
    target_type: str | None = Field(None, max_length=20)
    target_id: int | None = Field(None, ge=1, le=MAX_ID)
    moderator_id: int | None = Field(None, ge=1, le=MAX_ID)
    action: str | None = Field(None, max_length=20)


class DecisionOut(BaseModel):
    id: int
    moderator_id: int
    moderator: str
    target_type: str
    target_id: int
    action: str
    reason: str | None
    note: str | None
    merge_into: int | None
    before: dict[str, Any]
    after: dict[str, Any]
    created_at: datetime

    @classmethod
    def of(cls, decision: Decision) -> DecisionOut:
        return cls(
            id=decision.id,
            moderator_id=decision.moderator_id,
            moderator=decision.moderator.display_name,
            target_type=decision.target_type,
            target_id=decision.target_id,
            action=decision.action,
            reason=decision.reason_code,
            note=decision.note,
            merge_into=decision.merge_into_id,
            before=decision.before,
            after=decision.after,
            created_at=decision.created_at,
        )


class DecisionPage(BaseModel):
    items: list[DecisionOut]
    page: int
    per_page: int
    total: int


class UserPath(BaseModel):
    user_id: int = Field(ge=1, le=MAX_ID)


class BlockIn(StrictModel):
    reason: str | None = Field(None, max_length=40)
    note: str | None = Field(None, max_length=2000)


class BlockOut(BaseModel):
    user_id: int
    blocked: bool
    decision_id: int


class FlaggedUserOut(BaseModel):
    user_id: int
    display_name: str
    flaggers: int
    blocked: bool


class WorkloadOut(BaseModel):
    waiting: dict[str, int]
    median_seconds_to_decision: float | None
    decisions_today: int
    flagged_users: list[FlaggedUserOut]


class QueueQuery(PageQuery):
    project_id: int | None = Field(None, ge=1, le=MAX_ID)
    kind: Literal["idea", "comment"] | None = None


class QueueItemOut(BaseModel):
    target_type: str
    target_id: int
    project_id: int
    idea_id: int
    status: str
    why: list[str]
    queued_at: datetime
    created_at: datetime
    title: str | None
    body: str
    author_id: int | None
    author: str
    flags: list[dict[str, Any]]
    findings: list[dict[str, Any]]

    @classmethod
    def of(cls, item: QueueItem) -> QueueItemOut:
        return cls(
            target_type=item.target_type,
            target_id=item.target_id,
            project_id=item.project_id,
            idea_id=item.idea_id,
            status=item.status,
            why=item.why,
            queued_at=item.queued_at,
            created_at=item.created_at,
            title=item.title,
            body=item.body,
            author_id=item.author_id,
            author=item.author_name,
            flags=item.flags,
            findings=item.findings,
        )


class QueuePage(BaseModel):
    items: list[QueueItemOut]
    page: int
    per_page: int
    total: int


class DecisionIn(StrictModel):
    target_type: Literal["idea", "comment"]
    target_id: int = Field(ge=1, le=MAX_ID)
    action: Literal["approve", "reject", "merge", "hide", "restore"]
    reason: str | None = Field(None, max_length=40)
    note: str | None = Field(None, max_length=2000)
    merge_into: int | None = Field(None, ge=1, le=MAX_ID)
    expected_status: str | None = Field(
        None, max_length=20, description="The status you saw; 409 if the item has changed since"
    )
