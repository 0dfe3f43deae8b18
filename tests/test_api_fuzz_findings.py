"""What the schema fuzzer found, pinned: each of these answered 500 or broke the document."""

from __future__ import annotations

import pytest
from pydantic import BaseModel

from app.auth.models import Role
from tests.factories import IdeaFactory, ProjectFactory, UserFactory

HUGE = 10**24  # past 64 bits: SQLite cannot even bind it
BEYOND_INT4 = 2**31  # past PostgreSQL's integer ids


@pytest.fixture
def admin(api):
    user = UserFactory(roles=[Role.ADMIN])
    api.login(user.email)
    return user


def test_a_problem_keeps_its_http_status_when_the_conflict_names_a_status(api, admin):
    idea = IdeaFactory()
    response = api.post(f"/ideas/{idea.id}/implementation", {"status": "done", "progress": 0})
    assert response.status_code == 409
    assert response.mimetype == "application/problem+json"
    assert response.json["status"] == 409
    assert response.json["idea_status"] == "published"


@pytest.mark.parametrize("number", [HUGE, BEYOND_INT4])
@pytest.mark.parametrize(
    ("method", "template"),
    [
        ("get", "/polls/{n}"),
        ("patch", "/polls/{n}"),
        ("get", "/clusterings/{n}"),
        ("patch", "/clusterings/1/clusters/{n}"),
        ("get", "/projects/{n}/rubric"),
        ("post", "/users/{n}/block"),
        ("get", "/ideas/{n}/reviews"),
    ],
)
def test_ids_in_the_path_beyond_the_database_range_are_not_found(
    api, admin, method, template, number
):
    path = template.format(n=number)
    response = getattr(api, method)(path) if method == "get" else getattr(api, method)(path, {})
    assert response.status_code == 404, response.json
    assert response.mimetype == "application/problem+json"


def test_page_routes_refuse_ids_beyond_the_database_range_too(client):
    assert client.get(f"/polls/{HUGE}").status_code == 404
    assert client.get(f"/ideas/{HUGE}").status_code == 404


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/moderation/log", {"moderator_id": HUGE}),
        ("/moderation/log", {"target_id": HUGE}),
        ("/moderation/reasons", {"project_id": HUGE}),
        ("/moderation/queue", {"project_id": HUGE}),
    ],
)
def test_ids_in_the_query_beyond_the_database_range_are_refused(api, admin, path, params):
    response = api.get(path, **params)
    assert response.status_code == 422, response.json
    assert list(response.json["errors"]) == list(params)


def test_expert_assignments_with_ids_beyond_the_range_are_refused(api, admin):
    project = ProjectFactory()
    body = {"assignments": [{"expert_id": HUGE}, {"expert_id": 1, "section_id": BEYOND_INT4}]}
    response = api.put(f"/projects/{project.id}/experts", body)
    assert response.status_code == 422, response.json
    assert set(response.json["errors"]) == {
        "assignments.0.expert_id",
        "assignments.1.section_id",
    }


def test_similar_ideas_read_letters_that_have_no_unicode_name(api):
    project = ProjectFactory()
    IdeaFactory(project=project)
    response = api.get(f"/projects/{project.id}/ideas/similar", text="\U000184c3y очередь")
    assert response.status_code == 200, response.json


def test_every_operation_documents_the_413_it_can_answer(client):
    document = client.get("/api/v1/openapi.json").json
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            assert "413" in operation["responses"], (method, path)


def _our_models() -> dict[str, set[type[BaseModel]]]:
    found: dict[str, set[type[BaseModel]]] = {}
    pending = [BaseModel]
    while pending:
        model = pending.pop()
        pending.extend(model.__subclasses__())
        if model.__module__.split(".")[0] in ("app", "ideas", "moderation", "voting"):
            found.setdefault(model.__name__, set()).add(model)
    return found


def test_each_schema_in_the_document_names_one_model(client):
    """Two models of one name share one component: one operation is described wrongly.

    (POST /moderation/decisions was documented with the poll decision's body `{text}`.)
    """
    components = client.get("/api/v1/openapi.json").json["components"]["schemas"]
    shared = {
        name: sorted(model.__module__ for model in models)
        for name, models in _our_models().items()
        if name in components and len(models) > 1
    }
    assert not shared


def test_moderation_decisions_are_documented_with_their_own_body(client):
    document = client.get("/api/v1/openapi.json").json
    body = document["paths"]["/api/v1/moderation/decisions"]["post"]["requestBody"]
    name = body["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    properties = document["components"]["schemas"][name]["properties"]
    assert {"target_type", "target_id", "action"} <= set(properties)
