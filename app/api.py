"""JSON API plumbing shared by every domain package.

- `api_blueprint()` makes a flask-openapi3 blueprint under /api/v1 with the common problem
  responses documented, so the OpenAPI document stays true to the code.
- Bodies are checked before validation: malformed JSON is a 400, not a 422.
- Bearer tokens need no CSRF; the same endpoints called with the session cookie do.
- `GET /api/v1/openapi.json` serves the document; `GET /api/docs` a local Swagger UI.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, Generic, TypeVar

import flask_openapi3_swagger
from flask import (
    Blueprint,
    Flask,
    Response,
    current_app,
    jsonify,
    render_template,
    request,
    session,
)
from flask_babel import gettext as _
from flask_openapi3 import APIBlueprint, Tag
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Select

from app.errors import PROBLEM_MIMETYPE, problem
from app.extensions import csrf, db

API_PREFIX = "/api/v1"
BEARER_SECURITY: list[dict[str, list[str]]] = [{"bearer": []}]
SECURITY_SCHEMES = {"bearer": {"type": "http", "scheme": "bearer"}}
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
MAX_JSON_DEPTH = 32


class ProblemModel(BaseModel):
    """RFC 9457 problem details."""

    type: str
    title: str
    status: int
    detail: str
    errors: dict[str, list[str]] | None = None


def _problem_response(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {PROBLEM_MIMETYPE: {"schema": ProblemModel.model_json_schema()}},
    }


PROBLEM_RESPONSES: dict[int, dict[str, Any]] = {
    400: _problem_response("Malformed request"),
    401: _problem_response("Not signed in, or the token is invalid"),
    403: _problem_response("Role or eligibility missing"),
    404: _problem_response("Unknown or not visible"),
    409: _problem_response("Conflict with the current state"),
    413: _problem_response("Body too large"),
    415: _problem_response("Body is not JSON"),
    422: _problem_response("Validation failed"),
    429: _problem_response("Rate limited"),
}


def problems(*statuses: int) -> dict[int, dict[str, Any]]:
    """The documented problem responses of one operation."""
    return {status: PROBLEM_RESPONSES[status] for status in statuses}


def api_blueprint(name: str, import_name: str, tag: str, description: str) -> APIBlueprint:
    return APIBlueprint(
        name,
        import_name,
        url_prefix=API_PREFIX,
        abp_tags=[Tag(name=tag, description=description)],
        abp_responses=problems(400, 413, 415, 422, 429),
    )


class StrictModel(BaseModel):
    """Request bodies: unknown fields are an error, strings keep their exact text."""

    model_config = ConfigDict(extra="forbid")


class PageQuery(BaseModel):
    page: int = Field(1, ge=1, le=100_000)
    per_page: int = Field(20, ge=1, le=100)


T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    page: int
    per_page: int
    total: int


def paginate(
    stmt: Select[Any], query: PageQuery, serialize: Callable[[Any], Any]
) -> dict[str, Any]:
    """Run a select for one page and return the list envelope of API.md."""
    result = db.paginate(
        stmt, page=query.page, per_page=query.per_page, error_out=False, max_per_page=100
    )
    return {
        "items": [serialize(item) for item in result.items],
        "page": query.page,
        "per_page": query.per_page,
        "total": result.total or 0,
    }


def json_response(
    payload: Any, status: int = 200, headers: Iterable[tuple[str, str]] = ()
) -> Response:
    if isinstance(payload, BaseModel):
        payload = payload.model_dump(mode="json")
    response = jsonify(payload)
    response.status_code = status
    for key, value in headers:
        response.headers[key] = value
    return response


def _depth(value: Any, limit: int) -> int:
    """Nesting depth of a parsed JSON value, stopping early once past `limit`."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    deepest = 0
    while stack:
        item, level = stack.pop()
        deepest = max(deepest, level)
        if deepest > limit:
            return deepest
        if isinstance(item, dict):
            stack.extend((child, level + 1) for child in item.values())
        elif isinstance(item, list):
            stack.extend((child, level + 1) for child in item)
    return deepest


