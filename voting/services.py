"""Polls: creating and scheduling them, who may vote, casting a ballot, closing with a ledger.

Services take explicit arguments, flush and never commit; they raise domain errors.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError

from app.auth.models import Role, User
from app.db import utcnow
from app.districts import find_district, find_okrug, get_district
from app.errors import Conflict, Forbidden, Invalid, NotFound
from app.extensions import db
from app.jobs import enqueue, register_job
from app.points.services import award_points
from app.text import check_text
from voting.models import (
    Ballot,
    BallotChoice,
    BallotText,
    Participation,
    Poll,
    PollOption,
    PollStatus,
    Question,
    QuestionKind,
    ResultsVisibility,
)
from voting.verify import canonical, leaf_hash, merkle_root, receipt_hash

NOTIFY_JOB = "voting.notify_decision"
VOTE_POINTS = 10
POINTS_REASON = "poll_vote"
MAX_QUESTIONS = 20
MAX_OPTIONS = 50
OPEN_ANSWER_MAX = 2000
# Moscow with New Moscow and Zelenograd fits in this box; coordinates outside are typos.
LAT_RANGE = (55.0, 56.2)
LON_RANGE = (36.7, 38.2)


class AlreadyVoted(Conflict):
    code = "already_voted"


class PollNotOpen(Conflict):
    code = "poll_not_open"


class NotInAudience(Forbidden):
    code = "not_in_audience"


# ---------------------------------------------------------------- reading


def is_staff(user: User | None) -> bool:
    return user is not None and user.has_role(Role.STAFF)


def get_poll(poll_id: int, viewer: User | None = None) -> Poll:
    """The poll, if this viewer may see it: drafts are for staff only."""
    poll = db.session.get(Poll, poll_id)
    if poll is None or (poll.status is PollStatus.DRAFT and not is_staff(viewer)):
        raise NotFound(_("Опрос не найден."))
    return poll


def list_polls_query(viewer: User | None, status: PollStatus | None = None) -> Any:
    stmt = select(Poll).order_by(Poll.created_at.desc(), Poll.id.desc())
    if not is_staff(viewer):
        stmt = stmt.where(Poll.status != PollStatus.DRAFT)
    if status is not None:
        stmt = stmt.where(Poll.status == status)
    return stmt


def is_accepting_votes(poll: Poll, now: datetime | None = None) -> bool:
    now = now or utcnow()
    return (
        poll.status is PollStatus.OPEN
        and (poll.opens_at is None or poll.opens_at <= now)
        and (poll.closes_at is None or now < poll.closes_at)
    )


def phase(poll: Poll, now: datetime | None = None) -> str:
    """draft, scheduled (open, not started yet), open, or closed, as people see it."""
    now = now or utcnow()
    if poll.status is PollStatus.OPEN and poll.opens_at is not None and now < poll.opens_at:
        return "scheduled"
    if poll.status is PollStatus.OPEN and poll.closes_at is not None and now >= poll.closes_at:
        return "closed"
    return poll.status.value


def results_visible(poll: Poll, viewer: User | None) -> bool:
    if is_staff(viewer):
        return poll.status is not PollStatus.DRAFT
    if poll.status is PollStatus.CLOSED:
        return True
    return poll.status is PollStatus.OPEN and poll.results_visibility is ResultsVisibility.LIVE


def has_voted(user: User | None, poll: Poll) -> bool:
    if user is None:
        return False
    return (
        db.session.scalar(
            select(Participation.id).where(
                Participation.poll_id == poll.id, Participation.user_id == user.id
            )
        )
        is not None
    )


def audience_districts(poll: Poll) -> set[str] | None:
    """District codes of the audience, or None for everyone."""
    if poll.is_for_everyone:
        return None
    codes = set(poll.audience_districts)
    for okrug_code in poll.audience_okrugs:
        okrug = find_okrug(okrug_code)
        if okrug is not None:
            codes |= {d.code for d in okrug.districts}
    return codes


def in_audience(user: User, poll: Poll) -> bool:
    codes = audience_districts(poll)
    return codes is None or (user.district_code in codes)


def audience_size(poll: Poll) -> int:
    """Verified, unblocked residents in the audience: the base of the turnout."""
    stmt = select(func.count(User.id)).where(
        User.verified_at.is_not(None), User.blocked_at.is_(None)
    )
    codes = audience_districts(poll)
    if codes is not None:
        stmt = stmt.where(User.district_code.in_(sorted(codes)))
    return db.session.scalar(stmt) or 0


def list_open_for(user: User, now: datetime | None = None) -> list[Poll]:
    """Open polls this resident may vote in and has not voted in yet."""
    voted = select(Participation.poll_id).where(Participation.user_id == user.id)
    polls = db.session.scalars(
        select(Poll)
        .where(Poll.status == PollStatus.OPEN, Poll.id.not_in(voted))
        .order_by(Poll.created_at.desc())
    ).all()
    return [p for p in polls if is_accepting_votes(p, now) and in_audience(user, p)]


# ---------------------------------------------------------------- staff: drafting


def _audience(raw: Any, errors: dict[str, list[str]]) -> tuple[list[str], list[str]]:
    if raw in (None, "everyone"):
        return [], []
    if not isinstance(raw, dict):
        errors["audience"] = [_("Аудитория: «everyone» или {okrugs: [...], districts: [...]}.")]
        return [], []
    okrugs: list[str] = []
    districts: list[str] = []
    for value in raw.get("okrugs") or []:
        okrug = find_okrug(value) if isinstance(value, str) else None
        if okrug is None:
            errors.setdefault("audience.okrugs", []).append(
                _("Неизвестный округ: %(v)s.", v=str(value)[:40])
            )
        elif okrug.code not in okrugs:
            okrugs.append(okrug.code)
    for value in raw.get("districts") or []:
        district = find_district(value) if isinstance(value, str) else None
        if district is None:
            errors.setdefault("audience.districts", []).append(
                _("Неизвестный район: %(v)s.", v=str(value)[:40])
            )
        elif district.code not in districts:
            districts.append(district.code)
    if (
        not okrugs
        and not districts
        and "audience" not in errors
        and not any(k.startswith("audience.") for k in errors)
    ):
        errors["audience"] = [_("Укажите хотя бы один округ или район, или «everyone».")]
    return okrugs, districts


def _text(
    value: Any, field: str, errors: dict[str, list[str]], *, min_length: int, max_length: int
) -> str:
    text, problems = check_text(value, min_length=min_length, max_length=max_length, multiline=True)
    if problems:
        errors.setdefault(field, []).extend(problems)
    return text


def _number(
    value: Any, field: str, bounds: tuple[float, float], errors: dict[str, list[str]]
) -> float | None:
    if value is None or value == "":
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        errors.setdefault(field, []).append(_("Нужно число."))
        return None
    if not math.isfinite(number) or not bounds[0] <= number <= bounds[1]:
        errors.setdefault(field, []).append(
            _("Координата вне Москвы: нужно от %(a)s до %(b)s.", a=bounds[0], b=bounds[1])
        )
        return None
    return number


def _build_questions(raw: Any, errors: dict[str, list[str]]) -> list[Question]:
    if not isinstance(raw, list) or not raw:
        errors["questions"] = [_("Добавьте хотя бы один вопрос.")]
        return []
    if len(raw) > MAX_QUESTIONS:
        errors["questions"] = [_("Не больше %(n)s вопросов.", n=MAX_QUESTIONS)]
        return []
    questions = []
    for qi, item in enumerate(raw):
        where = f"questions.{qi}"
        item = item if isinstance(item, dict) else {}
        text = _text(item.get("text"), f"{where}.text", errors, min_length=3, max_length=500)
        try:
            kind = QuestionKind(item.get("kind") or "single")
        except ValueError:
            errors[f"{where}.kind"] = [_("Тип вопроса: single, multiple или open.")]
            kind = QuestionKind.SINGLE
        options_raw = item.get("options") or []
        options = []
        if kind is QuestionKind.OPEN:
            if options_raw:
                errors[f"{where}.options"] = [_("У открытого вопроса нет вариантов.")]
        elif not isinstance(options_raw, list) or len(options_raw) < 2:
            errors[f"{where}.options"] = [_("Нужно не меньше двух вариантов ответа.")]
        elif len(options_raw) > MAX_OPTIONS:
            errors[f"{where}.options"] = [_("Не больше %(n)s вариантов.", n=MAX_OPTIONS)]
        else:
            for oi, opt in enumerate(options_raw):
                options.append(_build_option(opt, f"{where}.options.{oi}", oi, errors))
            texts = [o.text for o in options]
            if len(set(texts)) != len(texts):
                errors.setdefault(f"{where}.options", []).append(_("Варианты повторяются."))
        max_choices = 1
        if kind is QuestionKind.MULTIPLE:
            raw_max = item.get("max_choices")
            if raw_max in (None, ""):
                max_choices = max(1, len(options))
            elif (
                isinstance(raw_max, bool)
                or not isinstance(raw_max, int)
                or not (1 <= raw_max <= max(1, len(options)))
            ):
                errors[f"{where}.max_choices"] = [
                    _("Максимум выборов — от 1 до числа вариантов (%(n)s).", n=len(options))
                ]
            else:
                max_choices = raw_max
        questions.append(
            Question(position=qi, text=text, kind=kind, max_choices=max_choices, options=options)
        )
    return questions


def _build_option(raw: Any, where: str, position: int, errors: dict[str, list[str]]) -> PollOption:
    if isinstance(raw, str):
        raw = {"text": raw}
    raw = raw if isinstance(raw, dict) else {}
    text = _text(raw.get("text"), f"{where}.text", errors, min_length=1, max_length=300)
    description = ""
    if raw.get("description") not in (None, ""):
        description = _text(
            raw.get("description"), f"{where}.description", errors, min_length=1, max_length=2000
        )
    okrug_code = None
    if raw.get("okrug") not in (None, ""):
        okrug = find_okrug(raw["okrug"]) if isinstance(raw["okrug"], str) else None
        if okrug is None:
            errors[f"{where}.okrug"] = [_("Неизвестный округ.")]
        else:
            okrug_code = okrug.code
    lat = _number(raw.get("lat"), f"{where}.lat", LAT_RANGE, errors)
    lon = _number(raw.get("lon"), f"{where}.lon", LON_RANGE, errors)
    if (
        (lat is None) != (lon is None)
        and f"{where}.lat" not in errors
        and f"{where}.lon" not in errors
    ):
        errors[f"{where}.lat"] = [_("Укажите обе координаты или ни одной.")]
    return PollOption(
        position=position, text=text, description=description, okrug=okrug_code, lat=lat, lon=lon
    )


def _schedule(opens_at: Any, closes_at: Any, errors: dict[str, list[str]]) -> None:
    for name, value in (("opens_at", opens_at), ("closes_at", closes_at)):
        if value is not None and (not isinstance(value, datetime) or value.tzinfo is None):
            errors[name] = [_("Нужны дата и время с часовым поясом.")]
    if (
        isinstance(opens_at, datetime)
        and isinstance(closes_at, datetime)
        and opens_at.tzinfo
        and closes_at.tzinfo
        and closes_at <= opens_at
    ):
        errors["closes_at"] = [_("Опрос должен закрываться позже, чем открывается.")]


def create_poll(
    author: User,
    *,
    title: Any,
    description: Any = "",
    questions: Any,
    audience: Any = "everyone",
    results: Any = "after_close",
    opens_at: datetime | None = None,
    closes_at: datetime | None = None,
    follow_up_of: Poll | None = None,
) -> Poll:
    """A draft poll; nothing is stored unless every field is right (all problems at once)."""
    poll = Poll(
        created_by_id=author.id,
        status=PollStatus.DRAFT,
        follow_up_of_id=follow_up_of.id if follow_up_of else None,
    )
    _apply(
        poll,
        title=title,
        description=description,
        questions=questions,
        audience=audience,
        results=results,
        opens_at=opens_at,
        closes_at=closes_at,
    )
    db.session.add(poll)
    db.session.flush()
    return poll


def update_poll(poll: Poll, **fields: Any) -> Poll:
    """Change a draft; only the fields given change. Open and closed polls are frozen."""
    if poll.status is not PollStatus.DRAFT:
        raise Conflict(_("Изменять можно только черновик опроса."))
    current = {
        "title": poll.title,
        "description": poll.description,
        "questions": None,
        "audience": "everyone"
        if poll.is_for_everyone
        else {"okrugs": poll.audience_okrugs, "districts": poll.audience_districts},
        "results": poll.results_visibility.value,
        "opens_at": poll.opens_at,
        "closes_at": poll.closes_at,
    }
    current.update(fields)
    _apply(poll, **current)
    db.session.flush()
    return poll


def _apply(poll: Poll, **f: Any) -> None:
    errors: dict[str, list[str]] = {}
    title = _text(f["title"], "title", errors, min_length=3, max_length=200)
    description = ""
    if f.get("description") not in (None, ""):
        description = _text(
            f["description"], "description", errors, min_length=1, max_length=10_000
        )
    questions = _build_questions(f["questions"], errors) if f["questions"] is not None else None
    okrugs, districts = _audience(f["audience"], errors)
    try:
        visibility = ResultsVisibility(f["results"] or "after_close")
    except ValueError:
        errors["results"] = [_("Результаты: live или after_close.")]
        visibility = ResultsVisibility.AFTER_CLOSE
    _schedule(f["opens_at"], f["closes_at"], errors)
    if errors:
        raise Invalid(_("Проверьте выделенные поля."), errors=errors)
    poll.title = title
    poll.description = description
    poll.audience_okrugs = okrugs
    poll.audience_districts = districts
    poll.results_visibility = visibility
    poll.opens_at = f["opens_at"]
    poll.closes_at = f["closes_at"]
    if questions is not None:
        poll.questions = questions


def open_poll(poll: Poll, now: datetime | None = None) -> Poll:
    """Publish a draft: it accepts votes from `opens_at` (or now) until `closes_at`."""
    now = now or utcnow()
    if poll.status is not PollStatus.DRAFT:
        raise Conflict(_("Открыть можно только черновик."))
    if not poll.questions:
        raise Invalid(_("В опросе нет вопросов."), errors={"questions": [_("Добавьте вопрос.")]})
    if poll.closes_at is not None and poll.closes_at <= now:
        raise Invalid(
            _("Время закрытия уже прошло."), errors={"closes_at": [_("Время закрытия прошло.")]}
        )
    poll.status = PollStatus.OPEN
    poll.opened_at = now
    db.session.flush()
    return poll


def close_poll(poll: Poll, now: datetime | None = None) -> Poll:
    """Stop voting, seal the ballots into the ledger and freeze the results.

    The UPDATE takes the poll's row lock: it waits for votes in flight (each holds a share
    lock on the row) and any vote after it sees the poll closed, so the ledger has exactly
    the ballots that were accepted.
    """
    now = now or utcnow()
    if poll.status is not PollStatus.OPEN:
        raise Conflict(_("Закрыть можно только открытый опрос."))
    closed_at = min(now, poll.closes_at) if poll.closes_at else now
    changed = db.session.execute(
        update(Poll)
        .where(Poll.id == poll.id, Poll.status == PollStatus.OPEN)
        .values(status=PollStatus.CLOSED, closed_at=closed_at)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(poll)
    if not changed:
        raise Conflict(_("Опрос уже закрыт."))
    leaves = db.session.scalars(
        select(Ballot.leaf_hash).where(Ballot.poll_id == poll.id).order_by(Ballot.leaf_hash)
    ).all()
    poll.ledger_root = merkle_root(leaves)
    poll.ledger_size = len(leaves)
    db.session.flush()
    from voting.results import refresh_tally

    refresh_tally(poll, final=True)
    return poll


def refresh_status(poll: Poll, now: datetime | None = None) -> bool:
    """Close a poll whose closing time has passed (no scheduler needed); True if it did."""
    now = now or utcnow()
    if poll.status is PollStatus.OPEN and poll.closes_at is not None and poll.closes_at <= now:
        try:
            close_poll(poll, now)
        except Conflict:  # another request closed it first
            db.session.refresh(poll)
            return False
        return True
    return False


def delete_draft(poll: Poll) -> None:
    if poll.status is not PollStatus.DRAFT:
        raise Conflict(_("Удалить можно только черновик."))
    db.session.delete(poll)
    db.session.flush()


# ---------------------------------------------------------------- voting


def check_can_vote(user: User, poll: Poll, now: datetime | None = None) -> None:
    """Raise the reason this user may not vote in this poll now (blocked and unverified users
    are refused by `require_user` before this)."""
    if user.is_blocked:
        raise Forbidden(
            _("Ваш аккаунт заблокирован: голосовать нельзя."), extra={"reason": "blocked"}
        )
    if not user.is_verified:
        raise Forbidden(_("Сначала подтвердите аккаунт кодом."), extra={"reason": "not_verified"})
    state = phase(poll, now)
    if state == "scheduled":
        raise PollNotOpen(_("Голосование ещё не началось."), extra={"reason": "not_started"})
    if state != "open":
        raise PollNotOpen(_("Голосование закрыто."), extra={"reason": "closed"})
    if not in_audience(user, poll):
        raise NotInAudience(
            _("Этот опрос — для жителей других округов или районов."),
            extra={"reason": "not_in_audience"},
        )


def _bad(field: str, message: str) -> Invalid:
    return Invalid(message, errors={field: [message]})


def normalize_answers(poll: Poll, answers: Any) -> list[dict[str, Any]]:
    """Check a ballot against the poll; return its answers in canonical form.

    Every choice question must be answered; open questions may be left blank.
    """
    if not isinstance(answers, list) or not answers:
        raise _bad("answers", _("Пустой бюллетень: ответьте на вопросы."))
    questions = {q.id: q for q in poll.questions}
    seen: set[int] = set()
    result: list[dict[str, Any]] = []
    for index, answer in enumerate(answers):
        where = f"answers.{index}"
        if not isinstance(answer, dict):
            raise _bad(where, _("Нужен объект ответа."))
        question = questions.get(answer.get("question_id"))  # type: ignore[arg-type]
        if question is None:
            raise _bad(f"{where}.question_id", _("Такого вопроса в этом опросе нет."))
        if question.id in seen:
            raise _bad(f"{where}.question_id", _("На вопрос можно ответить только один раз."))
        seen.add(question.id)
        if question.kind is QuestionKind.OPEN:
            if answer.get("option_ids"):
                raise _bad(f"{where}.option_ids", _("На открытый вопрос отвечают текстом."))
            raw = answer.get("text")
            if raw is None or (isinstance(raw, str) and not raw.strip()):
                continue
            text, problems = check_text(
                raw, min_length=2, max_length=OPEN_ANSWER_MAX, multiline=True
            )
            if any(0xD800 <= ord(ch) <= 0xDFFF for ch in text):
                problems.append(_("Текст содержит недопустимые символы."))
            if problems:
                raise Invalid(problems[0], errors={f"{where}.text": problems})
            result.append({"question_id": question.id, "text": text})
            continue
        if answer.get("text") not in (None, ""):
            raise _bad(f"{where}.text", _("На этот вопрос отвечают выбором вариантов."))
        ids = answer.get("option_ids")
        if not isinstance(ids, list) or not ids:
            raise _bad(f"{where}.option_ids", _("Выберите вариант ответа."))
        if any(isinstance(i, bool) or not isinstance(i, int) for i in ids):
            raise _bad(f"{where}.option_ids", _("Номера вариантов — целые числа."))
        if len(set(ids)) != len(ids):
            raise _bad(f"{where}.option_ids", _("Вариант выбран дважды."))
        allowed = {o.id for o in question.options}
        if not set(ids) <= allowed:
            raise _bad(f"{where}.option_ids", _("Такого варианта нет в этом вопросе."))
        if len(ids) > question.max_choices:
            raise _bad(
                f"{where}.option_ids",
                _("Можно выбрать не больше %(n)s.", n=question.max_choices),
            )
        result.append({"question_id": question.id, "option_ids": sorted(ids)})
    missing = [q for q in poll.questions if q.kind is not QuestionKind.OPEN and q.id not in seen]
    if missing:
        raise Invalid(
            _("Ответьте на все вопросы с вариантами."),
            errors={"answers": [_("Нет ответа на вопрос: %(q)s", q=q.text) for q in missing]},
        )
    if not result:
        raise _bad("answers", _("Пустой бюллетень: ответьте на вопросы."))
    return sorted(result, key=lambda a: a["question_id"])


def new_receipt() -> str:
    """128 random bits, shown in groups of four for reading aloud or copying."""
    raw = secrets.token_hex(16).upper()
    return "-".join(raw[i : i + 4] for i in range(0, len(raw), 4))


def _keyed_hash(value: str | None) -> str | None:
    if not value:
        return None
    key = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(key, value.encode("utf-8", "replace"), hashlib.sha256).hexdigest()[:32]


def ballot_rows(
    poll_id: int,
    okrug: str | None,
    at: datetime,
    answers: list[dict[str, Any]],
    receipt_digest: str,
) -> tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]]:
    """The rows of one anonymous ballot: the ballot (with its canonical content and leaf
    hash), its chosen options and its free-text answers. Only the hour of `at` is kept."""
    hour = at.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    ballot_id = uuid.uuid4().hex
    content = {
        "id": ballot_id,
        "poll_id": poll_id,
        "okrug": okrug,
        "hour": hour.isoformat(),
        "receipt_hash": receipt_digest,
        "answers": answers,
    }
    ballot = {
        "id": ballot_id,
        "poll_id": poll_id,
        "receipt_hash": receipt_digest,
        "okrug": okrug,
        "cast_hour": hour,
        "content": canonical(content).decode("utf-8"),
        "leaf_hash": leaf_hash(content),
    }
    choices = [
        {"ballot_id": ballot_id, "option_id": oid, "poll_id": poll_id, "okrug": okrug}
        for answer in answers
        for oid in answer.get("option_ids", [])
    ]
    texts = [
        {"ballot_id": ballot_id, "question_id": a["question_id"], "text": a["text"]}
        for a in answers
        if "text" in a
    ]
    return ballot, choices, texts


@dataclass(frozen=True)
class OptionShape:
    id: int


@dataclass(frozen=True)
class QuestionShape:
    id: int
    text: str
    kind: QuestionKind
    max_choices: int
    options: tuple[OptionShape, ...]


@dataclass(frozen=True)
class PollShape:
    """What voting needs of a poll: its state (read under a share lock) and its questions."""

    id: int
    status: PollStatus
    opens_at: datetime | None
    closes_at: datetime | None
    audience_okrugs: tuple[str, ...]
    audience_districts: tuple[str, ...]
    questions: tuple[QuestionShape, ...]

    @property
    def is_for_everyone(self) -> bool:
        return not self.audience_okrugs and not self.audience_districts


# Questions and options never change once a poll is open, so each process keeps them; the
# key has the opening time, so a poll id reused by another database is never confused.
_SHAPES: dict[tuple[str, int, datetime | None], tuple[QuestionShape, ...]] = {}
_SHAPES_MAX = 512


def _questions_of(
    poll_id: int, status: PollStatus, opened_at: datetime | None
) -> tuple[QuestionShape, ...]:
    key = (str(db.engine.url), poll_id, opened_at)
    cached = _SHAPES.get(key)
    if cached is not None and status is not PollStatus.DRAFT:
        return cached
    options: dict[int, list[OptionShape]] = {}
    for question_id, option_id in db.session.execute(
        select(PollOption.question_id, PollOption.id)
        .join(Question, Question.id == PollOption.question_id)
        .where(Question.poll_id == poll_id)
        .order_by(PollOption.position, PollOption.id)
    ):
        options.setdefault(question_id, []).append(OptionShape(option_id))
    questions = tuple(
        QuestionShape(q.id, q.text, q.kind, q.max_choices, tuple(options.get(q.id, ())))
        for q in db.session.execute(
            select(Question.id, Question.text, Question.kind, Question.max_choices)
            .where(Question.poll_id == poll_id)
            .order_by(Question.position, Question.id)
        )
    )
    if status is not PollStatus.DRAFT:
        if len(_SHAPES) >= _SHAPES_MAX:
            _SHAPES.clear()
        _SHAPES[key] = questions
    return questions


def cast_ballot(
    voter: User,
    poll_id: int,
    answers: Any,
    *,
    address: str | None = None,
    device: str | None = None,
    now: datetime | None = None,
) -> str:
    """Record that `voter` took part and, apart from it, their anonymous ballot.

    Returns the receipt, which is shown to the voter once and never stored (the ballot keeps
    its hash). A second ballot by the same person fails on the database's UNIQUE(poll, user),
    however the requests interleave. The poll's row is read under a share lock first:
    closing waits for this vote to finish, or this vote sees the poll closed.
    """
    now = now or utcnow()
    # Core statements on the session's connection: the hot path skips ORM bookkeeping.
    conn = db.session.connection()
    row = conn.execute(
        select(
            Poll.status,
            Poll.opens_at,
            Poll.closes_at,
            Poll.audience_okrugs,
            Poll.audience_districts,
            Poll.opened_at,
        )
        .where(Poll.id == poll_id)
        .with_for_update(read=True)
    ).one_or_none()
    if row is None or (row.status is PollStatus.DRAFT and not is_staff(voter)):
        raise NotFound(_("Опрос не найден."))
    poll = PollShape(
        id=poll_id,
        status=row.status,
        opens_at=row.opens_at,
        closes_at=row.closes_at,
        audience_okrugs=tuple(row.audience_okrugs or ()),
        audience_districts=tuple(row.audience_districts or ()),
        questions=_questions_of(poll_id, row.status, row.opened_at),
    )
    check_can_vote(voter, poll, now)  # type: ignore[arg-type]
    normalized = normalize_answers(poll, answers)  # type: ignore[arg-type]
    receipt = new_receipt()
    ballot, choices, texts = ballot_rows(
        poll.id, voter.okrug_code, now, normalized, receipt_hash(receipt)
    )
    try:
        conn.execute(
            insert(Participation).values(
                poll_id=poll.id,
                user_id=voter.id,
                created_at=now,
                address_hash=_keyed_hash(address),
                device_hash=_keyed_hash(device),
            )
        )
    except IntegrityError:
        raise AlreadyVoted(_("Вы уже проголосовали в этом опросе.")) from None
    conn.execute(insert(Ballot).values(**ballot))
    if choices:
        conn.execute(insert(BallotChoice), choices)
    if texts:
        conn.execute(insert(BallotText), texts)
    award_points(voter.id, VOTE_POINTS, POINTS_REASON, "poll", poll.id)
    return receipt


# ---------------------------------------------------------------- after closing


def require_closed(poll: Poll) -> None:
    if poll.status is not PollStatus.CLOSED:
        raise Conflict(
            _("Бюллетени и квитанции публикуются после закрытия опроса."),
            extra={"reason": "not_closed"},
        )


HASHING = (
    "leaf = sha256(0x00 || canonical JSON of the ballot: sorted keys, no spaces, UTF-8); "
    "node = sha256(0x01 || left || right); leaves sorted by hash; an odd last node moves up; "
    "check with `python -m voting.verify ballots.json`"
)


def ballots_document(poll: Poll, batch: int = 5000) -> Iterator[str]:
    """`ballots.json` in pieces: the ledger's head, then every ballot exactly as hashed, in
    ledger order. The pieces are read on a connection of their own, so the response can be
    streamed after the request's context is gone."""
    import json

    require_closed(poll)
    head = {
        "poll_id": poll.id,
        "ledger_root": poll.ledger_root,
        "ledger_size": poll.ledger_size,
        "hashing": HASHING,
    }
    engine = db.engine
    stmt = select(Ballot.content).where(Ballot.poll_id == poll.id).order_by(Ballot.leaf_hash)

    def generate() -> Iterator[str]:
        yield json.dumps(head, ensure_ascii=False)[:-1] + ', "ballots": ['
        with engine.connect() as conn:
            rows = conn.execution_options(yield_per=batch).execute(stmt)
            for index, (content,) in enumerate(rows):
                yield ("," if index else "") + "\n" + content
        yield "\n]}\n"

    return generate()


