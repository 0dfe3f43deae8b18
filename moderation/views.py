"""Moderator pages: the queue with decision forms, the decision log, blocking."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from app.auth.models import Role, User
from app.auth.permissions import require_user
from app.db import utcnow
from app.errors import DomainError
from app.extensions import db
from app.numbers import parse_int
from moderation import users as user_moderation
from moderation.decisions import DecisionRequest, check_not_author, decide
from moderation.forms import BlockForm, DecisionForm, UnblockForm
from moderation.log import count_decisions_since, decisions_query, median_seconds_to_decision
from moderation.queue import count_waiting, list_queue
from moderation.reasons import list_reasons

bp = Blueprint("moderation", __name__, template_folder="templates")
PER_PAGE = 20


def _int_arg(name: str) -> int | None:
    """A number in the query string; one not written in plain digits is left out."""
    return parse_int(request.args.get(name), minimum=1)


@bp.get("/moderation")
def queue() -> str:
    return _queue_page(require_user(Role.MODERATOR))


def _queue_page(moderator: User) -> str:
    project_id = _int_arg("project")
    kind = request.args.get("kind") if request.args.get("kind") in ("idea", "comment") else None
    page = _int_arg("page") or 1
    items, total = list_queue(project_id=project_id, kind=kind, page=page, per_page=PER_PAGE)
    forms = {}
    for item in items:
        form = DecisionForm(prefix=f"{item.target_type}-{item.target_id}")
        form.target_type.data, form.target_id.data = item.target_type, str(item.target_id)
        form.expected_status.data = item.status
        form.reason.choices = [SelectChoice("", _("— без причины —"))] + [
            SelectChoice(r.code, r.title) for r in list_reasons(item.project_id)
        ]
        forms[(item.target_type, item.target_id)] = form
    today = utcnow().replace(hour=0, minute=0, second=0, microsecond=0)
    return render_template(
        "moderation/queue.html",
        items=items,
        forms=forms,
        total=total,
        page=page,
        pages=max(1, -(-total // PER_PAGE)),
        project_id=project_id,
        kind=kind,
        waiting={"ideas": count_waiting(kind="idea"), "comments": count_waiting(kind="comment")},
        median_seconds=median_seconds_to_decision(),
        decided_today=count_decisions_since(today),
        flagged=user_moderation.flagged_users(),
        block_form=BlockForm(),
        unblock_form=UnblockForm(),
        moderator=moderator,
    )


@bp.post("/moderation/decide/<target_type>/<int:target_id>")
def decide_page(target_type: str, target_id: int) -> Response | tuple[str, int]:
    moderator = require_user(Role.MODERATOR)
    try:
        check_not_author(moderator, target_type, target_id)
    except DomainError as error:
        return _refused(moderator, error)
    form = DecisionForm(prefix=f"{target_type}-{target_id}")
    form.reason.choices = [SelectChoice(r.code, r.title) for r in list_reasons()]
    action = form.chosen_action()
    if not form.validate_on_submit() or action is None:
        flash(
            " ".join(form.merge_into.errors) or _("Форма устарела, попробуйте ещё раз."), "warning"
        )
        return redirect(request.referrer or url_for("moderation.queue"))
    try:
        decide(
            moderator,
            DecisionRequest(
                target_type=target_type,
                target_id=target_id,
                action=action,
                reason=form.reason.data or None,
                note=form.note.data or None,
                merge_into=form.merge_into.data,
                expected_status=form.expected_status.data or None,
            ),
        )
    except DomainError as error:
        return _refused(moderator, error)
    db.session.commit()
    flash(_("Решение принято: %(action)s.", action=form[action].label.text), "success")
    return redirect(request.referrer or url_for("moderation.queue"))


def _refused(moderator: User, error: DomainError) -> Response | tuple[str, int]:
    """Show why a decision or a block was refused. A refusal of who may act (403) answers
    with the queue page and its status, as the API answers 403; the others send the
    moderator back to where they were."""
    db.session.rollback()
    details = " ".join(m for messages in (error.errors or {}).values() for m in messages)
    flash(f"{error.detail or ''} {details}".strip(), "danger")
    if error.status == 403:
        return _queue_page(moderator), 403
    return redirect(request.referrer or url_for("moderation.queue"))


@bp.get("/moderation/log")
def log() -> str:
    require_user(Role.MODERATOR, Role.STAFF)
    page = _int_arg("page") or 1
    result = db.paginate(decisions_query(), page=page, per_page=50, error_out=False)
    return render_template("moderation/log.html", result=result)


@bp.post("/moderation/users/<int:user_id>/block")
def block(user_id: int) -> Response | tuple[str, int]:
    moderator = require_user(Role.MODERATOR)
    form = BlockForm()
    if form.validate_on_submit():
        try:
            user_moderation.block(
                moderator, user_moderation.get_user(user_id), None, form.note.data
            )
        except DomainError as error:
            return _refused(moderator, error)
        db.session.commit()
        flash(_("Пользователь заблокирован."), "success")
    return redirect(url_for("moderation.queue"))


@bp.post("/moderation/users/<int:user_id>/unblock")
def unblock(user_id: int) -> Response | tuple[str, int]:
    moderator = require_user(Role.MODERATOR)
    if UnblockForm().validate_on_submit():
        try:
            user_moderation.unblock(moderator, user_moderation.get_user(user_id), None)
        except DomainError as error:
            return _refused(moderator, error)
        db.session.commit()
        flash(_("Пользователь разблокирован."), "success")
    return redirect(url_for("moderation.queue"))
