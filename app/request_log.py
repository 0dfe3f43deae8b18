"""Request ids, structured logs, and the paths no log may show.

Every request gets an id (the caller's `X-Request-ID` if it is sane, else a new one) that is
echoed in the response and attached to every log record written while it is handled, so one
request can be followed across web and worker logs. `LOG_FORMAT=json` writes JSON lines.

Some paths carry a secret, or are asked by a person about a secret (a ballot's receipt): a
log line naming the person beside it would tie them to their ballot. The packages that own
such routes register the path segment (`register_private_segment`); `redact_path` is the one
definition of what is hidden, used by the app's access log, its error log and gunicorn's
access log (app/gunicorn_log.py) alike. A private request's line names no user and no
address, and everything after the segment (further path, query string) is `[redacted]`.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from typing import Any

from flask import Flask, Response, g, has_request_context, request
from sqlalchemy import inspect

_SANE_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
access_log = logging.getLogger("app.access")
REDACTED = "[redacted]"
_private_segments: set[str] = set()
_private_pattern: re.Pattern[str] | None = None


def register_private_segment(name: str) -> None:
    """Mark a path segment as private: the request is a private one, what follows is hidden."""
    global _private_pattern
    _private_segments.add(name)
    names = "|".join(re.escape(n) for n in sorted(_private_segments, key=len, reverse=True))
    # The segment, then what follows it up to the end of the path or URL (a request line or a
    # message keeps its words after a space or a quote).
    _private_pattern = re.compile(rf"(/(?:{names}))(?=[/?;#\s\"']|$)([^\s\"']*)", re.IGNORECASE)


def is_private_path(path: str) -> bool:
    """Whether the request for `path` concerns a secret: its log line names no one."""
    return _private_pattern is not None and _private_pattern.search(path) is not None


def redact_path(text: str) -> str:
    """`text` (a path, URL, request line or message) with what follows each private segment
    replaced by `[redacted]`: `/api/v1/polls/7/receipts/1A2B-…` → `…/receipts/[redacted]`."""
    if _private_pattern is None:
        return text
    return _private_pattern.sub(
        lambda m: f"{m.group(1)}/{REDACTED}" if m.group(2) else m.group(1), text
    )


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = g.get("request_id", "-") if has_request_context() else "-"
        return True


class RedactingFilter(logging.Filter):
    """The net under the explicit redaction: any record whose text shows a private path
    (werkzeug's development server logs every request line) is written redacted."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if is_private_path(message):
            record.msg, record.args = redact_path(message), None
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "-"),
        }
        payload.update(getattr(record, "fields", {}))
        if record.exc_info:
            payload["exception"] = self.formatException(record.exc_info)
        return json.dumps(payload, ensure_ascii=False)


def configure_logging(level_name: str, fmt: str) -> None:
    handler = logging.StreamHandler()
    handler.addFilter(RequestIdFilter())
    handler.addFilter(RedactingFilter())
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s")
        )
    root = logging.getLogger()
    root.handlers = [h for h in root.handlers if not getattr(h, "_grazhdanin", False)]
    handler._grazhdanin = True  # type: ignore[attr-defined]  # ours, replaced on re-configuration
    root.addHandler(handler)
    root.setLevel(getattr(logging, level_name.upper(), logging.INFO))


def _loaded_user_id() -> int | None:
    """The signed-in user's id if this request has loaded them, read without a query.

    The log must not load the user, nor reload one that the request's commit expired: that
    is a query per request, and a failure (a 500 for a vote already stored) when the
    database goes away between the commit and the response.
    """
    holder_id = g.get("token_holder_id")  # set by require_verified_standing
    if holder_id is not None:
        return int(holder_id)
    user = g.get("_login_user")  # where Flask-Login keeps the user it loaded for this request
    if user is None or not user.is_authenticated:
        return None
    identity = inspect(user).identity  # the primary key, kept when attributes expire
    return int(identity[0]) if identity else None


def request_id(supplied: str) -> str:
    """The caller's `X-Request-ID` if it is sane, else a new one."""
    return supplied if _SANE_ID.match(supplied) else uuid.uuid4().hex


def log_access(method: str, path: str, status: int, elapsed_ms: float, user: int | None) -> None:
    """One access log line (at INFO; callers check `access_log.isEnabledFor` first). A private
    path is logged redacted and without the user."""
    if is_private_path(path):
        path, user = redact_path(path), None
    access_log.info(
        "%s %s %s %.1fms",
        method,
        path,
        status,
        elapsed_ms,
        extra={
            "fields": {
                "method": method,
                "path": path,
                "status": status,
                "duration_ms": round(elapsed_ms, 1),
                "user": user,
            }
        },
    )


def init_request_log(app: Flask) -> None:
    @app.before_request
    def start() -> None:
        g.request_id = request_id(request.headers.get("X-Request-ID", ""))
        g.request_started = time.perf_counter()

    @app.after_request
    def finish(response: Response) -> Response:
        response.headers["X-Request-ID"] = g.get("request_id", "")
        if not access_log.isEnabledFor(logging.INFO):
            return response
        elapsed_ms = (time.perf_counter() - g.get("request_started", time.perf_counter())) * 1000
        log_access(
            request.method, request.path, response.status_code, elapsed_ms, _loaded_user_id()
        )
        return response
