"""Delivery backends. Development logs messages; production sends e-mail over SMTP."""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Protocol

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class OutgoingMessage:
    to: str
    subject: str
    body: str


class Sender(Protocol):
    def send(self, message: OutgoingMessage) -> None: ...


class LogSender:
    """Writes each message to the log: how codes reach a developer with no mail server."""

    def send(self, message: OutgoingMessage) -> None:
        log.info("outbox → %s | %s | %s", message.to, message.subject, message.body)


@dataclass
class SMTPSender:
    host: str
    port: int
    sender: str
    user: str | None = None
    password: str | None = None
    starttls: bool = True
    timeout: float = 10.0

    def send(self, message: OutgoingMessage) -> None:
        email = EmailMessage()
        email["From"] = self.sender
        email["To"] = message.to
        email["Subject"] = message.subject
        email.set_content(message.body)
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
            if self.starttls:
                smtp.starttls()
            if self.user:
                smtp.login(self.user, self.password or "")
            smtp.send_message(email)


def sender_from_config(config: dict[str, object]) -> Sender:
    host = config.get("SMTP_HOST")
    if not host:
        return LogSender()
    return SMTPSender(
        host=str(host),
        port=int(config.get("SMTP_PORT") or 587),  # type: ignore[arg-type]
        sender=str(config.get("MAIL_SENDER")),
        user=config.get("SMTP_USER"),  # type: ignore[arg-type]
        password=config.get("SMTP_PASSWORD"),  # type: ignore[arg-type]
        starttls=bool(config.get("SMTP_STARTTLS")),
    )