def get_receipt_proof(poll: Poll, receipt: str) -> dict[str, Any]:
    """The ballot a receipt names and its Merkle path to the published root; 404 otherwise."""
    from voting.verify import merkle_proof

    require_closed(poll)
    receipt = (receipt or "").strip().upper()
    ballot = db.session.scalar(
        select(Ballot).where(
            Ballot.poll_id == poll.id, Ballot.receipt_hash == receipt_hash(receipt)
        )
    )
    if ballot is None or len(receipt) > 64:
        raise NotFound(_("Квитанция не найдена в этом опросе."))
    leaves = db.session.scalars(
        select(Ballot.leaf_hash).where(Ballot.poll_id == poll.id).order_by(Ballot.leaf_hash)
    ).all()
    return {
        "poll_id": poll.id,
        "ledger_root": poll.ledger_root,
        "leaf_hash": ballot.leaf_hash,
        "ballot": _json_loads(ballot.content),
        "proof": merkle_proof(leaves, ballot.leaf_hash),
    }


def _json_loads(text: str) -> dict[str, Any]:
    import json

    return json.loads(text)  # type: ignore[no-any-return]


def publish_decision(poll: Poll, text: Any, now: datetime | None = None) -> Poll:
    """Publish what the city decided on the results; the voters are told (in a job)."""
    if poll.status is not PollStatus.CLOSED:
        raise Conflict(_("Решение публикуется после закрытия опроса."))
    errors: dict[str, list[str]] = {}
    value = _text(text, "text", errors, min_length=10, max_length=10_000)
    if errors:
        raise Invalid(_("Проверьте текст решения."), errors=errors)
    first = poll.decided_at is None
    poll.decision_text = value
    poll.decided_at = now or utcnow()
    db.session.flush()
    if first:
        enqueue(NOTIFY_JOB, {"poll_id": poll.id})
    return poll


