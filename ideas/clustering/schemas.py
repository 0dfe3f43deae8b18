"""JSON shapes of the clustering API (API.md: Clustering for expert selection)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from app.api import StrictModel
from ideas.clustering.models import ClusteringRun


class ProjectPath(BaseModel):
    project_id: int = Field(ge=1)


class RunPath(BaseModel):
    run_id: int = Field(ge=1)


class ClusterPath(BaseModel):
    run_id: int = Field(ge=1)
    cluster_id: int = Field(ge=1)


class StartIn(StrictModel):
    k: int | None = Field(None, description="Number of clusters; null chooses automatically")
    seed: int = Field(0, description="Random seed; equal inputs and seeds give equal runs")


class StartedOut(BaseModel):
    id: int
    status: str


class RenameIn(StrictModel):
    label: str | None = Field(
        None, max_length=1000, description="Empty restores the automatic label"
    )


class ClusterOut(BaseModel):
    id: int
    label: str
    auto_label: str
    terms: list[str]
    size: int
    support: int
    representative_idea_id: int | None
    representative_idea_ids: list[int]
    idea_ids: list[int]


class CoverageOut(BaseModel):
    seen: int
    placed: int
    complete: bool
    published_now: int
    missing_now: int


class RunOut(BaseModel):
    id: int
    project_id: int
    status: str
    progress: float
    message: str | None
    error: str | None
    k: int | None
    seed: int
    n_clusters: int | None
    idea_count: int | None
    inputs_hash: str | None
    software: dict[str, str] | None
    duration_seconds: float | None
    created_at: datetime
    finished_at: datetime | None
    clusters: list[ClusterOut]
    other_idea_ids: list[int]
    duplicates: list[list[int]]
    coverage: CoverageOut | None


def run_out(
    run: ClusteringRun,
    members: dict[int | None, list[int]],
    duplicates: list[list[int]],
    coverage: CoverageOut | None,
) -> RunOut:
    return RunOut(
        id=run.id,
        project_id=run.project_id,
        status=run.status.value,
        progress=round(run.progress, 4),
        message=run.progress_message,
        error=run.error,
        k=run.requested_k,
        seed=run.seed,
        n_clusters=run.n_clusters,
        idea_count=run.idea_count,
        inputs_hash=run.inputs_hash,
        software=run.software,
        duration_seconds=run.duration_seconds,
        created_at=run.created_at,
        finished_at=run.finished_at,
        clusters=[
            ClusterOut(
                id=c.id,
                label=c.display_label,
                auto_label=c.label,
                terms=c.terms,
                size=c.size,
                support=c.support,
                representative_idea_id=c.representative_idea_id,
                representative_idea_ids=c.representative_ids,
                idea_ids=members.get(c.id, []),
            )
            for c in run.clusters
        ],
        other_idea_ids=members.get(None, []),
        duplicates=duplicates,
        coverage=coverage,
    )
