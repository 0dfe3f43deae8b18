"""Pages of the expert review: workspace, scoring, shortlist and selection, implementation,
and the public results page with its charts."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from app.auth.models import Role
from app.auth.permissions import get_actor, require_user
from app.caching import set_cache_policy
from app.errors import DomainError
from app.extensions import db
from app.numbers import number_or_text
from ideas.clustering import services as clustering
from ideas.clustering.models import ClusterMember
from ideas.models import Idea, Project
from ideas.review import charts, results, reviews, rubric, selection, shortlist
from ideas.review.api import get_idea, get_project
from ideas.review.forms import (
    ConflictForm,
    ImplementationForm,
    PublishForm,
    ReviewForm,
    SelectionForm,
)
from ideas.review.models import ClusterOpening, Implementation, Review

bp = Blueprint("review", __name__, template_folder="templates")
REVIEWERS = (Role.EXPERT, Role.STAFF)


def _flash_error(error: DomainError) -> None:
    details = " ".join(m for messages in (error.errors or {}).values() for m in messages)
    flash(f"{error.detail or ''} {details}".strip(), "danger")


@bp.get("/projects/<int:project_id>/review")
def workspace(project_id: int) -> str:
    """Where an expert starts: the topics of the latest clustering run."""
    user = require_user(*REVIEWERS)
    project = get_project(project_id)
    try:
        run = clustering.latest_done_run(project)
    except DomainError:
        run = None
    opened = set(
        db.session.scalars(
            select(ClusterOpening.cluster_id).where(ClusterOpening.expert_id == user.id)
        )
    )
    mine = set(db.session.scalars(select(Review.idea_id).where(Review.expert_id == user.id)))
    members = clustering.member_ids(run) if run else {}
    reviewed_in = {
        c.id: len(mine & set(members.get(c.id, []))) for c in (run.clusters if run else [])
    }
    return render_template(
        "review/workspace.html",
        project=project,
        run=run,
        opened=opened,
        reviewed_in=reviewed_in,
        members=members,
    )


@bp.get("/projects/<int:project_id>/review/clusters/<int:cluster_id>")
def cluster(project_id: int, cluster_id: int) -> str:
    user = require_user(*REVIEWERS)
    project = get_project(project_id)
    run = clustering.latest_done_run(project)
    found = clustering.get_cluster(run, cluster_id)
    reviews.note_cluster_opened(user, found)
    db.session.commit()
    ideas = list(
        db.session.scalars(
            select(Idea)
            .join(ClusterMember, ClusterMember.idea_id == Idea.id)
            .where(ClusterMember.run_id == run.id, ClusterMember.cluster_id == found.id)
            .order_by(Idea.support_count.desc(), Idea.id)
            .limit(200)
        )
    )
    mine = {
        r.idea_id: r
        for r in db.session.scalars(
            select(Review).where(
                Review.expert_id == user.id, Review.idea_id.in_([i.id for i in ideas])
            )
        )
    }
    return render_template(
        "review/cluster.html", project=project, cluster=found, ideas=ideas, mine=mine
    )


@bp.route("/ideas/<int:idea_id>/review", methods=["GET", "POST"])
def review_idea(idea_id: int) -> Response | str | tuple[str, int]:
    user = require_user(*REVIEWERS)
    idea = get_idea(idea_id)
    criteria = rubric.get_rubric(idea.project)
    form = ReviewForm()
    status = 200
    if form.validate_on_submit():
        typed = {c.code: request.form.get(f"score-{c.code}") for c in criteria}
        try:
            reviews.review_idea(
                user,
                idea,
                {code: number_or_text(v) for code, v in typed.items() if v is not None},
                form.comment.data or None,
                bool(form.shortlist.data),
            )
        except DomainError as error:
            db.session.rollback()
            _flash_error(error)
            status = error.status
        else:
            db.session.commit()
            flash(_("Оценка сохранена."), "success")
            return redirect(url_for("review.review_idea", idea_id=idea.id))
    mine = db.session.scalar(
        select(Review).where(Review.idea_id == idea.id, Review.expert_id == user.id)
    )
    if mine is not None and not form.is_submitted():
        form.comment.data, form.shortlist.data = mine.comment, mine.shortlist
    duplicates = []
    try:
        run = clustering.latest_done_run(idea.project)
        group = next((g for g in clustering.duplicate_groups(run) if idea.id in g), [])
        duplicates = list(
            db.session.scalars(select(Idea).where(Idea.id.in_([i for i in group if i != idea.id])))
        )
    except DomainError:
        pass
    db.session.commit()  # the default rubric, when first read
    return render_template(
        "review/idea.html",
        idea=idea,
        criteria=criteria,
        form=form,
        mine=mine,
        others=reviews.visible_reviews(user, idea),
        conflict=reviews.has_conflict(user, idea),
        conflict_form=ConflictForm(),
        duplicates=duplicates,
        is_expert=user.has_role(Role.EXPERT),
        final=reviews.is_review_final(user, idea),
    ), status


@bp.post("/ideas/<int:idea_id>/review/conflict")
def conflict(idea_id: int) -> Response:
    user = require_user(Role.EXPERT)
    form = ConflictForm()
    if form.validate_on_submit():
        reviews.declare_conflict(user, get_idea(idea_id), form.note.data or None)
        db.session.commit()
        flash(_("Конфликт интересов записан: эту идею оценят другие эксперты."), "info")
    return redirect(url_for("review.review_idea", idea_id=idea_id))


@bp.route("/projects/<int:project_id>/shortlist", methods=["GET", "POST"])
def shortlist_page(project_id: int) -> Response | tuple[str, int]:
    user = require_user(*REVIEWERS) if request.method == "GET" else require_user(Role.STAFF)
    project = get_project(project_id)
    form = SelectionForm()
    status = 200
    if form.validate_on_submit():
        chosen = [number_or_text(v) for v in request.form.getlist("idea_ids")]
        try:
            picked = selection.select_ideas(user, project, chosen)
        except DomainError as error:
            db.session.rollback()
            _flash_error(error)
            status = error.status
        else:
            db.session.commit()
            flash(_("Отобрано идей: %(n)s.", n=len(picked)), "success")
            return redirect(url_for("review.shortlist_page", project_id=project.id))
    found = shortlist.build_shortlist(project, user)
    return render_template(
        "review/shortlist.html",
        project=project,
        found=found,
        form=form,
        publish_form=PublishForm(),
        is_staff=user.has_role(Role.STAFF),
        published=results.get_publication(project),
    ), status


@bp.post("/projects/<int:project_id>/publish")
def publish(project_id: int) -> Response:
    user = require_user(Role.STAFF)
    project = get_project(project_id)
    if PublishForm().validate_on_submit():
        try:
            results.publish(user, project)
        except DomainError as error:
            db.session.rollback()
            _flash_error(error)
            return redirect(url_for("review.shortlist_page", project_id=project.id))
        db.session.commit()
        flash(_("Итоги опубликованы."), "success")
    return redirect(url_for("review.results_page", project_id=project.id))


@bp.route("/ideas/<int:idea_id>/implementation", methods=["GET", "POST"])
def implementation(idea_id: int) -> Response | tuple[str, int]:
    user = require_user(Role.STAFF)
    idea = get_idea(idea_id)
    record = db.session.get(Implementation, idea.id)
    form = (
        ImplementationForm(obj=record)
        if request.method == "GET" and record
        else ImplementationForm()
    )
    if form.validate_on_submit():
        try:
            selection.set_implementation(
                user, idea, form.status.data, form.progress.data, form.note.data or None
            )
        except DomainError as error:
            db.session.rollback()
            _flash_error(error)
        else:
            db.session.commit()
            flash(_("Ход реализации обновлён."), "success")
            return redirect(url_for("review.implementation", idea_id=idea.id))
    status = 422 if request.method == "POST" else 200  # a refused form says so
    return render_template(
        "review/implementation.html", idea=idea, record=record, form=form
    ), status


def _results_published(project_id: int) -> tuple[Project, bool]:
    """The project and whether its results are published; unpublished ones are 404 to all
    but staff."""
    project = get_project(project_id)
    published = results.get_publication(project) is not None
    if not published:
        viewer = get_actor()
        if viewer is None or not viewer.has_role(Role.STAFF):
            abort(404)
    return project, published


@bp.get("/projects/<int:project_id>/results")
def results_page(project_id: int) -> Response:
    project, published = _results_published(project_id)
    if not published:
        flash(_("Итоги ещё не опубликованы: страницу видят только сотрудники."), "warning")
    page = render_template(
        "review/results.html",
        project=project,
        participation=results.participation(project),
        topics=results.topics(project),
        selected=results.selected_ideas(project),
        published=results.get_publication(project),
    )
    # A page carries the signed-in person's menu and messages: never for shared caches.
    return set_cache_policy(Response(page), public=False)


@bp.get("/projects/<int:project_id>/results/<chart>.svg")
def results_chart(project_id: int, chart: str) -> Response:
    project, published = _results_published(project_id)
    if chart == "okrugs":
        by_okrug = results.participation(project).by_okrug
        svg = charts.bar_chart_svg(
            list(by_okrug),
            [v["participants"] for v in by_okrug.values()],
            title=_("Участники по округам"),
            xlabel=_("человек"),
        )
    elif chart == "topics":
        topics = results.topics(project)[:20]
        svg = charts.bar_chart_svg(
            [t["label"] for t in topics],
            [t["size"] for t in topics],
            title=_("Темы идей"),
            xlabel=_("идей"),
        )
    else:
        abort(404)
    return set_cache_policy(Response(svg, mimetype="image/svg+xml"), public=published)