def _refuse_constant(name: str) -> Any:
    """NaN and Infinity are not JSON (RFC 8259), though Python's parser reads them."""
    raise ValueError(f"{name} is not JSON")


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A key given twice means whatever each parser decides: refuse it instead."""
    result = dict(pairs)
    if len(result) != len(pairs):
        raise ValueError("duplicate key")
    return result


# Made once, not on every request. JSON text is UTF-8 (RFC 8259): the bytes are decoded as
# such, and anything else is malformed.
_STRICT_JSON = json.JSONDecoder(parse_constant=_refuse_constant, object_pairs_hook=_unique_keys)


def _refuse_lone_surrogates(value: Any) -> None:
    """Escaped lone surrogates (\\ud800) parse to text that UTF-8 cannot store or send."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            item.encode("utf-8")  # UnicodeEncodeError is a ValueError
        elif isinstance(item, dict):
            stack.extend(item)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def _guard_csrf() -> None:
    """One CSRF rule for the whole app.

    Pages: every unsafe request carries the form's token. API: a bearer token needs none;
    a caller signed in by the session cookie (the site's own scripts) sends X-CSRFToken,
    with or without an Authorization header: the session, not the header, decides who acts.
    """
    if request.method not in UNSAFE_METHODS or not current_app.config.get("WTF_CSRF_ENABLED", True):
        return
    if request.path.startswith(API_PREFIX + "/") and "_user_id" not in session:
        return
    csrf.protect()


class RefusedBody(ValueError):
    """A body the API does not read as JSON; `code` says why (malformed_json, json_too_deep)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def parse_json_body(raw: bytes) -> Any:
    """The value of a JSON request body, read strictly: UTF-8, no duplicate keys, no NaN,
    no lone surrogates, nested at most MAX_JSON_DEPTH deep. Raises `RefusedBody`."""
    try:
        parsed = _STRICT_JSON.decode(raw.decode("utf-8"))
        if b"\\u" in raw:  # only a \u escape can spell a lone surrogate in valid UTF-8
            _refuse_lone_surrogates(parsed)
    except (ValueError, RecursionError) as error:
        raise RefusedBody("malformed_json") from error
    # Fewer brackets than the limit cannot nest deeper than it: most bodies skip the walk.
    opened = raw.count(b"{") + raw.count(b"[")
    if opened > MAX_JSON_DEPTH and _depth(parsed, MAX_JSON_DEPTH) > MAX_JSON_DEPTH:
        raise RefusedBody("json_too_deep")
    return parsed


def _check_api_body() -> Response | None:
    """Refuse API bodies that are not well-formed JSON before any validation runs."""
    if not request.path.startswith(API_PREFIX + "/") or request.method not in UNSAFE_METHODS:
        return None
    raw = request.get_data(cache=True)
    if not raw:
        return None
    if not request.is_json:
        return problem(
            415,
            _("Тело запроса должно быть JSON (Content-Type: application/json)."),
            code="unsupported_media_type",
        )
    try:
        parse_json_body(raw)
    except RefusedBody as refused:
        if refused.code == "json_too_deep":
            return problem(400, _("Слишком глубокая вложенность JSON."), code=refused.code)
        return problem(400, _("Тело запроса не является корректным JSON."), code=refused.code)
    return None


docs_bp = Blueprint("api_docs", __name__)


@docs_bp.get(f"{API_PREFIX}/openapi.json")
def openapi_document() -> Response:
    return jsonify(current_app.api_doc)  # type: ignore[attr-defined]


@docs_bp.get("/api/docs")
def api_docs_page() -> str:
    return render_template("api_docs.html")


def init_api(app: Flask) -> None:
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False  # `_guard_csrf` decides instead
    app.before_request(_guard_csrf)
    app.before_request(_check_api_body)
    app.register_blueprint(docs_bp)
    app.register_blueprint(
        Blueprint(
            "swagger_ui",
            "flask_openapi3_swagger",
            static_folder=_swagger_static_folder(),
            static_url_path="/api/docs/static",
        )
    )


def _swagger_static_folder() -> str:
    """Swagger UI's files as the flask-openapi3-swagger package ships them: no CDN."""
    return str(Path(flask_openapi3_swagger.__file__).parent / "templates" / "swagger")
