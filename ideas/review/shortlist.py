"""The shortlist staff read: ideas ranked by weighted mean score, with the evidence behind it."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import select

from app.auth.models import Role, User
from app.extensions import db
from ideas.clustering.models import Cluster, ClusteringRun, RunStatus
from ideas.models import Idea, Project
from ideas.review.aggregate import IdeaAggregate, aggregate_idea, krippendorff_alpha
from ideas.review.models import ClusterOpening, Review
from ideas.review.reviews import REVIEWABLE
from ideas.review.rubric import get_settings


@dataclass(frozen=True)
class RankedIdea:
    idea: Idea
    aggregate: IdeaAggregate


@dataclass
class Shortlist:
    ranked: list[RankedIdea]
    agreement: float | None  # Krippendorff's alpha (interval) over all reviews of the project
    experts: int
    unreviewed: list[Idea]
    unreviewed_count: int
    clusters_unopened: list[Cluster] = field(default_factory=list)
    clusters_total: int = 0


def build_shortlist(project: Project, viewer: User, unreviewed_limit: int = 50) -> Shortlist:
    rows = db.session.execute(
        select(Review.idea_id, Review.expert_id, Review.weighted, Review.shortlist)
        .join(Idea, Idea.id == Review.idea_id)
        .where(Idea.project_id == project.id, Idea.status.in_(REVIEWABLE))
    ).all()
    by_idea: dict[int, list[tuple[int, float, bool]]] = defaultdict(list)
    for idea_id, expert_id, weighted, shortlisted in rows:
        by_idea[idea_id].append((expert_id, weighted, shortlisted))
    blind_for_viewer = get_settings(project).blind and not viewer.has_role(Role.STAFF)
    if blind_for_viewer:  # an expert sees only the aggregates of ideas they scored themselves
        by_idea = {
            i: reviews
            for i, reviews in by_idea.items()
            if any(e == viewer.id for e, _, _ in reviews)
        }
    ideas = (
        {
            idea.id: idea
            for idea in db.session.scalars(select(Idea).where(Idea.id.in_(list(by_idea))))
        }
        if by_idea
        else {}
    )
    ranked = [
        RankedIdea(ideas[i], aggregate_idea([w for _, w, _ in rs], [s for _, _, s in rs]))
        for i, rs in by_idea.items()
    ]
    ranked.sort(
        key=lambda r: (
            -r.aggregate.mean,
            -r.aggregate.shortlisted_by,
            -r.aggregate.reviews,
            r.idea.id,
        )
    )
    experts = sorted({e for reviews in by_idea.values() for e, _, _ in reviews})
    matrix = [
        [next((w for e, w, _ in reviews if e == expert), None) for expert in experts]
        for reviews in by_idea.values()
    ]
    unreviewed_query = (
        select(Idea)
        .where(Idea.project_id == project.id, Idea.status.in_(REVIEWABLE))
        .where(Idea.id.not_in(select(Review.idea_id)))
        .order_by(Idea.support_count.desc(), Idea.id)
    )
    unreviewed = list(db.session.scalars(unreviewed_query.limit(unreviewed_limit)))
    unreviewed_count = (
        db.session.scalar(select(db.func.count()).select_from(unreviewed_query.subquery())) or 0
    )
    shortlist = Shortlist(
        ranked=ranked,
        agreement=krippendorff_alpha(matrix) if not blind_for_viewer else None,
        experts=len(experts),
        unreviewed=unreviewed,
        unreviewed_count=unreviewed_count,
    )
    _add_cluster_coverage(project, shortlist)
    return shortlist


def _add_cluster_coverage(project: Project, shortlist: Shortlist) -> None:
    run = db.session.scalars(
        select(ClusteringRun)
        .where(ClusteringRun.project_id == project.id, ClusteringRun.status == RunStatus.DONE)
        .order_by(ClusteringRun.finished_at.desc(), ClusteringRun.id.desc())
        .limit(1)
    ).first()
    if run is None:
        return
    cluster_ids = [c.id for c in run.clusters]
    opened = set(
        db.session.scalars(
            select(ClusterOpening.cluster_id).where(ClusterOpening.cluster_id.in_(cluster_ids))
        )
    )
    shortlist.clusters_total = len(run.clusters)
    shortlist.clusters_unopened = [c for c in run.clusters if c.id not in opened]
