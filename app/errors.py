"""Errors: RFC 9457 problem+json on the API, friendly HTML pages elsewhere.

Services raise `DomainError` subclasses (no HTTP in them); views and the API let them
propagate, and the handlers here turn them into the right answer for the surface asked.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, jsonify, render_template, request, session
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from pydantic import ValidationError
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException

from app.i18n import SUPPORTED
from app.request_log import redact_path

log = logging.getLogger(__name__)

PROBLEM_MIMETYPE = "application/problem+json"
_STANDARD_MEMBERS = frozenset({"type", "title", "status", "detail", "instance", "errors"})

TITLES: dict[int, Any] = {
    400: _l("Неверный запрос"),
    401: _l("Нужно войти"),
    403: _l("Недостаточно прав"),
    404: _l("Не найдено"),
    405: _l("Метод не поддерживается"),
    409: _l("Конфликт"),
    413: _l("Слишком большой запрос"),
    415: _l("Неподдерживаемый формат"),
    422: _l("Ошибка в данных"),
    429: _l("Слишком много запросов"),
    500: _l("Внутренняя ошибка"),
    503: _l("Сервис временно недоступен"),
}

# How long a client should wait before retrying while the database is away (restart, failover).
RETRY_AFTER_SECONDS = 2
# SQLSTATE classes of a lost or refused connection: 08 connection exception, 57P01 admin
# shutdown, 57P02 crash shutdown, 57P03 cannot connect now (the server is starting up).
_CONNECTION_STATES = ("08", "57P01", "57P02", "57P03")


class DomainError(Exception):
    """A refusal by a service. `status` says which HTTP answer fits it best."""

    status = 400
    code = "bad_request"

    def __init__(
        self,
        detail: str | None = None,
        *,
        errors: dict[str, list[str]] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(detail or self.code)
        self.detail = detail
        self.errors = errors
        self.extra = extra or {}


class NotFound(DomainError):
    status = 404
    code = "not_found"


class Forbidden(DomainError):
    status = 403
    code = "forbidden"


class Unauthorized(DomainError):
    status = 401
    code = "unauthorized"


class Conflict(DomainError):
    status = 409
    code = "conflict"


class TooManyAttempts(DomainError):
    """A try refused until `retry_after` seconds have passed (sent as Retry-After)."""

    status = 429
    code = "too_many_attempts"

    def __init__(self, detail: str, *, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class Invalid(DomainError):
    """Validation failure; `errors` maps field names to messages."""

    status = 422
    code = "validation_error"


def is_api_request() -> bool:
    return request.path.startswith("/api/")


def problem(
    status: int,
    detail: str | None = None,
    *,
    code: str | None = None,
    errors: dict[str, list[str]] | None = None,
    extra: dict[str, Any] | None = None,
) -> Response:
    """Build an `application/problem+json` response."""
    body: dict[str, Any] = {
        "type": f"/api/problems/{code}" if code else "about:blank",
        "title": str(TITLES.get(status, _("Ошибка"))),
        "status": status,
        "detail": detail or str(TITLES.get(status, _("Ошибка"))),
    }
    if errors:
        body["errors"] = errors
    if extra:
        # Extension members never replace the standard ones (RFC 9457, section 3.2).
        body.update({key: value for key, value in extra.items() if key not in _STANDARD_MEMBERS})
    response = jsonify(body)
    response.status_code = status
    response.mimetype = PROBLEM_MIMETYPE
    return response


# Russian (and, through the catalogue, English) wording for pydantic's error types.
_PYDANTIC_MESSAGES: dict[str, Any] = {
    "missing": _l("Обязательное поле."),
    "string_too_short": _l("Слишком коротко: нужно не меньше %(min_length)s символов."),
    "string_too_long": _l("Слишком длинно: можно не больше %(max_length)s символов."),
    "string_type": _l("Нужна строка."),
    "int_type": _l("Нужно целое число."),
    "int_parsing": _l("Нужно целое число."),
    "bool_type": _l("Нужно true или false."),
    "bool_parsing": _l("Нужно true или false."),
    "greater_than_equal": _l("Значение должно быть не меньше %(ge)s."),
    "less_than_equal": _l("Значение должно быть не больше %(le)s."),
    "greater_than": _l("Значение должно быть больше %(gt)s."),
    "less_than": _l("Значение должно быть меньше %(lt)s."),
    "enum": _l("Недопустимое значение; возможные: %(expected)s."),
    "literal_error": _l("Недопустимое значение; возможные: %(expected)s."),
    "list_type": _l("Нужен список."),
    "dict_type": _l("Нужен объект."),
    "model_type": _l("Нужен объект."),
    "too_short": _l("Слишком мало элементов."),
    "too_long": _l("Слишком много элементов."),
    "extra_forbidden": _l("Неизвестное поле."),
    "value_error": _l("Недопустимое значение: %(reason)s"),
    "datetime_parsing": _l("Нужны дата и время в формате ISO 8601."),
    "datetime_from_date_parsing": _l("Нужны дата и время в формате ISO 8601."),
    "timezone_aware": _l("Нужно указать часовой пояс."),
    "float_parsing": _l("Нужно число."),
    "float_type": _l("Нужно число."),
    "json_invalid": _l("Некорректный JSON."),
}


def _message(error: dict[str, Any]) -> str:
    template = _PYDANTIC_MESSAGES.get(error["type"])
    if template is None:
        return str(error.get("msg", _("Недопустимое значение.")))
    context = {key: str(value) for key, value in (error.get("ctx") or {}).items()}
    if error["type"] == "value_error":
        context["reason"] = str(error.get("msg", "")).removeprefix("Value error, ")
    try:
        return str(template) % context
    except (KeyError, TypeError, ValueError):
        return str(error.get("msg"))


def validation_errors(exc: ValidationError) -> dict[str, list[str]]:
    """Map a pydantic error to `{field: [message, ...]}` with dotted field paths."""
    errors: dict[str, list[str]] = {}
    for error in exc.errors(include_url=False):
        loc = [str(part) for part in error.get("loc", ()) if part not in ("body", "query", "path")]
        field = ".".join(loc) or "__root__"
        errors.setdefault(field, []).append(_message(error))
    return errors


def validation_problem(exc: ValidationError) -> Response:
    """flask-openapi3's hook: request validation failures become 422 problems."""
    return problem(
        422, _("Проверьте выделенные поля."), code="validation_error", errors=validation_errors(exc)
    )


