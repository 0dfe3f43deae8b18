"""Poll pages: the list, a poll with its ballot, the receipt, results, receipt check, staff."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response as BaseResponse

from app.auth.forms import ActionForm
from app.auth.models import Role, User
from app.auth.permissions import get_actor, require_user
from app.auth.views import attach_errors
from app.caching import set_cache_policy
from app.errors import DomainError, Forbidden, Invalid, NotFound
from app.extensions import db
from app.numbers import parse_int
from voting import ballots, drafting, ledger, services
from voting.api import device_signature
from voting.forms import DecisionForm, PollForm, ReceiptForm
from voting.models import Poll, PollStatus
from voting.results import get_results, results_csv, withheld_cell_text
from voting.verify import head_signature_valid, receipt_included

bp = Blueprint(
    "voting",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/static/voting",
)


def _load(poll_id: int) -> Poll:
    poll = services.get_poll(poll_id, get_actor())
    if services.refresh_status(poll):
        db.session.commit()
    return poll


@bp.get("/polls")
def index() -> str:
    viewer = get_actor()
    polls = db.session.scalars(services.list_polls_query(viewer).limit(200)).all()
    open_polls = [p for p in polls if services.phase(p) in ("open", "scheduled")]
    closed = [p for p in polls if services.phase(p) == "closed"]
    voted: set[int] = set()
    if viewer is not None:
        from sqlalchemy import select

        from voting.models import Participation

        voted = set(
            db.session.scalars(
                select(Participation.poll_id).where(Participation.user_id == viewer.id)
            )
        )
    return render_template(
        "voting/index.html",
        open_polls=open_polls,
        closed=closed,
        voted=voted,
        viewer=viewer,
        in_audience=lambda p: viewer is not None and services.in_audience(viewer, p),
    )


def _ballot_state(viewer: User | None, poll: Poll) -> tuple[bool, str | None]:
    """Whether to show the ballot form, and otherwise why not."""
    if viewer is None:
        return False, "anonymous"
    if services.has_voted(viewer, poll):
        return False, "voted"
    try:
        ballots.check_can_vote(viewer, poll)
    except DomainError as error:
        return False, str(error.extra.get("reason", "closed"))
    return True, None


@bp.get("/polls/<int:poll_id>")
def poll_page(poll_id: int) -> str:
    viewer = get_actor()
    poll = _load(poll_id)
    can_vote, reason = _ballot_state(viewer, poll)
    return render_template(
        "voting/poll.html",
        poll=poll,
        can_vote=can_vote,
        reason=reason,
        errors={},
        chosen={},
        results_visible=services.results_visible(poll),
    )


def _answers_from_form(poll: Poll) -> tuple[list[dict[str, Any]], dict[int, Any]]:
    answers: list[dict[str, Any]] = []
    chosen: dict[int, Any] = {}
    for question in poll.questions:
        key = f"q{question.id}"
        if question.kind.value == "open":
            text = request.form.get(key, "")
            chosen[question.id] = text
            if text.strip():
                answers.append({"question_id": question.id, "text": text})
            continue
        raw = request.form.getlist(key)
        ids = [i for i in map(parse_int, raw) if i is not None]
        if len(ids) != len(raw):
            raise Invalid(_("Неверный вариант ответа."), errors={key: [_("Неверный вариант.")]})
        chosen[question.id] = set(ids)
        if ids:
            answers.append({"question_id": question.id, "option_ids": ids})
    return answers, chosen


@bp.post("/polls/<int:poll_id>/vote")
def vote(poll_id: int) -> BaseResponse | tuple[str, int] | str:
    voter = require_user(verified=True)
    poll = _load(poll_id)
    chosen: dict[int, Any] = {}
    answers: list[dict[str, Any]] = []
    try:
        answers, chosen = _answers_from_form(poll)
        receipt = ballots.cast_ballot(
            voter, poll.id, answers, address=request.remote_addr, device=device_signature()
        )
    except Invalid as error:
        db.session.rollback()
        return render_template(
            "voting/poll.html",
            poll=poll,
            can_vote=True,
            reason=None,
            errors=_errors_by_question(error, answers),
            chosen=chosen,
            results_visible=services.results_visible(poll),
        ), 422
    except ballots.AlreadyVoted:
        db.session.rollback()
        flash(_("Вы уже проголосовали в этом опросе: голос учитывается один раз."), "warning")
        return redirect(url_for("voting.poll_page", poll_id=poll.id))
    db.session.commit()
    # The receipt is shown on this response only: it is in no URL, no log, no cookie.
    return render_template("voting/receipt.html", poll=poll, receipt=receipt)


def _errors_by_question(error: Invalid, answers: list[dict[str, Any]]) -> dict[Any, list[str]]:
    """Service errors keyed `answers.N…` (N: place in `answers`) become messages per question."""
    out: dict[Any, list[str]] = {}
    for key, messages in (error.errors or {}).items():
        target: Any = "__all__"
        parts = key.split(".")
        question = parse_int(key[1:]) if key.startswith("q") else None
        place = parse_int(parts[1]) if len(parts) > 1 else None
        if question is not None:
            target = question
        elif place is not None and place < len(answers):
            target = answers[place]["question_id"]
        out.setdefault(target, []).extend(messages)
    if not out:
        out["__all__"] = [error.detail or _("Проверьте ответы.")]
    return out


@bp.get("/polls/<int:poll_id>/results")
def results(poll_id: int) -> Response | str:
    from voting import charts

    poll = _load(poll_id)
    if not services.results_visible(poll):  # for staff too: no one counts it before closing
        flash(_("Результаты этого опроса публикуются после его закрытия."), "info")
        return render_template("voting/results_hidden.html", poll=poll)
    data = get_results(poll)
    db.session.commit()
    page = render_template(
        "voting/results.html", poll=poll, results=data, charts=charts, decision_form=DecisionForm()
    )
    # A page carries the signed-in person's menu (and staff's decision form).
    return set_cache_policy(Response(page), public=False)


@bp.get("/polls/<int:poll_id>/results.csv")
def results_export_csv(poll_id: int) -> Response:
    poll = _load(poll_id)
    response = Response(results_csv(get_results(poll)), mimetype="text/csv")
    db.session.commit()
    response.headers["Content-Disposition"] = f'attachment; filename="poll-{poll.id}.csv"'
    return set_cache_policy(response, public=services.results_are_final(poll))


@bp.get("/polls/<int:poll_id>/ballots.json")
def ballots_download(poll_id: int) -> Response:
    poll = _load(poll_id)
    response = Response(ledger.ballots_document(poll), mimetype="application/json")
    response.headers["Content-Disposition"] = f'attachment; filename="poll-{poll.id}-ballots.json"'
    return response


@bp.route("/polls/<int:poll_id>/receipt", methods=["GET", "POST"])
def check_receipt(poll_id: int) -> tuple[str, int]:
    """Check a receipt, while the poll runs and after: the same answer as the API's
    `GET /polls/{id}/receipts/{receipt}` (`ledger.get_receipt_status`). The form posts it: a
    receipt in a URL would end up in access logs next to the network address, which the
    participation's address hash could be matched with."""
    poll = _load(poll_id)
    form = ReceiptForm()
    found: dict[str, Any] | None = None
    status = 200
    if form.is_submitted():
        if not form.validate():
            status = 422
        else:
            try:
                found = ledger.get_receipt_status(poll, form.receipt.data or "")
            except NotFound:
                form.receipt.errors = [_("Такой квитанции в этом опросе нет.")]
                status = 404
    head = ledger.get_head(poll)
    # The page checks what it shows, as the verify script would: the signed head and the path.
    included = (
        found is not None
        and found["status"] == "recorded"
        and receipt_included(found, head)
        and head_signature_valid(poll.id, head, head["public_key"])
    )
    page = render_template(
        "voting/check.html",
        poll=poll,
        form=form,
        found=found,
        included=included,
        head=head,
        head_time=datetime.fromtimestamp(head["timestamp"] / 1000, UTC),
    )
    return page, status


