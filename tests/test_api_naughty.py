"""Every naughty string through every free-text field of the API's request bodies.

The fields come from the OpenAPI document (string properties, recursively), so a field added
to an operation is covered without touching this file; an operation with text fields but no
entry in TARGETS fails `test_every_text_field_has_a_target`. Each answer is 2xx or a 4xx
problem+json, never a 5xx; an accepted text reads back exactly as written (trimmed, CRLF as
LF) through the API's GET of the item, or its own answer or row where no GET shows the field.
The normal suite sends every 48th string to each field (each string reaches several fields);
RELIABILITY_SCALE=full sends all of them to every field.
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from app.auth.models import User
from app.auth.services import issue_token
from app.errors import PROBLEM_MIMETYPE
from app.extensions import db
from ideas.clustering.models import Cluster, ClusteringRun, RunStatus
from ideas.models import Flag, IdeaStatus, ModerationMode, ProjectStage
from ideas.review.models import ConflictOfInterest
from tests.factories import CommentFactory, IdeaFactory, ProjectFactory, UserFactory, make_poll
from tests.fuzz_support import FULL, NAUGHTY, Seeded, openapi_document, operations, seed
from voting.services import close_poll

STEP = 1 if FULL else 48
# Not free text: credentials, codes from closed lists, lookups by name. They still get the
# strings (refused or matched, never a 5xx) but nothing is stored as written to read back.
NOT_STORED = {"email", "password", "code", "district", "okrug", "reason", "section"}
SKIPPED_PREFIXES = ("audience",)  # okrug and district codes, checked in test_polls_api


def _schema(ref_or_schema: dict[str, Any]) -> dict[str, Any]:
    components = openapi_document()["components"]["schemas"]
    while "$ref" in ref_or_schema:
        ref_or_schema = components[ref_or_schema["$ref"].rsplit("/", 1)[1]]
    return ref_or_schema


def _text_paths(schema: dict[str, Any], path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Paths of the free-text strings in a body schema; "[]" steps into a list's items."""
    schema = _schema(schema)
    found: list[tuple[str, ...]] = []
    for option in schema.get("anyOf", []):
        found += [p for p in _text_paths(option, path) if p not in found]
    kind = schema.get("type")
    if kind == "string" and not {"enum", "const", "format"} & set(schema):
        found.append(path)
    for name, prop in schema.get("properties", {}).items():
        found += _text_paths(prop, (*path, name))
    if isinstance(schema.get("items"), dict):
        found += _text_paths(schema["items"], (*path, "[]"))
    return [p for p in found if p and not p[0].startswith(SKIPPED_PREFIXES)]


def text_fields() -> dict[str, list[tuple[str, ...]]]:
    fields: dict[str, list[tuple[str, ...]]] = {}
    for method, path, op in operations():
        body = op.get("requestBody")
        if body:
            paths = _text_paths(body["content"]["application/json"]["schema"])
            if paths:
                fields[f"{method} {path}"] = paths
    return fields


@dataclass
class Ctx:
    app: Flask
    seeded: Seeded
    numbers: itertools.count = field(default_factory=lambda: itertools.count(1))

    @property
    def client(self) -> Any:
        return self.app.test_client()

    def get(self, url: str, headers: dict[str, str] | None = None) -> Any:
        response = self.client.get(url, headers=headers or self.seeded.headers)
        assert response.status_code == 200, (url, response.status_code)
        return response.get_json()


@dataclass
class Attempt:
    """One request with a known-good body, and how to read back what it stored."""

    method: str
    url: str
    body: dict[str, Any]
    read: Callable[[Any], Any]  # the write's response → what shows the stored text
    headers: dict[str, str] | None = None


API = "/api/v1"
GOOD_TITLE = "Электронная очередь в центре госуслуг"
GOOD_BODY = "Пусть центр присылает СМС, когда до моего талона остаётся пять человек."
POLL = {
    "title": "Флагманский офис «Мои документы»",
    "description": "Какие услуги добавить в новом офисе?",
    "questions": [
        {
            "text": "Какие услуги добавить?",
            "kind": "single",
            "options": [{"text": "Банк", "description": "Отделение банка"}, {"text": "Нотариус"}],
        }
    ],
    "audience": "everyone",
    "results": "live",
}
PROJECT = {
    "title": "Центр госуслуг будущего",
    "description": "Предлагайте, каким должен быть офис госуслуг.",
    "sections": ["Очереди и запись", "Доступная среда"],
    "stage": "ideas",
    "moderation": "post",
}


