"""Oversized, deeply nested and malformed JSON on every write operation of the API.

Each case must be refused with the right 4xx as problem+json, and leave every row as it was.
Operations come from the OpenAPI document, so a new one is covered without touching this file.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Flask
from sqlalchemy import func, select

from app.errors import PROBLEM_MIMETYPE
from app.extensions import db
from tests.fuzz_support import Seeded, openapi_document, operations, seed

WRITES = [(method, path, op) for method, path, op in operations() if method != "GET"]
DEPTH = 10_000
ANY_ANSWER = (200, 201, 202, 204, 400, 401, 403, 404, 409, 413, 415, 422)  # never a 5xx


def _raw_cases(limit: int) -> list[tuple[str, bytes, str, int]]:
    """(name, body, content type, expected status) for bodies no operation may accept."""
    json_type = "application/json"
    return [
        ("oversized", b'{"title": "' + b"a" * limit + b'"}', json_type, 413),
        ("deep arrays", b"[" * DEPTH + b"]" * DEPTH, json_type, 400),
        ("deep objects", b'{"a": ' * DEPTH + b"1" + b"}" * DEPTH, json_type, 400),
        ("truncated", '{"title": "Очередь'.encode(), json_type, 400),
        ("invalid UTF-8", b'{"title": "\xff\xfe\xfa"}', json_type, 400),
        ("UTF-16, not UTF-8", '{"title": "Очередь"}'.encode("utf-16"), json_type, 400),
        ("just too deep", b"[" * 33 + b"]" * 33, json_type, 400),
        ("lone surrogate", b'{"title": "\\ud800"}', json_type, 400),
        ("NaN literal", b'{"title": NaN}', json_type, 400),
        ("Infinity literal", b'{"progress": -Infinity}', json_type, 400),
        ("duplicate keys", b'{"title": "a", "title": "b"}', json_type, 400),
        ("not JSON at all", b"title=x&body=y", "application/x-www-form-urlencoded", 415),
        ("JSON sent as text", b'{"title": "x"}', "text/plain", 415),
    ]


def _url(path: str, seeded: Seeded) -> str:
    for name, ids in seeded.ids.items():
        path = path.replace("{" + name + "}", str(ids[0]))
    return path.replace("{run_id}", "1").replace("{cluster_id}", "1")


def _snapshot(client: Any, seeded: Seeded) -> dict[str, Any]:
    """Row counts of every table, and the seeded objects as the API shows them."""
    db.session.expire_all()
    counts = {
        table.name: db.session.scalar(select(func.count()).select_from(table))
        for table in db.metadata.sorted_tables
        if table.name not in ("request_log",)
    }
    shown = {
        path: client.get(path, headers=seeded.headers).get_json()
        for path in (
            *(f"/api/v1/projects/{i}" for i in seeded.ids["project_id"]),
            *(f"/api/v1/ideas/{i}" for i in seeded.ids["idea_id"]),
            *(f"/api/v1/polls/{i}" for i in seeded.ids["poll_id"]),
        )
    }
    return {"counts": counts, "shown": shown}


def _assert_problem(response: Any, status: int | tuple[int, ...], what: str) -> None:
    statuses = (status,) if isinstance(status, int) else status
    assert response.status_code in statuses, (what, response.status_code, response.data[:300])
    assert response.mimetype == PROBLEM_MIMETYPE, (what, response.mimetype)
    assert response.get_json()["status"] == response.status_code


def test_malformed_bodies_are_refused_by_every_write_operation(app: Flask, record_figures):
    client = app.test_client()
    seeded = seed()
    before = _snapshot(client, seeded)
    cases = _raw_cases(app.config["MAX_CONTENT_LENGTH"])
    requests = 0
    for method, path, _op in WRITES:
        url = _url(path, seeded)
        for name, body, content_type, status in cases:
            response = client.open(
                url, method=method, data=body, content_type=content_type, headers=seeded.headers
            )
            requests += 1
            _assert_problem(response, status, f"{name}: {method} {path}")
    assert _snapshot(client, seeded) == before
    record_figures(
        "oversized_json",
        {
            "operations": len(WRITES),
            "cases": [name for name, *_ in cases],
            "requests": requests,
            "max_depth_sent": DEPTH,
            "max_content_length": app.config["MAX_CONTENT_LENGTH"],
        },
    )


def _body_schema(op: dict[str, Any]) -> dict[str, Any] | None:
    body = op.get("requestBody")
    if not body:
        return None
    schema = body["content"]["application/json"]["schema"]
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[1]
        schema = openapi_document()["components"]["schemas"][name]
    return schema


def _string_properties(schema: dict[str, Any]) -> list[str]:
    """Top-level properties that may hold free text (alone or as one of several types)."""
    names = []
    for name, prop in schema.get("properties", {}).items():
        kinds = [prop, *prop.get("anyOf", [])]
        # Dates read numbers as Unix times, so only plain text fields must refuse them.
        if any(kind.get("type") == "string" and "format" not in kind for kind in kinds):
            names.append(name)
    return names


def _wrong_shapes(schema: dict[str, Any] | None) -> list[tuple[str, Any, tuple[int, ...]]]:
    """(name, JSON value, acceptable statuses) of well-formed bodies of the wrong shape."""
    if schema is None:  # the operation takes no body: whatever is sent is ignored or refused
        return []
    refused = (400, 409, 422)  # 409: an open poll refuses edits before reading them
    cases: list[tuple[str, Any, tuple[int, ...]]] = [
        (f"a {type(value).__name__} instead of an object", value, refused)
        for value in ([], "текст", 42, 4.2, True, None)
    ]
    properties = list(schema.get("properties", {}))
    # Nulls may be a valid partial update, or refused for another reason (role, state).
    cases.append(("every property null", dict.fromkeys(properties), ANY_ANSWER))
    cases.append(("an unknown property", {"неизвестное": 1}, refused))
    for name in _string_properties(schema):
        cases.append((f"a huge {name}", {name: "я" * 200_000}, refused))
        cases.append((f"a number as {name}", {name: 12345}, refused))
    return cases


def test_well_formed_bodies_of_the_wrong_shape_are_refused(app: Flask, record_figures):
    client = app.test_client()
    seeded = seed()
    before = _snapshot(client, seeded)
    refusals, anything = [], []
    for method, path, op in WRITES:
        cases = _wrong_shapes(_body_schema(op))
        if op.get("requestBody", {}).get("required"):
            cases.append(("an empty body", b"", (400, 415, 422)))
        for name, value, expected in cases:
            # No clustering run is seeded (it needs the text pipeline): those paths are 404.
            statuses = (*expected, 404) if "{run_id}" in path else expected
            (anything if expected is ANY_ANSWER else refusals).append(
                (method, path, name, value, statuses)
            )
    assert len(refusals) > 3 * len(WRITES)
    # Refusals first: they must leave every row as it was. Then bodies that may be valid.
    for cases, must_refuse in ((refusals, True), (anything, False)):
        for method, path, name, value, statuses in cases:
            data = value if isinstance(value, bytes) else json.dumps(value, ensure_ascii=False)
            response = client.open(
                _url(path, seeded),
                method=method,
                data=data,
                content_type="application/json",
                headers=seeded.headers,
            )
            if not must_refuse and response.status_code < 400:
                assert response.status_code in statuses, (name, method, path)
                continue
            _assert_problem(response, statuses, f"{name}: {method} {path}")
        if must_refuse:
            assert _snapshot(client, seeded) == before
    record_figures(
        "json_wrong_shapes",
        {
            "operations": len(WRITES),
            "refusals_sent": len(refusals),
            "maybe_valid_sent": len(anything),
            "fields_sent_huge_text": sum(
                name.startswith("a huge") for _m, _p, name, *_ in refusals
            ),
        },
    )
