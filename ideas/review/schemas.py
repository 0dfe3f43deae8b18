"""JSON shapes of the expert review and results API."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from app.api import StrictModel
from app.db import MAX_ID
from ideas.review.models import Criterion, Review


class ProjectPath(BaseModel):
    project_id: int = Field(ge=1)


class IdeaPath(BaseModel):
    idea_id: int = Field(ge=1)


class CriterionIO(BaseModel):
    code: str = Field(max_length=40)
    title: str = Field(max_length=200)
    weight: float = 1.0

    @classmethod
    def of(cls, criterion: Criterion) -> CriterionIO:
        return cls(code=criterion.code, title=criterion.title, weight=criterion.weight)


class RubricOut(BaseModel):
    criteria: list[CriterionIO]
    score_min: int
    score_max: int
    blind: bool
    assignments_required: bool


class RubricIn(StrictModel):
    criteria: list[dict[str, Any]] | None = Field(None, max_length=20)
    blind: bool | None = None
    assignments_required: bool | None = None


class ReviewIn(StrictModel):
    scores: dict[str, Any] = Field(description="criterion code → 1..5")
    comment: str | None = Field(None, max_length=10000)
    shortlist: bool = False


class ReviewOut(BaseModel):
    idea_id: int
    expert_id: int
    expert: str
    scores: dict[str, int]
    weighted: float
    comment: str | None
    shortlist: bool
    updated_at: datetime

    @classmethod
    def of(cls, review: Review) -> ReviewOut:
        return cls(
            idea_id=review.idea_id,
            expert_id=review.expert_id,
            expert=review.expert.display_name,
            scores=review.scores,
            weighted=round(review.weighted, 3),
            comment=review.comment,
            shortlist=review.shortlist,
            updated_at=review.updated_at,
        )


class ReviewsOut(BaseModel):
    items: list[ReviewOut]
    hidden_until_you_score: bool


class ConflictIn(StrictModel):
    note: str | None = Field(None, max_length=1000)


class ConflictOut(BaseModel):
    idea_id: int
    expert_id: int


class AssignmentIO(BaseModel):
    expert_id: int = Field(ge=1, le=MAX_ID)
    section_id: int | None = Field(None, ge=1, le=MAX_ID)


class AssignmentsIn(StrictModel):
    assignments: list[AssignmentIO] = Field(max_length=1000)


class AssignmentsOut(BaseModel):
    items: list[AssignmentIO]


class ShortlistItem(BaseModel):
    idea_id: int
    title: str
    mean: float
    spread: float
    reviews: int
    shortlisted_by: int
    status: str


class UnreviewedItem(BaseModel):
    idea_id: int
    title: str
    supports: int


class UnopenedCluster(BaseModel):
    id: int
    label: str
    size: int


class ShortlistOut(BaseModel):
    items: list[ShortlistItem]
    agreement: float | None = Field(description="Krippendorff's alpha (interval) over all reviews")
    experts: int
    unreviewed_count: int
    unreviewed: list[UnreviewedItem]
    clusters_total: int
    clusters_unopened: list[UnopenedCluster]


class SelectionIn(StrictModel):
    idea_ids: list[Any] = Field(max_length=1000)


class SelectionOut(BaseModel):
    selected: list[int]


class ImplementationIn(StrictModel):
    status: Literal["planned", "in_progress", "done", "declined"]
    progress: int = Field(ge=0, le=100)
    note: str | None = Field(None, max_length=10000)


class ImplementationOut(BaseModel):
    idea_id: int
    status: str
    progress: int
    note: str | None
    history: list[dict[str, Any]]


class PublishedOut(BaseModel):
    project_id: int
    published_at: datetime


class ResultsOut(BaseModel):
    project_id: int
    title: str
    published_at: str
    participation: dict[str, Any]
    topics: list[dict[str, Any]]
    selected: list[dict[str, Any]]


class ExportQuery(BaseModel):
    format: Literal["csv", "json"] = "json"
