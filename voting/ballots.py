"""Casting a ballot: who may vote, what a valid ballot is, and the rows it is stored as.

The participation (who) and the ballot (what) are written in one transaction; the database's
UNIQUE(poll, user) on participations makes one ballot per person a fact, whatever the timing.
"""

from __future__ import annotations

import enum
import secrets
import uuid
import weakref
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import Connection, Engine, insert, select
from sqlalchemy.exc import IntegrityError

from app.auth.models import User
from app.auth.services import TokenHolder
from app.db import utcnow
from app.driver_sql import fetch_rows
from app.errors import Conflict, DomainError, Forbidden, Invalid, NotFound
from app.extensions import db
from app.keys import address_hash
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
)
from voting.services import in_audience, is_staff, phase
from voting.verify import canonical, leaf_hash, receipt_hash

VOTE_POINTS = 10
POINTS_REASON = "poll_vote"
OPEN_ANSWER_MAX = 2000


class AlreadyVoted(Conflict):
    code = "already_voted"


class PollNotOpen(Conflict):
    code = "poll_not_open"


class NotInAudience(Forbidden):
    code = "not_in_audience"


def check_can_vote(user: User | TokenHolder, poll: Poll, now: datetime | None = None) -> None:
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
    """What voting needs of a poll: its state, audience, schedule and questions."""

    id: int
    status: PollStatus
    opened_at: datetime | None
    opens_at: datetime | None
    closes_at: datetime | None
    audience_okrugs: tuple[str, ...]
    audience_districts: tuple[str, ...]
    questions: tuple[QuestionShape, ...]

    @property
    def is_for_everyone(self) -> bool:
        return not self.audience_okrugs and not self.audience_districts


# Once a poll is open, everything a vote reads of it is frozen (audience, schedule, questions)
# but its status, so each process keeps open polls, per database engine (tests make many).
# Every write re-checks the status under a share lock, with the opening time: a poll closed
# since it was kept is seen there, and the poll is read again.
_OPEN_POLLS: weakref.WeakKeyDictionary[Engine, dict[int, PollShape]] = weakref.WeakKeyDictionary()
_OPEN_POLLS_MAX = 512
# A poll changes state a few times in its life (opened, closed): a vote that keeps seeing it
# change is asked to try again rather than looping.
_ATTEMPTS = 3


class _Stored(enum.Enum):
    BALLOT = "ballot"
    ALREADY_VOTED = "already_voted"
    POLL_CHANGED = "poll_changed"


def cast_ballot(
    voter: User | TokenHolder,
    poll_id: int,
    answers: Any,
    *,
    address: str | None = None,
    device: str | None = None,
    now: datetime | None = None,
    conn: Connection | None = None,
) -> str:
    """Record that `voter` took part and, apart from it, their anonymous ballot.

    Returns the receipt, which is shown to the voter once and never stored (the ballot keeps
    its hash). A second ballot by the same person fails on the database's UNIQUE(poll, user),
    however the requests interleave. The write holds a share lock on the poll's row and
    checks it is still open: closing waits for this vote to finish, or this vote sees the
    poll closed. `conn` is where to read and write (`app.transactions.statement_connection`
    on the API); by default, the request session's connection.
    """
    now = now or utcnow()
    conn = conn or db.session.connection()
    kept = _OPEN_POLLS.get(conn.engine)
    if kept is None:
        kept = _OPEN_POLLS.setdefault(conn.engine, {})
    cached = kept.get(poll_id)
    poll = cached or _read_poll(conn, poll_id, voter, kept)
    for _attempt in range(_ATTEMPTS):
        try:
            check_can_vote(voter, poll, now)  # type: ignore[arg-type]
            normalized = normalize_answers(poll, answers)  # type: ignore[arg-type]
        except DomainError:
            if poll is not cached:
                raise
            # A refusal is only ever given on the poll as it is now, never on a kept copy.
            cached, poll = None, _reread_poll(conn, poll_id, voter, kept)
            continue
        receipt = new_receipt()
        ballot, choices, texts = ballot_rows(
            poll.id, voter.okrug_code, now, normalized, receipt_hash(receipt)
        )
        participation = {
            "poll_id": poll.id,
            "user_id": voter.id,
            "created_at": now,
            "address_hash": address_hash(address),
            "device_hash": address_hash(device),
        }
        write = _write_in_one_statement if conn.dialect.name == "postgresql" else _write
        outcome = write(conn, poll, participation, ballot, choices, texts)
        if outcome is _Stored.BALLOT:
            return receipt
        if outcome is _Stored.ALREADY_VOTED:
            raise AlreadyVoted(_("Вы уже проголосовали в этом опросе."))
        cached, poll = None, _reread_poll(conn, poll_id, voter, kept)
    raise Conflict(_("Опрос изменился во время голосования: отправьте бюллетень ещё раз."))


