"""Polls: reading them, who sees what, opening and closing (with the ledger), decisions.

Drafting is in `voting.drafting`, casting ballots in `voting.ballots`, the published ledger in
`voting.ledger`. Services take explicit arguments, flush and never commit; they raise domain
errors.
"""

from __future__ import annotations

from collections.abc import Sequence
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
from app.notifications.models import Channel, Notification
from app.text import check_text
from voting import ledger
from voting.models import (
    Participation,
    Poll,
    PollDecisionVersion,
    PollStatus,
    ResultsVisibility,
)

NOTIFY_JOB = "voting.notify_decision"
NOTIFY_CORRECTION_JOB = "voting.notify_decision_corrected"
DECISION_KIND = "poll_decision"
CORRECTION_KIND = "poll_decision_corrected"


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


def results_visible(poll: Poll) -> bool:
    """Whether any tally of the poll may be shown, the same for everyone, staff and admins
    included: once it has closed, or while open if its results are `live`. A poll with results
    `after_close` is counted by no one before it closes (results, exports, charts, the
    ballot bursts of the staff report, the groups of free answers)."""
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
    ledger.seal_waiting_ballots(poll, now)
    from voting.results import seal_tally

    seal_tally(poll, now)
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


def publish_decision(
    poll: Poll, text: Any, actor: User | None, reason: Any = None, now: datetime | None = None
) -> Poll:
    """Publish what the city decided on the results, or correct the published decision.

    The first publication tells everyone who took part (in a job). A published decision is
    never rewritten: a new text is a correction, which needs a `reason`, is kept as the next
    version beside the earlier ones, and tells those who were told of the decision.
    """
    if poll.status is not PollStatus.CLOSED:
        raise Conflict(_("Решение публикуется после закрытия опроса."))
    # The poll's row lock: of two publications at once, the second sees the first's version
    # and is a correction (it needs a reason) instead of a second «first» decision.
    db.session.execute(update(Poll).where(Poll.id == poll.id).values(id=Poll.id))
    db.session.refresh(poll)
    value, why, errors = _check_decision(poll, text, reason)
    if errors:
        detail = _("Проверьте текст решения.")
        if "reason" in errors:
            detail = _("Проверьте текст решения и причину исправления.")
        raise Invalid(detail, errors=errors)
    correcting = poll.decided_at is not None
    record_decision(poll, value, actor, reason=why, now=now)
    enqueue(NOTIFY_CORRECTION_JOB if correcting else NOTIFY_JOB, {"poll_id": poll.id})
    return poll


def _check_decision(
    poll: Poll, text: Any, reason: Any
) -> tuple[str, str | None, dict[str, list[str]]]:
    """The decision's text and, for a correction, its reason, each checked; and the errors."""
    errors: dict[str, list[str]] = {}
    value, problems = check_text(text, min_length=10, max_length=10_000, multiline=True)
    if problems:
        errors["text"] = problems
    if poll.decided_at is None:
        if reason not in (None, ""):
            errors["reason"] = [
                _("Причина указывается только при исправлении опубликованного решения.")
            ]
        return value, None, errors
    why, problems = check_text(reason, min_length=5, max_length=2000, multiline=True)
    if reason is None or not why:
        problems = [
            _("Решение уже опубликовано: чтобы исправить его, укажите причину исправления.")
        ]
    if problems:
        errors["reason"] = problems
    if "text" not in errors and value == poll.decision_text:
        errors["text"] = [_("Текст совпадает с опубликованным решением: исправлять нечего.")]
    return value, why, errors


def record_decision(
    poll: Poll,
    text: str,
    actor: User | None,
    *,
    reason: str | None = None,
    now: datetime | None = None,
) -> PollDecisionVersion:
    """Keep `text` as the decision's next version and make it the poll's current decision.

    Nobody is told here: `publish_decision` tells people; the demo, whose voters are
    fictional, records its decision without telling anyone.
    """
    now = now or utcnow()
    version = PollDecisionVersion(
        poll_id=poll.id,
        version=len(poll.decision_versions) + 1,
        text=text,
        reason=reason,
        published_at=now,
        published_by_id=actor.id if actor is not None else None,
    )
    poll.decision_versions.append(version)
    poll.decision_text, poll.decided_at = text, now
    db.session.flush()
    return version


def decision_history(poll: Poll) -> dict[str, Any] | None:
    """The current decision with every version, oldest first, as JSON (results and API)."""
    if poll.decision_text is None or poll.decided_at is None:
        return None
    versions = [
        {
            "version": v.version,
            "text": v.text,
            "reason": v.reason,
            "published_at": v.published_at.isoformat(),
        }
        for v in poll.decision_versions
    ]
    return {
        "text": poll.decision_text,
        "published_at": poll.decided_at.isoformat(),
        "version": len(versions),
        "versions": versions,
    }


def decision_link(poll_id: int) -> str:
    """Where a decision notification points: also how those told of it are found again."""
    return f"/polls/{poll_id}/results"


@register_job(NOTIFY_JOB)
def notify_decision(ctx: Any = None, *, poll_id: int, batch: int = 500) -> dict[str, int]:
    """Tell everyone who took part in the poll that its decision is published."""
    poll = db.session.get(Poll, poll_id)
    if poll is None or poll.decision_text is None:
        return {"notified": 0}
    user_ids = db.session.scalars(
        select(Participation.user_id)
        .where(Participation.poll_id == poll_id)
        .order_by(Participation.user_id)
    ).all()
    subject = _("Решение по опросу «%(title)s»", title=poll.title)
    return _tell(ctx, user_ids, DECISION_KIND, subject, poll.decision_text, poll_id, batch)


@register_job(NOTIFY_CORRECTION_JOB)
def notify_decision_corrected(ctx: Any = None, *, poll_id: int, batch: int = 500) -> dict[str, int]:
    """Tell exactly those who were told of the poll's decision that it was corrected, and why.

    They are found from the decision notifications themselves, so a correction made before
    the first notice went out tells no one twice: that notice carries the corrected text.
    """
    poll = db.session.get(Poll, poll_id)
    if poll is None or len(poll.decision_versions) < 2:
        return {"notified": 0}
    current = poll.decision_versions[-1]
    user_ids = db.session.scalars(
        select(Notification.user_id)
        .where(
            Notification.kind == DECISION_KIND,
            Notification.link == decision_link(poll_id),
            Notification.channel == Channel.SITE,
        )
        .distinct()
        .order_by(Notification.user_id)
    ).all()
    subject = _("Решение по опросу «%(title)s» исправлено", title=poll.title)
    body = _(
        "Решение исправлено. Причина: %(reason)s\n\nНовая редакция:\n%(text)s",
        reason=current.reason or "",
        text=current.text,
    )
    return _tell(ctx, user_ids, CORRECTION_KIND, subject, body, poll_id, batch)


def _tell(
    ctx: Any, user_ids: Sequence[int], kind: str, subject: str, body: str, poll_id: int, batch: int
) -> dict[str, int]:
    from app.notifications.services import notify

    for start in range(0, len(user_ids), batch):
        users = db.session.scalars(
            select(User).where(User.id.in_(user_ids[start : start + batch]))
        ).all()
        notify(users, kind, subject, body, link=decision_link(poll_id))
        db.session.commit()  # progress is written on another connection: end this write first
        if ctx is not None:
            ctx.progress(min(1.0, (start + batch) / max(1, len(user_ids))), "notified")
    return {"notified": len(user_ids)}
