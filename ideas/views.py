"""Pages: projects, idea lists with search, the idea page with supports and comments,
the submit form with similar ideas, and staff pages to run a project."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from flask import (
    Blueprint,
    abort,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_limiter import RequestLimit
from werkzeug.wrappers import Response

from app.auth.forms import ActionForm
from app.auth.models import Role
from app.auth.permissions import get_actor, require_user
from app.auth.views import attach_errors
from app.errors import DomainError, Forbidden
from app.extensions import db
from app.numbers import number_or_text, parse_int
from ideas import services
from ideas.forms import CommentForm, FlagForm, IdeaForm, ProjectForm
from ideas.limits import limit_comments, limit_message
from ideas.models import Comment, CommentStatus, FlagTarget, Idea, IdeaStatus

bp = Blueprint(
    "ideas",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/static/ideas",
)

MOSCOW = ZoneInfo("Europe/Moscow")
PER_PAGE = 20
LIST_STATUSES = [IdeaStatus.PUBLISHED, IdeaStatus.SELECTED, IdeaStatus.MERGED]


def _moscow(day: date | None, end: bool = False) -> datetime | None:
    if day is None:
        return None
    return datetime.combine(day, time(23, 59, 59) if end else time(0), tzinfo=MOSCOW)


# --- projects ------------------------------------------------------------------------------


@bp.get("/projects")
def projects() -> str:
    viewer = get_actor()
    items = list(db.session.scalars(services.list_projects_query(viewer).limit(100)))
    counts = services.get_project_counts([p.id for p in items])
    return render_template(
        "ideas/projects.html", projects=items, counts=counts, is_staff=services.is_staff(viewer)
    )


def _project_values(form: ProjectForm) -> dict[str, Any]:
    return {
        "title": form.title.data or "",
        "description": form.description.data or "",
        "sections": [line for line in (form.sections.data or "").splitlines() if line.strip()],
        "stage": form.stage.data,
        "moderation": form.moderation.data,
        "starts_at": _moscow(form.starts_at.data),
        "ends_at": _moscow(form.ends_at.data, end=True),
    }


@bp.route("/projects/new", methods=["GET", "POST"])
def new_project() -> Response | tuple[str, int] | str:
    actor = require_user(Role.STAFF)
    form = ProjectForm()
    if form.validate_on_submit():
        try:
            project = services.create_project(actor, **_project_values(form))
        except DomainError as error:
            db.session.rollback()
            attach_errors(form, error)
            return render_template("ideas/project_form.html", form=form, project=None), 422
        db.session.commit()
        flash(_("Проект создан."), "success")
        return redirect(url_for("ideas.project", project_id=project.id))
    status = 422 if form.is_submitted() else 200
    return render_template("ideas/project_form.html", form=form, project=None), status


@bp.route("/projects/<int:project_id>/edit", methods=["GET", "POST"])
def edit_project(project_id: int) -> Response | tuple[str, int] | str:
    actor = require_user(Role.STAFF)
    project = services.get_project(project_id, actor)
    form = ProjectForm()
    if not form.is_submitted():
        form.title.data = project.title
        form.description.data = project.description
        form.sections.data = "\n".join(s.title for s in project.sections)
        form.stage.data = project.stage.value
        form.moderation.data = project.moderation.value
        form.starts_at.data = (
            project.starts_at.astimezone(MOSCOW).date() if project.starts_at else None
        )
        form.ends_at.data = project.ends_at.astimezone(MOSCOW).date() if project.ends_at else None
    if form.validate_on_submit():
        try:
            services.update_project(project, actor, **_project_values(form))
        except DomainError as error:
            db.session.rollback()
            attach_errors(form, error)
            if not error.errors:
                form.stage.errors = [error.detail or ""]
            return render_template(
                "ideas/project_form.html", form=form, project=project
            ), error.status
        db.session.commit()
        flash(_("Проект сохранён."), "success")
        return redirect(url_for("ideas.project", project_id=project.id))
    status = 422 if form.is_submitted() else 200
    return render_template("ideas/project_form.html", form=form, project=project), status


@bp.get("/projects/<int:project_id>")
def project(project_id: int) -> str:
    viewer = get_actor()
    item = services.get_project(project_id, viewer)
    counts = services.get_project_counts([item.id])[item.id]
    top = list(db.session.scalars(services.list_ideas_query(item, viewer, sort="top").limit(5)))
    return render_template(
        "ideas/project.html",
        project=item,
        counts=counts,
        top=top,
        can_submit=services.stage_allows(item, "submit"),
        is_staff=services.is_staff(viewer),
    )


# --- idea lists and the submit form --------------------------------------------------------


def _int_arg(name: str) -> int | None:
    """A number in the query string; one not written in plain digits is left out."""
    return parse_int(request.args.get(name), minimum=1)


@bp.get("/projects/<int:project_id>/ideas")
def idea_list(project_id: int) -> str:
    viewer = get_actor()
    item = services.get_project(project_id, viewer)
    q = request.args.get("q", "")[:200]
    sort = request.args.get("sort", "new")
    sort = sort if sort in services.SORTS else "new"
    status_arg = request.args.get("status", "")
    status = IdeaStatus(status_arg) if status_arg in {s.value for s in LIST_STATUSES} else None
    section_id = _int_arg("section")
    page = max(1, min(_int_arg("page") or 1, 100_000))
    stmt = services.list_ideas_query(
        item, viewer, q=q, section_id=section_id, status=status, sort=sort
    )
    ideas, total = services.paginate_ideas(stmt, page, PER_PAGE)
    return render_template(
        "ideas/idea_list.html",
        project=item,
        ideas=ideas,
        total=total,
        page=page,
        pages=max(1, -(-total // PER_PAGE)),
        q=q,
        sort=sort,
        status=status.value if status else "",
        section_id=section_id,
        statuses=LIST_STATUSES,
        supported=services.supported_idea_ids(viewer, [i.id for i in ideas]),
    )


@bp.route("/projects/<int:project_id>/ideas/new", methods=["GET", "POST"])
def new_idea(project_id: int) -> Response | tuple[str, int] | str:
    author = require_user(verified=True)
    item = services.get_project(project_id, author)
    services.require_stage(item, "submit")
    form = IdeaForm()
    form.section.choices = [(0, _("— выберите раздел —"))] + [
        (s.id, s.title) for s in item.sections
    ]
    similar: list[tuple[Idea, float]] | None = None
    if form.validate_on_submit():
        if form.check_similar.data:
            text = f"{form.title.data or ''}\n{form.body.data or ''}"
            similar = services.find_similar(item, text, 5)
            return render_template(
                "ideas/idea_form.html", form=form, project=item, similar=similar, idea=None
            )
        try:
            idea = services.submit_idea(
                author, item, form.title.data or "", form.body.data or "", form.section.data
            )
        except DomainError as error:
            db.session.rollback()
            attach_errors(form, error)
            return render_template(
                "ideas/idea_form.html", form=form, project=item, similar=None, idea=None
            ), error.status
        db.session.commit()
        if idea.status is IdeaStatus.PENDING:
            flash(_("Идея отправлена и появится после проверки модератором."), "success")
        else:
            flash(_("Идея опубликована. Спасибо!"), "success")
        return redirect(url_for("ideas.idea", idea_id=idea.id))
    status = 422 if form.is_submitted() else 200
    return render_template(
        "ideas/idea_form.html", form=form, project=item, similar=similar, idea=None
    ), status


@bp.route("/ideas/<int:idea_id>/edit", methods=["GET", "POST"])
def edit_idea(idea_id: int) -> Response | tuple[str, int] | str:
    actor = require_user()
    item = services.get_idea(idea_id, actor)
    if actor.id != item.author_id:
        raise Forbidden(_("Изменять идею может только её автор."))
    if item.status is not IdeaStatus.PENDING:
        raise services.WrongStatus(_("Идею можно изменить, только пока она на модерации."))
    form = IdeaForm()
    form.section.choices = [(s.id, s.title) for s in item.project.sections]
    if not form.is_submitted():
        form.title.data, form.body.data, form.section.data = item.title, item.body, item.section_id
    if form.validate_on_submit():
        try:
            services.edit_idea(
                item,
                actor,
                title=form.title.data or "",
                body=form.body.data or "",
                section_id=form.section.data,
            )
        except DomainError as error:
            db.session.rollback()
            attach_errors(form, error)
            return render_template(
                "ideas/idea_form.html", form=form, project=item.project, similar=None, idea=item
            ), error.status
        db.session.commit()
        flash(_("Изменения сохранены."), "success")
        return redirect(url_for("ideas.idea", idea_id=item.id))
    status = 422 if form.is_submitted() else 200
    return render_template(
        "ideas/idea_form.html", form=form, project=item.project, similar=None, idea=item
    ), status


# --- the idea page and its actions ---------------------------------------------------------


def _comment_tree(idea: Idea) -> dict[int | None, list[Comment]]:
    """Comments by the comment they are shown under: the template's nesting is as deep as
    the threads' depth limit, however long a reply chain in the database is."""
    comments = list(db.session.scalars(services.list_comments_query(idea).limit(2000)))
    places = services.place_comments((c.id, c.parent_id) for c in comments)
    children: dict[int | None, list[Comment]] = {}
    for comment in comments:
        children.setdefault(places[comment.id].parent_id, []).append(comment)
    return children


