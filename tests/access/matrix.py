"""Turning the permission table into concrete requests, and judging their answers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from flask import Flask
from werkzeug.test import TestResponse

from tests.access.permissions import DEFAULT_AT, TABLE
from tests.access.rules import Outcome, Rule
from tests.access.scenario import ROLES, Scenario

IGNORED_METHODS = {"HEAD", "OPTIONS"}
REDIRECTS = {301, 302, 303, 307, 308}


@dataclass(frozen=True)
class Check:
    """One route, with real ids in its URL, under one rule."""

    endpoint: str
    method: str
    path: str
    rule: Rule
    body: Any

    @property
    def is_write(self) -> bool:
        return self.method != "GET"

    @property
    def is_api(self) -> bool:
        return self.path.startswith("/api/")

    def __str__(self) -> str:
        return f"{self.method} {self.path} ({self.endpoint})"


def route_methods(app: Flask) -> dict[str, set[str]]:
    """Every endpoint of the URL map with the methods it answers."""
    found: dict[str, set[str]] = {}
    for rule in app.url_map.iter_rules():
        found.setdefault(rule.endpoint, set()).update(rule.methods - IGNORED_METHODS)
    return found


def rules_of(endpoint: str) -> list[Rule]:
    entry = TABLE[endpoint]
    return entry if isinstance(entry, list) else [entry]


def _resolve(value: str, scenario: Scenario) -> Any:
    return value[1:] if value.startswith("=") else scenario.ids[value]


def _fill(body: Any, scenario: Scenario) -> Any:
    if isinstance(body, dict):
        return {key: _fill(value, scenario) for key, value in body.items()}
    if isinstance(body, list):
        return [_fill(value, scenario) for value in body]
    if isinstance(body, str) and body.startswith("@"):
        return scenario.ids[body[1:]]
    return body


def build_checks(app: Flask, scenario: Scenario) -> list[Check]:
    methods = route_methods(app)
    checks = []
    for endpoint in TABLE:
        url_rule = next(iter(app.url_map.iter_rules(endpoint)))
        for rule in rules_of(endpoint):
            at = {**DEFAULT_AT, **rule.at}
            values = {arg: _resolve(at[arg], scenario) for arg in url_rule.arguments}
            path = url_rule.build(values, append_unknown=False)[1]
            if rule.query:
                path += "?" + "&".join(f"{k}={v}" for k, v in rule.query.items())
            for method in sorted(rule.methods or methods[endpoint]):
                checks.append(Check(endpoint, method, path, rule, _fill(rule.body, scenario)))
    return checks


def observed(response: TestResponse) -> str:
    """What the answer amounts to: an Outcome's name, or the status when it is none of them."""
    status = response.status_code
    location = urlsplit(response.headers.get("Location", "")).path
    if status == 401 or (status in REDIRECTS and location == "/login"):
        return Outcome.LOGIN
    if status == 403:
        return Outcome.DENY
    if status == 404:
        return Outcome.HIDDEN
    return str(status)


def agrees(expected: Outcome, response: TestResponse, *, write: bool) -> bool:
    seen = observed(response)
    if expected is not Outcome.ALLOW:
        return seen == expected
    if seen in (Outcome.LOGIN, Outcome.DENY) or response.status_code >= 500:
        return False
    return write or response.status_code < 400


__all__ = ["ROLES", "Check", "agrees", "build_checks", "observed", "route_methods", "rules_of"]
