"""Clustering pages for staff and experts: start a run, watch it, read its clusters and map."""

from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import StringField, SubmitField
from wtforms.validators import Optional

from app.auth.models import Role
from app.auth.permissions import require_user
from app.caching import set_cache_policy
from app.errors import DomainError
from app.extensions import db
from app.numbers import WholeNumberField, parse_int
from ideas.clustering import services
from ideas.clustering.api import READERS, get_project
from ideas.clustering.map import cluster_map_svg
from ideas.clustering.models import ClusterMember, RunStatus
from ideas.models import Idea

bp = Blueprint("clustering", __name__, template_folder="templates")


class StartForm(FlaskForm):
    k = WholeNumberField(_l("Число групп (пусто — автоматически)"), validators=[Optional()])
    submit = SubmitField(_l("Сгруппировать идеи"))


class RenameForm(FlaskForm):
    label = StringField(_l("Новое название"))
    submit = SubmitField(_l("Переименовать"))


class DuplicateForm(FlaskForm):
    submit = SubmitField(_l("Отправить модераторам на объединение"))


@bp.route("/projects/<int:project_id>/clusterings", methods=["GET", "POST"])
def runs(project_id: int) -> Response | tuple[str, int]:
    user = require_user(*READERS)
    project = get_project(project_id)
    form = StartForm()
    if form.validate_on_submit():
        try:
            run = services.start_run(project, user, form.k.data)
        except DomainError as error:
            db.session.rollback()
            for field, messages in (error.errors or {}).items():
                if field in form:
                    form[field].errors = list(messages)
        else:
            db.session.commit()
            flash(_("Группировка запущена."), "success")
            return redirect(url_for("clustering.run_page", run_id=run.id))
    status = 422 if form.is_submitted() else 200  # a refused form says so
    return render_template(
        "clustering/runs.html", project=project, runs=services.list_runs(project), form=form
    ), status


@bp.get("/clusterings/<int:run_id>")
def run_page(run_id: int) -> str:
    require_user(*READERS)
    run = services.get_run(run_id)
    project = get_project(run.project_id)
    done = run.status is RunStatus.DONE
    members = services.member_ids(run) if done else {}
    shown = {i for c in run.clusters for i in c.representative_ids}
    shown |= {i for group in (services.duplicate_groups(run) if done else []) for i in group}
    ideas = (
        {idea.id: idea for idea in db.session.scalars(select(Idea).where(Idea.id.in_(shown)))}
        if shown
        else {}
    )
    return render_template(
        "clustering/run.html",
        run=run,
        project=project,
        members=members,
        ideas=ideas,
        duplicates=services.duplicate_groups(run) if done else [],
        coverage=services.coverage(run) if done else None,
        rename_form=RenameForm(),
        duplicate_form=DuplicateForm(),
    )


@bp.get("/clusterings/<int:run_id>/map.svg")
def run_map(run_id: int) -> Response:
    require_user(*READERS)
    run = services.get_run(run_id)
    if run.status is not RunStatus.DONE:
        return Response(status=404)
    index = {cluster.id: i for i, cluster in enumerate(run.clusters)}
    points = [
        (x, y, index.get(cluster_id) if cluster_id is not None else None)
        for cluster_id, x, y in db.session.execute(
            select(ClusterMember.cluster_id, ClusterMember.x, ClusterMember.y).where(
                ClusterMember.run_id == run.id
            )
        )
    ]
    centres = [(c.x, c.y, c.display_label, c.size) for c in run.clusters]
    svg = cluster_map_svg(points, centres, title=_("Карта тем: %(n)s идей", n=len(points)))
    return set_cache_policy(Response(svg, mimetype="image/svg+xml"), public=False)  # experts' view


@bp.post("/clusterings/<int:run_id>/clusters/<int:cluster_id>/rename")
def rename(run_id: int, cluster_id: int) -> Response:
    require_user(*READERS)
    run = services.get_run(run_id)
    form = RenameForm()
    if form.validate_on_submit():
        try:
            services.rename_cluster(services.get_cluster(run, cluster_id), form.label.data)
        except DomainError as error:
            db.session.rollback()
            flash(" ".join(m for ms in (error.errors or {}).values() for m in ms), "danger")
        else:
            db.session.commit()
            flash(_("Группа переименована."), "success")
    return redirect(url_for("clustering.run_page", run_id=run.id) + f"#cluster-{cluster_id}")


@bp.post("/clusterings/<int:run_id>/duplicates")
def send_duplicate(run_id: int) -> Response:
    user = require_user(*READERS, Role.MODERATOR)
    if DuplicateForm().validate_on_submit():
        keep = parse_int(request.form.get("keep"))
        duplicate = parse_int(request.form.get("duplicate"))
        try:
            flag = services.send_duplicates_to_moderation(user, keep or 0, duplicate or 0)
        except DomainError as error:
            db.session.rollback()
            flash(error.detail or "", "danger")
        else:
            db.session.commit()
            flash(
                _("Пара отправлена модераторам.") if flag else _("Вы уже отправляли эту идею."),
                "success" if flag else "info",
            )
    return redirect(url_for("clustering.run_page", run_id=run_id) + "#duplicates")