@register_job(NOTIFY_JOB)
def notify_decision(ctx: Any = None, *, poll_id: int, batch: int = 500) -> dict[str, int]:
    """Tell everyone who took part in the poll that its decision is published."""
    from app.notifications.services import notify

    poll = db.session.get(Poll, poll_id)
    if poll is None or poll.decision_text is None:
        return {"notified": 0}
    user_ids = db.session.scalars(
        select(Participation.user_id)
        .where(Participation.poll_id == poll_id)
        .order_by(Participation.user_id)
    ).all()
    subject = _("Решение по опросу «%(title)s»", title=poll.title)
    link = f"/polls/{poll.id}/results"
    for start in range(0, len(user_ids), batch):
        users = db.session.scalars(
            select(User).where(User.id.in_(user_ids[start : start + batch]))
        ).all()
        notify(users, "poll_decision", subject, poll.decision_text, link=link)
        db.session.commit()  # progress is written on another connection: end this write first
        if ctx is not None:
            ctx.progress(min(1.0, (start + batch) / max(1, len(user_ids))), "notified")
    return {"notified": len(user_ids)}


def okrug_label(code: str | None) -> str:
    okrug = find_okrug(code) if code else None
    return okrug.abbrev if okrug else "—"


def district_okrug(code: str | None) -> str | None:
    district = get_district(code)
    return district.okrug_code if district else None


def sort_options(options: Sequence[PollOption]) -> list[PollOption]:
    return sorted(options, key=lambda o: (o.position, o.id))
