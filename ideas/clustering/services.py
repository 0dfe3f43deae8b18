"""Starting clustering runs and reading their results."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.auth.models import User
from app.errors import Invalid, NotFound
from app.extensions import db
from app.jobs import enqueue
from app.text import check_text
from ideas.clustering.jobs import CLUSTERED_STATUSES, JOB_NAME
from ideas.clustering.models import Cluster, ClusteringRun, ClusterMember, DuplicateGroup, RunStatus
from ideas.models import Flag, FlagTarget, Idea, Project

MAX_K = 500


def start_run(project: Project, user: User, k: object = None, seed: object = 0) -> ClusteringRun:
    """Queue a run over the project's published ideas; `k` None picks the number itself."""
    errors: dict[str, list[str]] = {}
    if k is not None and (not isinstance(k, int) or isinstance(k, bool) or not 2 <= k <= MAX_K):
        errors["k"] = [_("Число групп — целое от 2 до %(n)s или пусто (автоматически).", n=MAX_K)]
    if not isinstance(seed, int) or isinstance(seed, bool) or not 0 <= seed < 2**31:
        errors["seed"] = [_("Зерно — целое неотрицательное число.")]
    if errors:
        raise Invalid(_("Проверьте выделенные поля."), errors=errors)
    run = ClusteringRun(project_id=project.id, requested_k=k, seed=seed, created_by_id=user.id)
    db.session.add(run)
    db.session.flush()
    run.job_id = enqueue(JOB_NAME, {"run_id": run.id}, user_id=user.id).id
    return run


def get_run(run_id: int) -> ClusteringRun:
    run = db.session.get(ClusteringRun, run_id)
    if run is None:
        raise NotFound(_("Группировка не найдена."))
    return run


def list_runs(project: Project, limit: int = 20) -> list[ClusteringRun]:
    return list(
        db.session.scalars(
            select(ClusteringRun)
            .where(ClusteringRun.project_id == project.id)
            .order_by(ClusteringRun.created_at.desc(), ClusteringRun.id.desc())
            .limit(limit)
        )
    )


def latest_done_run(project: Project) -> ClusteringRun:
    run = db.session.scalars(
        select(ClusteringRun)
        .where(ClusteringRun.project_id == project.id, ClusteringRun.status == RunStatus.DONE)
        .order_by(ClusteringRun.finished_at.desc(), ClusteringRun.id.desc())
        .limit(1)
    ).first()
    if run is None:
        raise NotFound(_("Для проекта ещё нет завершённой группировки."))
    return run


def member_ids(run: ClusteringRun) -> dict[int | None, list[int]]:
    """Idea ids per cluster id (None: «other»)."""
    grouped: dict[int | None, list[int]] = {}
    rows = db.session.execute(
        select(ClusterMember.cluster_id, ClusterMember.idea_id)
        .where(ClusterMember.run_id == run.id)
        .order_by(ClusterMember.idea_id)
    )
    for cluster_id, idea_id in rows:
        grouped.setdefault(cluster_id, []).append(idea_id)
    return grouped


def duplicate_groups(run: ClusteringRun) -> list[list[int]]:
    return [
        list(group)
        for group in db.session.scalars(
            select(DuplicateGroup.idea_ids)
            .where(DuplicateGroup.run_id == run.id)
            .order_by(DuplicateGroup.id)
        )
    ]


@dataclass(frozen=True)
class Coverage:
    """Every idea the run saw is in exactly one cluster or in «other»."""

    seen: int  # ideas the run took in
    placed: int  # membership rows (one per idea at most: the primary key)
    published_now: int  # published ideas now
    missing_now: int  # published now but not in this run (written after it)

    @property
    def complete(self) -> bool:
        return self.seen == self.placed


def coverage(run: ClusteringRun) -> Coverage:
    placed = (
        db.session.scalar(
            select(func.count()).select_from(ClusterMember).where(ClusterMember.run_id == run.id)
        )
        or 0
    )
    published = select(Idea.id).where(
        Idea.project_id == run.project_id, Idea.status.in_(CLUSTERED_STATUSES)
    )
    published_now = db.session.scalar(select(func.count()).select_from(published.subquery())) or 0
    in_run = select(ClusterMember.idea_id).where(ClusterMember.run_id == run.id)
    missing = (
        db.session.scalar(
            select(func.count()).select_from(published.where(Idea.id.not_in(in_run)).subquery())
        )
        or 0
    )
    return Coverage(
        seen=run.idea_count or 0, placed=placed, published_now=published_now, missing_now=missing
    )


def get_cluster(run: ClusteringRun, cluster_id: int) -> Cluster:
    cluster = db.session.get(Cluster, cluster_id)
    if cluster is None or cluster.run_id != run.id:
        raise NotFound(_("Группа не найдена."))
    return cluster


def rename_cluster(cluster: Cluster, label: object) -> Cluster:
    """A person's name for the group; an empty name restores the automatic label."""
    if label is None or (isinstance(label, str) and not label.strip()):
        cluster.custom_label = None
        return cluster
    text, problems = check_text(label, min_length=2, max_length=200)
    if problems:
        raise Invalid(_("Проверьте название."), errors={"label": problems})
    cluster.custom_label = text
    return cluster


def send_duplicates_to_moderation(user: User, keep_id: int, duplicate_id: int) -> Flag | None:
    """Flag `duplicate_id` as a repeat of `keep_id`: it enters the moderation queue, where a
    moderator merges it. Returns None if this person already flagged it."""
    keep, duplicate = db.session.get(Idea, keep_id), db.session.get(Idea, duplicate_id)
    if (
        keep is None
        or duplicate is None
        or keep.id == duplicate.id
        or keep.project_id != duplicate.project_id
    ):
        raise Invalid(
            _("Выберите две разные идеи одного проекта."),
            errors={"idea_ids": [_("Выберите две разные идеи одного проекта.")]},
        )
    flag = Flag(
        target_type=FlagTarget.IDEA,
        target_id=duplicate.id,
        user_id=user.id,
        reason=_("Повтор идеи №%(id)s — предлагается объединить", id=keep.id),
    )
    try:
        with db.session.begin_nested():
            db.session.add(flag)
    except IntegrityError:
        return None
    return flag
