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