def _register(ctx: Ctx) -> Attempt:
    body = {
        "email": f"naughty{next(ctx.numbers)}@example.ru",
        "password": "correct-horse-42",
        "display_name": "Житель Хамовников",
        "district": "khamovniki",
    }

    def read(response: Any) -> Any:
        raw, _token = issue_token(db.session.get(User, response.json["id"]), timedelta(hours=1))
        db.session.commit()
        return ctx.get(f"{API}/me", {"Authorization": f"Bearer {raw}"})

    return Attempt("POST", f"{API}/auth/register", body, read)


def _token(ctx: Ctx) -> Attempt:
    body = {"email": ctx.seeded.admin.email, "password": "correct-horse-42"}
    return Attempt("POST", f"{API}/auth/token", body, lambda r: None)


def _token_confirm(ctx: Ctx) -> Attempt:
    return Attempt("POST", f"{API}/auth/verification/confirm", {"code": "123456"}, lambda r: None)


def _rename_cluster(ctx: Ctx) -> Attempt:
    project = ProjectFactory()
    run = ClusteringRun(project_id=project.id, status=RunStatus.DONE, idea_count=0)
    db.session.add(run)
    db.session.flush()
    cluster = Cluster(run_id=run.id, number=0, label="Очереди", size=0, support=0)
    db.session.add(cluster)
    db.session.commit()
    return Attempt(
        "PATCH",
        f"{API}/clusterings/{run.id}/clusters/{cluster.id}",
        {"label": "Очереди и запись"},
        lambda r: ctx.get(f"{API}/clusterings/{run.id}"),
    )


def _flag_row(target_id: int) -> Callable[[Any], Any]:
    def read(response: Any) -> Any:
        db.session.expire_all()
        return db.session.scalars(select(Flag.reason).where(Flag.target_id == target_id)).all()

    return read


def _flag_comment(ctx: Ctx) -> Attempt:
    comment = CommentFactory()
    return Attempt(
        "POST", f"{API}/comments/{comment.id}/flags", {"reason": "Спам"}, _flag_row(comment.id)
    )


def _flag_idea(ctx: Ctx) -> Attempt:
    idea = IdeaFactory()
    return Attempt("POST", f"{API}/ideas/{idea.id}/flags", {"reason": "Спам"}, _flag_row(idea.id))


def _edit_idea(ctx: Ctx) -> Attempt:
    idea = IdeaFactory(author=ctx.seeded.admin, status=IdeaStatus.PENDING, published_at=None)
    url = f"{API}/ideas/{idea.id}"
    return Attempt("PATCH", url, {"title": GOOD_TITLE, "body": GOOD_BODY}, lambda r: ctx.get(url))


def _comment(ctx: Ctx) -> Attempt:
    idea = IdeaFactory()
    url = f"{API}/ideas/{idea.id}/comments"
    return Attempt("POST", url, {"body": "Полностью согласен"}, lambda r: ctx.get(url))


def _conflict(ctx: Ctx) -> Attempt:
    idea = IdeaFactory(project=ProjectFactory(stage=ProjectStage.EXPERT_REVIEW))

    def read(response: Any) -> Any:
        return db.session.scalars(
            select(ConflictOfInterest.note).where(ConflictOfInterest.idea_id == idea.id)
        ).all()

    return Attempt("POST", f"{API}/ideas/{idea.id}/conflicts", {"note": "Мой сосед"}, read)


def _implementation(ctx: Ctx) -> Attempt:
    idea = IdeaFactory(status=IdeaStatus.SELECTED)
    body = {"status": "in_progress", "progress": 10, "note": "Начали работы"}
    return Attempt("POST", f"{API}/ideas/{idea.id}/implementation", body, lambda r: r.json)


def _review(ctx: Ctx) -> Attempt:
    idea = IdeaFactory(project=ProjectFactory(stage=ProjectStage.EXPERT_REVIEW))
    rubric = ctx.get(f"{API}/projects/{idea.project_id}/rubric")
    scores = {criterion["code"]: 4 for criterion in rubric["criteria"]}
    return Attempt(
        "PUT",
        f"{API}/ideas/{idea.id}/reviews/mine",
        {"scores": scores, "comment": "Хорошая идея"},
        lambda r: ctx.get(f"{API}/ideas/{idea.id}/reviews"),
    )


def _decision(ctx: Ctx) -> Attempt:
    project = ProjectFactory(moderation=ModerationMode.PRE)
    idea = IdeaFactory(project=project, status=IdeaStatus.PENDING, published_at=None)
    body = {"target_type": "idea", "target_id": idea.id, "action": "approve", "note": "Годится"}
    return Attempt(
        "POST",
        f"{API}/moderation/decisions",
        body,
        lambda r: ctx.get(f"{API}/moderation/log?target_id={idea.id}"),
    )


