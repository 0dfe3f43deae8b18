"""Writing to the outbox and delivering what waits in it."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from flask import current_app
from sqlalchemy import func, select, update

from app.auth.models import User
from app.db import utcnow
from app.extensions import db
from app.jobs import JobContext, enqueue, register_job
from app.jobs.models import Job
from app.notifications.models import Channel, DeliveryStatus, Notification
from app.notifications.senders import OutgoingMessage, Sender, sender_from_config

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
DELIVERY_JOB = "notifications.deliver"


def notify(
    users: Iterable[User],
    kind: str,
    subject: str,
    body: str,
    *,
    link: str | None = None,
    channels: Iterable[Channel] = (Channel.SITE, Channel.EMAIL),
) -> list[Notification]:
    """Queue one message to each user (once per user) on each channel; deliver after commit."""
    channels = tuple(channels)
    now = utcnow()
    created: list[Notification] = []
    seen: set[int] = set()
    for user in users:
        if user.id in seen:
            continue
        seen.add(user.id)
        for channel in channels:
            on_site = channel is Channel.SITE
            created.append(
                Notification(
                    user_id=user.id,
                    channel=channel,
                    kind=kind,
                    subject=subject[:200],
                    body=body,
                    link=link,
                    status=DeliveryStatus.SENT if on_site else DeliveryStatus.PENDING,
                    sent_at=now if on_site else None,
                )
            )
    db.session.add_all(created)
    db.session.flush()
    if any(n.channel is not Channel.SITE for n in created):
        request_delivery()
    return created


def request_delivery() -> Job:
    return enqueue(DELIVERY_JOB, {})


@register_job(DELIVERY_JOB)
def deliver_pending(
    ctx: JobContext | None = None, *, limit: int = 500, sender: Sender | None = None
) -> dict[str, int]:
    """Send waiting e-mail/SMS rows; failures are retried up to MAX_ATTEMPTS times."""
    sender = sender or sender_from_config(current_app.config)
    rows = db.session.scalars(
        select(Notification)
        .where(Notification.status == DeliveryStatus.PENDING, Notification.channel != Channel.SITE)
        .order_by(Notification.id)
        .limit(limit)
    ).all()
    sent = failed = 0
    for row in rows:
        user = db.session.get(User, row.user_id)
        if user is None:
            continue
        address = user.email if row.channel is Channel.EMAIL else (user.phone or user.email)
        row.attempts += 1
        try:
            sender.send(OutgoingMessage(to=address, subject=row.subject, body=row.body))
        except Exception as exc:
            row.last_error = str(exc)[:500]
            if row.attempts >= MAX_ATTEMPTS:
                row.status = DeliveryStatus.FAILED
            failed += 1
            log.warning("delivery of notification %s failed: %s", row.id, exc)
        else:
            row.status = DeliveryStatus.SENT
            row.sent_at = utcnow()
            sent += 1
    db.session.commit()
    return {"sent": sent, "failed": failed}


def list_inbox(user: User, limit: int = 100) -> list[Notification]:
    return list(
        db.session.scalars(
            select(Notification)
            .where(Notification.user_id == user.id, Notification.channel == Channel.SITE)
            .order_by(Notification.created_at.desc(), Notification.id.desc())
            .limit(limit)
        )
    )


def count_unread(user: User) -> int:
    return (
        db.session.scalar(
            select(func.count())
            .select_from(Notification)
            .where(
                Notification.user_id == user.id,
                Notification.channel == Channel.SITE,
                Notification.read_at.is_(None),
            )
        )
        or 0
    )


def mark_all_read(user: User) -> None:
    db.session.execute(
        update(Notification)
        .where(
            Notification.user_id == user.id,
            Notification.channel == Channel.SITE,
            Notification.read_at.is_(None),
        )
        .values(read_at=utcnow())
    )
