"""The notification outbox and the points ledger."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.notifications.models import Channel, DeliveryStatus, Notification
from app.notifications.senders import LogSender, OutgoingMessage
from app.notifications.services import MAX_ATTEMPTS, count_unread, deliver_pending, notify
from app.points.services import award_points, get_balance
from tests.factories import UserFactory


class BrokenSender:
    def send(self, message: OutgoingMessage) -> None:
        raise OSError("SMTP недоступен")


class RecordingSender:
    def __init__(self) -> None:
        self.sent: list[OutgoingMessage] = []

    def send(self, message: OutgoingMessage) -> None:
        self.sent.append(message)


def test_notify_writes_site_message_and_delivers_email(app):
    user = UserFactory()
    notify([user, user], "test", "Тема", "Текст")
    db.session.commit()
    rows = db.session.scalars(select(Notification).order_by(Notification.channel)).all()
    assert sorted(r.channel.value for r in rows) == ["email", "site"]
    assert all(r.status is DeliveryStatus.SENT for r in rows)
    assert count_unread(user) == 1


def pending_email(user, subject="Тема", body="Текст") -> Notification:
    """An e-mail waiting in the outbox, written directly so no delivery job is queued."""
    row = Notification(
        user_id=user.id, channel=Channel.EMAIL, kind="test", subject=subject, body=body
    )
    db.session.add(row)
    db.session.commit()
    return row


def test_delivery_uses_the_sender_with_address_and_text(app):
    user = UserFactory(email="olga@example.ru")
    pending_email(user, "Решение", "Идея опубликована")
    sender = RecordingSender()
    deliver_pending(sender=sender)
    assert [(m.to, m.subject) for m in sender.sent] == [("olga@example.ru", "Решение")]


def test_failed_delivery_is_retried_then_marked_failed(app):
    user = UserFactory()
    pending_email(user)
    for _ in range(MAX_ATTEMPTS - 1):
        deliver_pending(sender=BrokenSender())
        assert db.session.scalar(select(Notification.status)) is DeliveryStatus.PENDING
    deliver_pending(sender=BrokenSender())
    row = db.session.scalar(select(Notification))
    assert row.status is DeliveryStatus.FAILED
    assert "SMTP" in row.last_error


def test_log_sender_logs_the_message(caplog):
    caplog.set_level("INFO")
    LogSender().send(OutgoingMessage(to="a@b.ru", subject="Код", body="123456"))
    assert "123456" in caplog.text


def test_points_are_awarded_once_per_thing(app):
    user = UserFactory()
    assert award_points(user.id, 20, "idea_published", "idea", 1) is not None
    assert award_points(user.id, 20, "idea_published", "idea", 1) is None
    award_points(user.id, 10, "vote", "poll", 1)
    db.session.commit()
    assert get_balance(user.id) == 30