# ---------------------------------------------------------------- staff


@bp.get("/staff/polls")
def staff_index() -> str:
    staff = require_user(Role.STAFF)
    polls = db.session.scalars(services.list_polls_query(staff)).all()
    return render_template("voting/staff_index.html", polls=polls)


def _save_form(form: PollForm, poll: Poll | None, staff: User) -> Poll | None:
    fields, slots = form.poll_fields()
    if form.questions_json.errors:
        return None
    try:
        if poll is None:
            return drafting.create_poll(staff, **fields)
        return drafting.update_poll(poll, **fields)
    except Invalid as error:
        db.session.rollback()
        form.general_errors = _attach_poll_errors(form, error, slots)  # type: ignore[attr-defined]
        return None


def _attach_poll_errors(form: PollForm, error: Invalid, slots: list[int]) -> list[str]:
    general: list[str] = []
    for key, messages in (error.errors or {}).items():
        parts = key.split(".")
        field = None
        place = parse_int(parts[1]) if len(parts) >= 3 else None
        if parts[0] == "questions" and place is not None and slots:
            slot = slots[place] if place < len(slots) else None
            if slot is not None:
                name = "options" if parts[2] == "options" else parts[2]
                field = getattr(form.questions[slot].form, name, None)
        elif parts[0] == "audience":
            field = form.audience_okrugs
        elif parts[0] == "questions" and form.questions_json.data:
            field = form.questions_json
        else:
            field = getattr(form, parts[0], None)
        if field is None:
            general.extend(f"{key}: {m}" for m in messages)
        else:
            field.errors = list(field.errors or []) + list(messages)
    return general


