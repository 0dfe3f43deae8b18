"""Polls: reading them, who sees what, opening and closing (with the ledger), decisions.

Drafting is in `voting.drafting`, casting ballots in `voting.ballots`, the published ledger in
`voting.ledger`. Services take explicit arguments, flush and never commit; they raise domain
errors.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select, update

from app.auth.models import Role, User
from app.db import utcnow
from app.districts import find_okrug
from app.errors import Conflict, Invalid, NotFound
from app.extensions import db
from app.jobs import enqueue, register_job
from app.text import check_text
from voting.models import Ballot, Participation, Poll, PollStatus, ResultsVisibility
from voting.verify import merkle_root

NOTIFY_JOB = "voting.notify_decision"


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


def results_are_final(poll: Poll) -> bool:
    """The results are the same for everyone and will not change (the poll has closed):
    the only ones shared caches may keep. A live tally, or results only staff may see yet,
    are not."""
    return poll.status is PollStatus.CLOSED


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


# ---------------------------------------------------------------- opening, closing, deciding


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


def publish_decision(poll: Poll, text: Any, now: datetime | None = None) -> Poll:
    """Publish what the city decided on the results; the voters are told (in a job)."""
    if poll.status is not PollStatus.CLOSED:
        raise Conflict(_("Решение публикуется после закрытия опроса."))
    value, problems = check_text(text, min_length=10, max_length=10_000, multiline=True)
    if problems:
        raise Invalid(_("Проверьте текст решения."), errors={"text": problems})
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