def _reread_poll(
    conn: Connection, poll_id: int, voter: User | TokenHolder, kept: dict[int, PollShape]
) -> PollShape:
    """Forget the kept copy and read the poll again. Inside a transaction the share lock
    keeps what is read true until the write; in autocommit the write's own check under
    the lock sees a change, and the poll is read once more."""
    kept.pop(poll_id, None)
    return _read_poll(conn, poll_id, voter, kept)


def _read_poll(
    conn: Connection, poll_id: int, voter: User | TokenHolder, kept: dict[int, PollShape]
) -> PollShape:
    """The poll's current state, read under a share lock; kept for later votes if open."""
    row = conn.execute(
        select(
            Poll.status,
            Poll.opened_at,
            Poll.opens_at,
            Poll.closes_at,
            Poll.audience_okrugs,
            Poll.audience_districts,
        )
        .where(Poll.id == poll_id)
        .with_for_update(read=True)
    ).one_or_none()
    if row is None or (row.status is PollStatus.DRAFT and not is_staff(voter)):
        raise NotFound(_("Опрос не найден."))
    poll = PollShape(
        id=poll_id,
        status=row.status,
        opened_at=row.opened_at,
        opens_at=row.opens_at,
        closes_at=row.closes_at,
        audience_okrugs=tuple(row.audience_okrugs or ()),
        audience_districts=tuple(row.audience_districts or ()),
        questions=_questions_of(conn, poll_id),
    )
    if poll.status is PollStatus.OPEN:
        if len(kept) >= _OPEN_POLLS_MAX:
            kept.clear()
        kept[poll_id] = poll
    return poll


def _questions_of(conn: Connection, poll_id: int) -> tuple[QuestionShape, ...]:
    options: dict[int, list[OptionShape]] = {}
    for question_id, option_id in conn.execute(
        select(PollOption.question_id, PollOption.id)
        .join(Question, Question.id == PollOption.question_id)
        .where(Question.poll_id == poll_id)
        .order_by(PollOption.position, PollOption.id)
    ):
        options.setdefault(question_id, []).append(OptionShape(option_id))
    return tuple(
        QuestionShape(q.id, q.text, q.kind, q.max_choices, tuple(options.get(q.id, ())))
        for q in conn.execute(
            select(Question.id, Question.text, Question.kind, Question.max_choices)
            .where(Question.poll_id == poll_id)
            .order_by(Question.position, Question.id)
        )
    )


def _write(
    conn: Connection,
    poll: PollShape,
    participation: dict[str, Any],
    ballot: dict[str, Any],
    choices: list[dict[str, Any]],
    texts: list[dict[str, Any]],
) -> _Stored:
    """Statement by statement (SQLite: one writer at a time, so the checks cannot race)."""
    current = conn.execute(
        select(Poll.status, Poll.opened_at, Poll.opens_at, Poll.closes_at).where(Poll.id == poll.id)
    ).one_or_none()
    cached = (PollStatus.OPEN, poll.opened_at, poll.opens_at, poll.closes_at)
    if current is None or tuple(current) != cached:
        return _Stored.POLL_CHANGED
    try:
        conn.execute(insert(Participation).values(**participation))
    except IntegrityError:
        return _Stored.ALREADY_VOTED
    conn.execute(insert(Ballot).values(**ballot))
    if choices:
        conn.execute(insert(BallotChoice), choices)
    if texts:
        conn.execute(insert(BallotText), texts)
    award_points(participation["user_id"], VOTE_POINTS, POINTS_REASON, "poll", poll.id)
    return _Stored.BALLOT