@bp.route("/staff/polls/new", methods=["GET", "POST"])
def staff_new() -> BaseResponse | tuple[str, int] | str:
    staff = require_user(Role.STAFF)
    form = PollForm()
    if form.validate_on_submit():
        poll = _save_form(form, None, staff)
        if poll is not None:
            db.session.commit()
            flash(_("Черновик опроса сохранён. Проверьте его и откройте голосование."), "success")
            return redirect(url_for("voting.staff_poll", poll_id=poll.id))
    status = 422 if form.is_submitted() else 200
    return render_template("voting/staff_form.html", form=form, poll=None), status


@bp.route("/staff/polls/<int:poll_id>/edit", methods=["GET", "POST"])
def staff_edit(poll_id: int) -> BaseResponse | tuple[str, int] | str:
    staff = require_user(Role.STAFF)
    poll = _load(poll_id)
    if poll.status is not PollStatus.DRAFT:
        flash(_("Изменять можно только черновик опроса."), "warning")
        return redirect(url_for("voting.staff_poll", poll_id=poll.id))
    form = PollForm()
    if not form.is_submitted():
        form.fill_from(poll)
    elif form.validate() and _save_form(form, poll, staff) is not None:
        db.session.commit()
        flash(_("Черновик опроса сохранён."), "success")
        return redirect(url_for("voting.staff_poll", poll_id=poll.id))
    status = 422 if form.is_submitted() else 200
    return render_template("voting/staff_form.html", form=form, poll=poll), status


@bp.get("/staff/polls/<int:poll_id>")
def staff_poll(poll_id: int) -> str:
    require_user(Role.STAFF)
    poll = _load(poll_id)
    return render_template(
        "voting/staff_poll.html",
        poll=poll,
        action=ActionForm(),
        decision_form=DecisionForm(data={"text": poll.decision_text or ""}),
        audience=services.audience_size(poll),
    )


@bp.post("/staff/polls/<int:poll_id>/<any(open, close, delete):action>")
def staff_action(poll_id: int, action: str) -> BaseResponse:
    require_user(Role.STAFF)
    poll = _load(poll_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        if action == "open":
            services.open_poll(poll)
            message = _("Голосование открыто.")
        elif action == "close":
            services.close_poll(poll)
            message = _("Опрос закрыт, бюллетени запечатаны в реестр.")
        else:
            services.delete_draft(poll)
            db.session.commit()
            flash(_("Черновик удалён."), "info")
            return redirect(url_for("voting.staff_index"))
    except DomainError as error:
        db.session.rollback()
        flash(error.detail or _("Действие недоступно."), "danger")
        return redirect(url_for("voting.staff_poll", poll_id=poll_id))
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("voting.staff_poll", poll_id=poll_id))


@bp.post("/staff/polls/<int:poll_id>/decision")
def staff_decision(poll_id: int) -> BaseResponse | tuple[str, int]:
    staff = require_user(Role.STAFF)
    poll = _load(poll_id)
    form = DecisionForm()
    if form.validate_on_submit():
        try:
            services.publish_decision(poll, form.text.data, staff, form.reason.data or None)
        except DomainError as error:
            db.session.rollback()
            attach_errors(form, error)
            if not form.text.errors and not form.reason.errors:
                form.text.errors = [error.detail or ""]
            return render_template(
                "voting/staff_poll.html",
                poll=poll,
                action=ActionForm(),
                decision_form=form,
                audience=services.audience_size(poll),
            ), error.status
        corrected = len(poll.decision_versions) > 1
        db.session.commit()
        if corrected:
            flash(_("Решение исправлено; получившие его узнают об исправлении."), "success")
        else:
            flash(_("Решение опубликовано; проголосовавшие получат уведомление."), "success")
    return redirect(url_for("voting.results", poll_id=poll_id))