def _new_poll(ctx: Ctx) -> Attempt:
    return Attempt(
        "POST",
        f"{API}/polls",
        copy.deepcopy(POLL),
        lambda r: ctx.get(f"{API}/polls/{r.json['id']}"),
    )


def _edit_poll(ctx: Ctx) -> Attempt:
    poll = make_poll(staff=ctx.seeded.admin, open_now=False)
    url = f"{API}/polls/{poll.id}"
    return Attempt("PATCH", url, copy.deepcopy(POLL), lambda r: ctx.get(url))


def _poll_decision(ctx: Ctx) -> Attempt:
    poll = make_poll(staff=ctx.seeded.admin)
    close_poll(poll)
    db.session.commit()
    url = f"{API}/polls/{poll.id}"
    body = {"text": "Офис откроется на Тверской улице."}
    return Attempt("POST", f"{url}/decision", body, lambda r: ctx.get(url))


def _vote(ctx: Ctx) -> Attempt:
    poll = make_poll(
        staff=ctx.seeded.admin, questions=[{"text": "Что ещё?", "kind": "open"}], results="live"
    )
    voter = UserFactory()
    raw, _token = issue_token(voter, timedelta(hours=1))
    db.session.commit()
    question = poll.questions[0].id

    def read(response: Any) -> Any:
        close_poll(db.session.get(type(poll), poll.id))
        db.session.commit()
        return ctx.get(f"{API}/polls/{poll.id}/ballots")

    body = {"answers": [{"question_id": question, "text": "Нотариуса"}]}
    headers = {"Authorization": f"Bearer {raw}"}
    return Attempt("POST", f"{API}/polls/{poll.id}/votes", body, read, headers)


def _new_project(ctx: Ctx) -> Attempt:
    return Attempt(
        "POST",
        f"{API}/projects",
        copy.deepcopy(PROJECT),
        lambda r: ctx.get(f"{API}/projects/{r.json['id']}"),
    )


def _edit_project(ctx: Ctx) -> Attempt:
    url = f"{API}/projects/{ProjectFactory().id}"
    body = {k: v for k, v in PROJECT.items() if k != "stage"}
    return Attempt("PATCH", url, copy.deepcopy(body), lambda r: ctx.get(url))


def _new_idea(ctx: Ctx) -> Attempt:
    project = ProjectFactory()
    body = {"title": GOOD_TITLE, "body": GOOD_BODY, "section": project.sections[0].id}
    return Attempt(
        "POST",
        f"{API}/projects/{project.id}/ideas",
        body,
        lambda r: ctx.get(f"{API}/ideas/{r.json['id']}"),
    )


def _import(ctx: Ctx) -> Attempt:
    project = ProjectFactory()
    row = {"title": GOOD_TITLE, "body": GOOD_BODY, "section": project.sections[0].id}
    return Attempt(
        "POST",
        f"{API}/projects/{project.id}/ideas/import",
        {"ideas": [{**row, "author_name": "Житель"}]},
        lambda r: ctx.get(f"{API}/ideas/{r.json['ids'][0]}"),
    )


def _block(ctx: Ctx, action: str) -> Attempt:
    user = UserFactory()
    if action == "unblock":
        response = ctx.client.post(
            f"{API}/users/{user.id}/block", json={"note": "Спам"}, headers=ctx.seeded.headers
        )
        assert response.status_code == 200, response.json
    return Attempt(
        "POST",
        f"{API}/users/{user.id}/{action}",
        {"note": "Спам в комментариях"},
        lambda r: ctx.get(f"{API}/moderation/log?target_id={user.id}&per_page=100"),
    )


TARGETS: dict[str, Callable[[Ctx], Attempt]] = {
    "POST /api/v1/auth/register": _register,
    "POST /api/v1/auth/token": _token,
    "POST /api/v1/auth/verification/confirm": _token_confirm,
    "PATCH /api/v1/clusterings/{run_id}/clusters/{cluster_id}": _rename_cluster,
    "POST /api/v1/comments/{comment_id}/flags": _flag_comment,
    "PATCH /api/v1/ideas/{idea_id}": _edit_idea,
    "POST /api/v1/ideas/{idea_id}/comments": _comment,
    "POST /api/v1/ideas/{idea_id}/conflicts": _conflict,
    "POST /api/v1/ideas/{idea_id}/flags": _flag_idea,
    "POST /api/v1/ideas/{idea_id}/implementation": _implementation,
    "PUT /api/v1/ideas/{idea_id}/reviews/mine": _review,
    "POST /api/v1/moderation/decisions": _decision,
    "POST /api/v1/polls": _new_poll,
    "PATCH /api/v1/polls/{poll_id}": _edit_poll,
    "POST /api/v1/polls/{poll_id}/decision": _poll_decision,
    "POST /api/v1/polls/{poll_id}/votes": _vote,
    "POST /api/v1/projects": _new_project,
    "PATCH /api/v1/projects/{project_id}": _edit_project,
    "POST /api/v1/projects/{project_id}/ideas": _new_idea,
    "POST /api/v1/projects/{project_id}/ideas/import": _import,
    "POST /api/v1/users/{user_id}/block": lambda ctx: _block(ctx, "block"),
    "POST /api/v1/users/{user_id}/unblock": lambda ctx: _block(ctx, "unblock"),
}
FIELDS = text_fields()
CASES = [(label, path) for label, paths in FIELDS.items() for path in paths]