# PostgreSQL writes a vote in one round trip: the share lock on the poll and the check that
# it is still open as cached, the participation (a second one does nothing: UNIQUE(poll,
# user)), then, only if it was new, the ballot, its choices and texts, and the points entry
# (as award_points does).
_VOTE_SQL = """
WITH poll AS (
    SELECT id FROM polls
    WHERE id = %(poll_id)s AND status = 'open' AND opened_at = %(opened_at)s
        AND opens_at IS NOT DISTINCT FROM %(opens_at)s
        AND closes_at IS NOT DISTINCT FROM %(closes_at)s
    FOR SHARE
), participation AS (
    INSERT INTO poll_participations (poll_id, user_id, created_at, address_hash, device_hash)
    SELECT id, %(user_id)s, %(created_at)s, %(address_hash)s, %(device_hash)s FROM poll
    ON CONFLICT (poll_id, user_id) DO NOTHING
    RETURNING poll_id
), ballot AS (
    INSERT INTO poll_ballots (id, poll_id, receipt_hash, okrug, cast_hour, content, leaf_hash)
    SELECT %(ballot_id)s, poll_id, %(receipt_hash)s, %(okrug)s, %(cast_hour)s, %(content)s,
        %(leaf_hash)s
    FROM participation
    RETURNING id, poll_id, okrug
), choices AS (
    INSERT INTO poll_ballot_choices (ballot_id, option_id, poll_id, okrug)
    SELECT ballot.id, option_id, ballot.poll_id, ballot.okrug
    FROM ballot, unnest(%(option_ids)s::integer[]) AS option_id
), texts AS (
    INSERT INTO poll_ballot_texts (ballot_id, question_id, text)
    SELECT ballot.id, answer.question_id, answer.text
    FROM ballot, unnest(%(question_ids)s::integer[], %(texts)s::text[])
        AS answer(question_id, text)
), points AS (
    INSERT INTO points_entries (user_id, amount, reason, ref_type, ref_id, created_at)
    SELECT %(user_id)s, %(points)s, %(reason)s, 'poll', poll_id, %(created_at)s
    FROM participation
    ON CONFLICT (user_id, reason, ref_type, ref_id) DO NOTHING
)
SELECT (SELECT count(*) FROM poll) AS poll_open, (SELECT count(*) FROM ballot) AS stored
"""


def _write_in_one_statement(
    conn: Connection,
    poll: PollShape,
    participation: dict[str, Any],
    ballot: dict[str, Any],
    choices: list[dict[str, Any]],
    texts: list[dict[str, Any]],
) -> _Stored:
    ((poll_open, stored),) = fetch_rows(
        conn,
        _VOTE_SQL,
        {
            **participation,
            "opened_at": poll.opened_at,
            "opens_at": poll.opens_at,
            "closes_at": poll.closes_at,
            "ballot_id": ballot["id"],
            "receipt_hash": ballot["receipt_hash"],
            "okrug": ballot["okrug"],
            "cast_hour": ballot["cast_hour"],
            "content": ballot["content"],
            "leaf_hash": ballot["leaf_hash"],
            "option_ids": [c["option_id"] for c in choices],
            "question_ids": [t["question_id"] for t in texts],
            "texts": [t["text"] for t in texts],
            "points": VOTE_POINTS,
            "reason": POINTS_REASON,
        },
    )
    if not poll_open:
        return _Stored.POLL_CHANGED
    return _Stored.BALLOT if stored else _Stored.ALREADY_VOTED