@bp.get("/staff/polls/<int:poll_id>/report")
def staff_report(poll_id: int) -> str:
    from voting.report import coordinated_report

    require_user(Role.STAFF)
    poll = _load(poll_id)
    return render_template("voting/staff_report.html", poll=poll, report=coordinated_report(poll))


def _open_question(poll: Poll, question_id: int) -> Any:
    question = next((q for q in poll.questions if q.id == question_id), None)
    if question is None or question.kind.value != "open":
        abort(404)
    return question


@bp.get("/staff/polls/<int:poll_id>/questions/<int:question_id>/clusters")
def staff_clusters(poll_id: int, question_id: int) -> BaseResponse | str:
    from voting.clustering import cluster_answers

    require_user(Role.STAFF)
    poll = _load(poll_id)
    question = _open_question(poll, question_id)
    try:
        found = cluster_answers(question)
    except Forbidden as error:  # results after closing: not counted before then
        flash(error.detail or "", "info")
        return redirect(url_for("voting.staff_poll", poll_id=poll.id))
    return render_template(
        "voting/staff_clusters.html", poll=poll, question=question, found=found, action=ActionForm()
    )


@bp.post("/staff/polls/<int:poll_id>/questions/<int:question_id>/follow-up")
def staff_follow_up(poll_id: int, question_id: int) -> BaseResponse:
    from voting.clustering import create_follow_up

    staff = require_user(Role.STAFF)
    poll = _load(poll_id)
    question = _open_question(poll, question_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    chosen = request.form.getlist("cluster")
    labels = [request.form.get(f"label-{i}", "") for i in chosen]
    try:
        follow_up = create_follow_up(
            staff, poll, question, labels, multiple=request.form.get("kind") != "single"
        )
    except DomainError as error:
        db.session.rollback()
        flash(error.detail or _("Не получилось."), "danger")
        return redirect(url_for("voting.staff_clusters", poll_id=poll.id, question_id=question.id))
    db.session.commit()
    flash(_("Черновик опроса-продолжения создан: проверьте варианты и откройте его."), "success")
    return redirect(url_for("voting.staff_edit", poll_id=follow_up.id))


# ---------------------------------------------------------------- template helpers


def _hour_label(iso: str, fmt: str = "%d.%m %H:00") -> str:
    from datetime import datetime

    from voting.forms import MOSCOW

    return datetime.fromisoformat(iso).astimezone(MOSCOW).strftime(fmt)


@bp.context_processor
def template_helpers() -> dict[str, Any]:
    from app.districts import find_okrug, get_district

    def okrug_abbrev(code: str | None) -> str:
        okrug = find_okrug(code) if code else None
        return okrug.abbrev if okrug else "—"

    def audience_names(poll: Poll) -> list[str]:
        names = [okrug_abbrev(code) for code in poll.audience_okrugs]
        names += [d.name for code in poll.audience_districts if (d := get_district(code))]
        return names

    return {
        "phase": services.phase,
        "okrug_abbrev": okrug_abbrev,
        "audience_names": audience_names,
        "option_bars": lambda q: [(o["text"], o["votes"], o["share"]) for o in q["options"]],
        "okrug_bars": lambda r: [  # withheld okrugs are in the table only, as «менее K»
            (row["abbrev"], row["ballots"], row["share"])
            for row in r["by_okrug"]
            if not row["suppressed"]
        ],
        "hour_columns": lambda r: [
            (_hour_label(h["hour"], "%H:00"), h["ballots"]) for h in r["over_time"]
        ],
        "hour_label": _hour_label,
        "okrug_ballots": lambda r: {
            row["okrug"]: row["ballots"]
            for row in r["by_okrug"]
            if row["okrug"] and not row["suppressed"]
        },
        "okrugs_withheld": lambda r: {
            row["okrug"]: withheld_cell_text(row) for row in r["by_okrug"] if row["suppressed"]
        },
        "withheld_cell_text": withheld_cell_text,
        "map_markers": lambda options: [
            (o["lat"], o["lon"], o["text"], o["votes"]) for o in options
        ],
    }
