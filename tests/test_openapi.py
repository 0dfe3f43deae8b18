"""The OpenAPI document is valid 3.1 and describes every API route the app serves."""

from __future__ import annotations

import re

from openapi_spec_validator import validate


def test_openapi_document_is_valid_3_1(client):
    document = client.get("/api/v1/openapi.json").json
    assert document["openapi"].startswith("3.1")
    validate(document)


def test_every_api_route_is_documented(app, client):
    document = client.get("/api/v1/openapi.json").json
    documented = {
        (path, method.upper()) for path, ops in document["paths"].items() for method in ops
    }
    served = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/") or rule.endpoint == "api_docs.openapi_document":
            continue
        path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule)
        served |= {(path, m) for m in rule.methods - {"HEAD", "OPTIONS"}}
    assert served <= documented, served - documented


def test_problem_responses_are_documented_as_problem_json(client):
    document = client.get("/api/v1/openapi.json").json
    op = document["paths"]["/api/v1/auth/register"]["post"]
    assert "application/problem+json" in op["responses"]["422"]["content"]


def test_docs_page_serves_local_swagger_ui(client):
    html = client.get("/api/docs").get_data(as_text=True)
    assert "/api/docs/static/js/swagger-ui-bundle.js" in html
    assert "http" not in html.split("<body>")[1].split("swagger-ui")[0]
    asset = client.get("/api/docs/static/js/swagger-ui-bundle.js")
    assert asset.status_code == 200
    asset.close()


def test_each_documented_body_has_the_fields_its_route_reads(client):
    """flask-openapi3 names component schemas after the model class, so two models of the
    same name (a poll's decision, a moderation decision) would be documented as one."""
    doc = client.get("/api/v1/openapi.json").json
    schemas = doc["components"]["schemas"]
    decision = doc["paths"]["/api/v1/moderation/decisions"]["post"]["requestBody"]
    name = decision["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    assert {"target_type", "target_id", "action"} <= set(schemas[name]["properties"])
    poll = doc["paths"]["/api/v1/polls/{poll_id}/decision"]["post"]["requestBody"]
    name = poll["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    assert set(schemas[name]["properties"]) == {"text", "reason"}
    for path, field in (
        ("/api/v1/polls/{poll_id}/results", "turnout"),
        ("/api/v1/projects/{project_id}/results", "participation"),
    ):
        ok = doc["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]
        name = ok["schema"]["$ref"].rsplit("/", 1)[1]
        assert field in schemas[name]["properties"], path
