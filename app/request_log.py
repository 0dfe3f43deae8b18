"""Request ids and structured logs.

Every request gets an id (the caller's `X-Request-ID` if it is sane, else a new one) that is
echoed in the response and attached to every log record written while it is handled, so one
request can be followed across web and worker logs. `LOG_FORMAT=json` writes JSON lines.
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


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = g.get("request_id", "-") if has_request_context() else "-"
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
    """One access log line (at INFO; callers check `access_log.isEnabledFor` first)."""
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