def database_unavailable(exc: BaseException) -> bool:
    """Whether the database itself is away (down, restarting, unreachable), not the statement wrong.

    Such a failure is temporary: the pool reconnects by itself once the server is back.
    """
    if isinstance(exc, PoolTimeout):
        return True
    if not isinstance(exc, DBAPIError):
        return False
    if exc.connection_invalidated:
        return True
    # psycopg's errors carry a SQLSTATE, None when the connection could not even be made;
    # SQLite's have none, and its OperationalErrors (a missing table...) are not outages.
    state = getattr(exc.orig, "sqlstate", "")
    return isinstance(exc, OperationalError) and (
        state is None or str(state).startswith(_CONNECTION_STATES)
    )


def _unavailable_response() -> Response | tuple[str, int, dict[str, str]]:
    """503 with Retry-After, built without touching the database (no user, no locale lookup)."""
    lang = session.get("lang")
    if lang not in SUPPORTED:
        lang = request.accept_languages.best_match(SUPPORTED, default="ru")
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
    with force_locale(lang):
        detail = _("База данных временно недоступна. Повторите попытку через несколько секунд.")
        if is_api_request():
            response = problem(503, detail, code="database_unavailable")
            response.headers.update(headers)
            return response
        page = render_template(
            "errors/unavailable.html", lang=lang, title=str(TITLES[503]), detail=detail
        )
        return page, 503, headers


def _render_page_error(status: int, detail: str | None = None) -> tuple[str, int]:
    title = str(TITLES.get(status, _("Ошибка")))
    return render_template("errors/error.html", status=status, title=title, detail=detail), status


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def handle_domain_error(exc: DomainError) -> Any:
        if is_api_request():
            response = problem(
                exc.status, exc.detail, code=exc.code, errors=exc.errors, extra=exc.extra
            )
            if isinstance(exc, TooManyAttempts):
                response.headers["Retry-After"] = str(exc.retry_after)
            return response
        return _render_page_error(exc.status, exc.detail)

    @app.errorhandler(HTTPException)
    def handle_http_error(exc: HTTPException) -> Any:
        status = exc.code or 500
        # Werkzeug's descriptions are English; 404, 413 and 500 read better as the title alone.
        detail = exc.description if status not in (404, 413, 500) else None
        if is_api_request():
            response = problem(status, detail, code=exc.name.lower().replace(" ", "_"))
            if exc.response is not None and "Retry-After" in exc.response.headers:
                response.headers["Retry-After"] = exc.response.headers["Retry-After"]
            return response
        if exc.response is not None:  # a page's own answer, e.g. a form message on 429
            return exc.response
        return _render_page_error(status, detail)

    @app.errorhandler(DBAPIError)
    @app.errorhandler(PoolTimeout)
    def handle_database_error(exc: Exception) -> Any:
        if not database_unavailable(exc):
            return handle_unexpected(exc)
        log.warning(
            "database unavailable on %s %s: %s",
            request.method,
            redact_path(request.path),
            exc.orig if isinstance(exc, DBAPIError) else exc,
        )
        return _unavailable_response()

    @app.errorhandler(Exception)
    def handle_unexpected(exc: Exception) -> Any:
        log.exception("unhandled error on %s %s", request.method, redact_path(request.path))
        if is_api_request():
            return problem(500, code="internal_error")
        return _render_page_error(500)
