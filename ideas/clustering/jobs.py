"""The background job that performs a clustering run."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import Connection, insert, select, update

from app.db import utcnow
from app.extensions import db
from app.jobs import JobContext, register_job
from ideas.clustering import engine
from ideas.clustering.models import Cluster, ClusteringRun, ClusterMember, DuplicateGroup, RunStatus
from ideas.models import Idea, IdeaStatus

JOB_NAME = "clustering.run"
INSERT_BATCH = 5_000


def _published(project_id: int) -> list[tuple[int, str, int]]:
    rows = db.session.execute(
        select(Idea.id, Idea.normalized_text, Idea.support_count)
        .where(Idea.project_id == project_id, Idea.status.in_(CLUSTERED_STATUSES))
        .order_by(Idea.id)
    )
    return [(idea_id, text, supports) for idea_id, text, supports in rows]


# Ideas that residents can see take part; merged ones live on inside the idea they joined.
CLUSTERED_STATUSES = (IdeaStatus.PUBLISHED, IdeaStatus.SELECTED)


def _fail_run(conn: Connection, params: dict[str, Any], reason: str) -> None:
    """The job died outside its own code (worker killed, queue unreachable): so does the run."""
    conn.execute(
        update(ClusteringRun)
        .where(
            ClusteringRun.id == params.get("run_id"),
            ClusteringRun.status.in_((RunStatus.QUEUED, RunStatus.RUNNING)),
        )
        .values(status=RunStatus.FAILED, error=reason[:2000], finished_at=utcnow())
    )


@register_job(JOB_NAME, on_failure=_fail_run)
def run_clustering(ctx: JobContext, run_id: int) -> dict[str, Any]:
    run = db.session.get_one(ClusteringRun, run_id)
    run.status = RunStatus.RUNNING
    run.started_at = utcnow()
    db.session.commit()
    started = time.perf_counter()
    try:
        rows = _published(run.project_id)
        if not rows:
            raise ValueError("в проекте нет опубликованных идей — группировать нечего")
        ids = [row[0] for row in rows]
        texts = [row[1] for row in rows]
        run.idea_count = len(ids)
        run.inputs_hash = engine.inputs_hash(ids, texts)
        run.software = engine.software_versions()
        ctx.progress(0.02, "loaded ideas")
        result = engine.cluster_ideas(
            ids,
            texts,
            [row[2] for row in rows],
            k=run.requested_k,
            seed=run.seed,
            progress=ctx.progress,
        )
        ctx.progress(0.95, "saving")
        _save(run, result)
        run.status = RunStatus.DONE
        run.params = {
            k: v for k, v in result.params.items() if isinstance(v, int | float | str | None)
        }
        run.n_clusters = len(result.clusters)
        run.other_count = sum(1 for c in result.assignments.values() if c is None)
    except Exception as exc:
        db.session.rollback()
        run = db.session.get_one(ClusteringRun, run_id)
        run.status = RunStatus.FAILED
        run.error = str(exc)[:2000] or type(exc).__name__
        run.finished_at = utcnow()
        run.duration_seconds = time.perf_counter() - started
        db.session.commit()
        raise
    run.finished_at = utcnow()
    run.duration_seconds = time.perf_counter() - started
    db.session.commit()
    return {"run_id": run.id, "clusters": run.n_clusters, "ideas": run.idea_count}


def _save(run: ClusteringRun, result: engine.EngineResult) -> None:
    by_number: dict[int, Cluster] = {}
    for found in result.clusters:
        cluster = Cluster(
            run_id=run.id,
            number=found.number,
            label=found.label,
            terms=found.terms,
            size=found.size,
            support=found.support,
            representative_idea_id=found.representative_ids[0]
            if found.representative_ids
            else None,
            representative_ids=found.representative_ids,
            x=found.center[0],
            y=found.center[1],
        )
        db.session.add(cluster)
        by_number[found.number] = cluster
    db.session.flush()
    members = [
        {
            "run_id": run.id,
            "idea_id": idea_id,
            "cluster_id": by_number[number].id if number is not None else None,
            "x": result.coords[idea_id][0],
            "y": result.coords[idea_id][1],
        }
        for idea_id, number in result.assignments.items()
    ]
    for start in range(0, len(members), INSERT_BATCH):
        db.session.execute(insert(ClusterMember), members[start : start + INSERT_BATCH])
    if result.duplicates:
        db.session.execute(
            insert(DuplicateGroup), [{"run_id": run.id, "idea_ids": g} for g in result.duplicates]
        )