def _put(body: Any, path: tuple[str, ...], value: str) -> None:
    for step in path[:-1]:
        body = body[0] if step == "[]" else body[step]
    last = path[-1]
    if last == "[]":
        body[0] = value
    else:
        body[last] = value


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for item in value.values() for s in _strings(item)]
    if isinstance(value, list):
        return [s for item in value for s in _strings(item)]
    return []


def test_every_text_field_has_a_target():
    assert set(FIELDS) <= set(TARGETS), set(FIELDS) - set(TARGETS)


# Filled by the per-field tests; this module runs on one xdist worker (--dist loadfile).
TOTALS = {"fields": 0, "requests": 0, "accepted": 0, "refused": 0, "read_back": 0}


@pytest.mark.parametrize(("label", "path"), CASES, ids=[f"{op} {'.'.join(p)}" for op, p in CASES])
def test_naughty_strings_in_a_text_field(app, label, path):
    ctx = Ctx(app, seed())
    number = CASES.index((label, path))
    strings = NAUGHTY[number % STEP :: STEP]
    stored = path[-1] not in NOT_STORED
    accepted = refused = 0
    for text in strings:
        attempt = TARGETS[label](ctx)
        _put(attempt.body, path, text)
        response = ctx.client.open(
            attempt.url,
            method=attempt.method,
            json=attempt.body,
            headers=attempt.headers or ctx.seeded.headers,
        )
        what = (label, path, text, response.status_code)
        assert response.status_code < 500, what
        if response.status_code >= 400:
            assert response.mimetype == PROBLEM_MIMETYPE, what
            assert response.json["status"] == response.status_code, what
            refused += 1
            continue
        accepted += 1
        if stored and text.strip():
            shown = _strings(attempt.read(response))
            written = {text, text.strip(), text.strip().replace("\r\n", "\n")}
            assert written & set(shown), what
            TOTALS["read_back"] += 1
    assert accepted + refused == len(strings)
    TOTALS["fields"] += 1
    TOTALS["requests"] += len(strings)
    TOTALS["accepted"] += accepted
    TOTALS["refused"] += refused


def test_naughty_strings_figures(record_figures):
    if not TOTALS["fields"]:
        pytest.skip("the per-field tests did not run in this process")
    record_figures(
        "naughty_strings",
        {
            "scale": "full" if FULL else "short",
            "operations": len(FIELDS),
            "fields": len(CASES),
            "fields_passed": TOTALS["fields"],
            "strings_in_list": len(NAUGHTY),
            "strings_per_field": len(NAUGHTY[::STEP]),
            **{k: v for k, v in TOTALS.items() if k != "fields"},
        },
    )
    assert TOTALS["fields"] == len(CASES)


def _query_text_parameters() -> list[tuple[str, str]]:
    """(path, name) of every free-text query parameter of a GET: search `q`, `text`, …"""
    found = []
    for method, path, op in operations():
        for parameter in op.get("parameters", []):
            schema = _schema(parameter.get("schema", {}))
            kinds = [schema, *schema.get("anyOf", [])]
            free = any(k.get("type") == "string" and not {"enum", "format"} & set(k) for k in kinds)
            if method == "GET" and parameter["in"] == "query" and free:
                found.append((path, parameter["name"]))
    return found


def test_naughty_strings_in_query_parameters(app):
    seeded = seed()
    client = app.test_client()
    parameters = _query_text_parameters()
    assert ("/api/v1/projects/{project_id}/ideas", "q") in parameters
    for number, (path, name) in enumerate(parameters):
        url = path
        for key, ids in seeded.ids.items():
            url = url.replace("{" + key + "}", str(ids[0]))
        for text in NAUGHTY[number % (STEP // 4 or 1) :: STEP // 4 or 1]:
            response = client.get(url, query_string={name: text}, headers=seeded.headers)
            what = (path, name, text, response.status_code)
            assert response.status_code < 500, what
            if response.status_code >= 400:
                assert response.mimetype == PROBLEM_MIMETYPE, what