def _render_idea(idea: Idea, status: int = 200, **errors: Any) -> tuple[str, int]:
    viewer = get_actor()
    supported = viewer is not None and idea.id in services.supported_idea_ids(viewer, [idea.id])
    merged = services.get_merged_ideas(idea)
    can_withdraw = viewer is not None and supported and services.may_withdraw_support(viewer, idea)
    page = render_template(
        "ideas/idea.html",
        idea=idea,
        project=idea.project,
        history=services.get_history(idea),
        comments=_comment_tree(idea),
        merged=merged,
        coauthors=[name for _id, name in services.get_coauthors(idea, merged)],
        supported=supported,
        can_withdraw=can_withdraw,
        # only the support a merge moved here may be withdrawn outside the supporting stages
        moved_support=can_withdraw and not services.stage_allows(idea.project, "support"),
        can_support=services.stage_allows(idea.project, "support")
        and idea.status in (IdeaStatus.PUBLISHED, IdeaStatus.SELECTED),
        can_comment=services.stage_allows(idea.project, "comment")
        and idea.status in (IdeaStatus.PUBLISHED, IdeaStatus.SELECTED),
        is_author=viewer is not None and viewer.id == idea.author_id,
        action=ActionForm(),
        errors=errors,
        visible=CommentStatus.PUBLISHED,
    )
    return page, status


