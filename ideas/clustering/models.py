"""Clustering runs over a project's published ideas, kept so any run can be reproduced.

A run records its inputs (which ideas, a hash of their ids and normalized texts), its
parameters and seed, the software versions and the timing; its results are the clusters,
one membership row per idea (cluster or «other»), and the near-duplicate groups.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import str_enum, utcnow
from app.extensions import db
from app.jobs.models import Job


class RunStatus(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class ClusteringRun(db.Model):
    __tablename__ = "clustering_runs"
    __table_args__ = (Index("ix_clustering_runs_project_created", "project_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    job_id: Mapped[str | None] = mapped_column(ForeignKey("jobs.id", ondelete="SET NULL"))
    status: Mapped[RunStatus] = mapped_column(
        str_enum(RunStatus),
        default=RunStatus.QUEUED,
    )
    requested_k: Mapped[int | None]
    seed: Mapped[int] = mapped_column(default=0)
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    idea_count: Mapped[int | None]
    inputs_hash: Mapped[str | None] = mapped_column(String(64))
    software: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    n_clusters: Mapped[int | None]
    other_count: Mapped[int | None]
    duration_seconds: Mapped[float | None]
    error: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]

    job: Mapped[Job | None] = relationship()
    clusters: Mapped[list[Cluster]] = relationship(
        back_populates="run", order_by="Cluster.support.desc(), Cluster.id", lazy="selectin"
    )

    @property
    def progress(self) -> float:
        if self.status is RunStatus.DONE:
            return 1.0
        return float(self.job.progress) if self.job is not None else 0.0

    @property
    def progress_message(self) -> str | None:
        return self.job.message if self.job is not None else None


class Cluster(db.Model):
    __tablename__ = "clusters"
    __table_args__ = (Index("ix_clusters_run", "run_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("clustering_runs.id", ondelete="CASCADE"))
    number: Mapped[int]  # the engine's cluster number within the run
    label: Mapped[str] = mapped_column(String(300))
    custom_label: Mapped[str | None] = mapped_column(String(200))  # a person's renaming
    terms: Mapped[list[str]] = mapped_column(JSON, default=list)
    size: Mapped[int]
    support: Mapped[int]
    representative_idea_id: Mapped[int | None] = mapped_column(
        ForeignKey("ideas.id", ondelete="SET NULL")
    )
    representative_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    x: Mapped[float] = mapped_column(default=0.0)
    y: Mapped[float] = mapped_column(default=0.0)

    run: Mapped[ClusteringRun] = relationship(back_populates="clusters")

    @property
    def display_label(self) -> str:
        return self.custom_label or self.label


class ClusterMember(db.Model):
    """Where one idea landed in one run: a cluster, or «other» (cluster_id null)."""

    __tablename__ = "cluster_members"
    __table_args__ = (Index("ix_cluster_members_cluster", "cluster_id"),)

    run_id: Mapped[int] = mapped_column(
        ForeignKey("clustering_runs.id", ondelete="CASCADE"), primary_key=True
    )
    idea_id: Mapped[int] = mapped_column(
        ForeignKey("ideas.id", ondelete="CASCADE"), primary_key=True
    )
    cluster_id: Mapped[int | None] = mapped_column(ForeignKey("clusters.id", ondelete="CASCADE"))
    x: Mapped[float] = mapped_column(default=0.0)
    y: Mapped[float] = mapped_column(default=0.0)


class DuplicateGroup(db.Model):
    __tablename__ = "duplicate_groups"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(
        ForeignKey("clustering_runs.id", ondelete="CASCADE"), index=True
    )
    idea_ids: Mapped[list[int]] = mapped_column(JSON)