@bp.get("/ideas/<int:idea_id>")
def idea(idea_id: int) -> tuple[str, int]:
    return _render_idea(services.get_idea(idea_id, get_actor()))


def _valid_post() -> None:
    if not ActionForm().validate_on_submit():
        abort(400)


@bp.post("/ideas/<int:idea_id>/support")
def support(idea_id: int) -> Response:
    user = require_user(verified=True)
    item = services.get_idea(idea_id, user)
    _valid_post()
    if request.form.get("action") == "withdraw":
        services.withdraw_support(user, item)
        message = _("Вы отозвали поддержку.")
    else:
        services.support_idea(user, item)
        message = _("Вы поддержали идею.")
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("ideas.idea", idea_id=item.id) + "#support")


def _too_many_comments(limit: RequestLimit) -> Response:
    """Over the comment limit: the idea page again, the reason under the form, the text kept."""
    item = services.get_idea((request.view_args or {})["idea_id"], get_actor())
    page, status = _render_idea(
        item,
        429,
        comment=[limit_message()],
        comment_parent=parse_int(request.form.get("parent_id")),
        comment_text=request.form.get("body", ""),
    )
    return make_response(page, status)


@bp.post("/ideas/<int:idea_id>/comments")
@limit_comments(on_breach=_too_many_comments)
def comment(idea_id: int) -> Response | tuple[str, int]:
    user = require_user(verified=True)
    item = services.get_idea(idea_id, user)
    form = CommentForm()
    if not form.validate_on_submit():
        abort(400)
    parent_id = number_or_text(form.parent_id.data) if form.parent_id.data else None
    try:
        created = services.add_comment(user, item, form.body.data or "", parent_id)
    except DomainError as error:
        db.session.rollback()
        messages = [m for ms in (error.errors or {}).values() for m in ms] or [error.detail or ""]
        return _render_idea(
            item,
            error.status,
            comment=messages,
            comment_parent=parent_id,
            comment_text=form.body.data or "",
        )
    db.session.commit()
    flash(_("Комментарий добавлен."), "success")
    return redirect(url_for("ideas.idea", idea_id=item.id) + f"#comment-{created.id}")


def _flag(target: FlagTarget, target_id: int, idea: Idea) -> Response | tuple[str, int]:
    user = require_user()
    form = FlagForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        services.flag(user, target, target_id, form.reason.data or "")
    except DomainError as error:
        db.session.rollback()
        messages = [m for ms in (error.errors or {}).values() for m in ms] or [error.detail or ""]
        return _render_idea(
            idea, error.status, flag=messages, flag_target=f"{target.value}-{target_id}"
        )
    db.session.commit()
    flash(_("Спасибо, модераторы посмотрят."), "success")
    return redirect(url_for("ideas.idea", idea_id=idea.id))


@bp.post("/ideas/<int:idea_id>/flag")
def flag_idea(idea_id: int) -> Response | tuple[str, int]:
    item = services.get_idea(idea_id, require_user())
    return _flag(FlagTarget.IDEA, item.id, item)


@bp.post("/comments/<int:comment_id>/flag")
def flag_comment(comment_id: int) -> Response | tuple[str, int]:
    item = services.get_comment(comment_id, require_user())
    return _flag(FlagTarget.COMMENT, item.id, item.idea)


@bp.post("/ideas/<int:idea_id>/withdraw")
def withdraw(idea_id: int) -> Response:
    user = require_user()
    item = services.get_idea(idea_id, user)
    _valid_post()
    services.withdraw_idea(item, user)
    db.session.commit()
    flash(_("Идея снята с публикации."), "info")
    return redirect(url_for("ideas.project", project_id=item.project_id))
