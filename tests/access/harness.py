"""Calling the app as each role: a signed-in cookie for pages, a bearer token for the API.

Every request starts from the role's own freshly signed-in cookie (so a flash message, a
logout or a language switch by one check does not leak into the next) and, for the API,
from its token.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask import Flask
from werkzeug.test import TestResponse

from tests.access.scenario import ROLES, Scenario
from tests.factories import DEFAULT_PASSWORD


@dataclass
class World:
    """The app with its scenario and one signed-in identity per role."""

    app: Flask
    scenario: Scenario
    cookies: dict[str, str] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)

    def sign_in_everyone(self) -> None:
        client = self.app.test_client()
        for role in ROLES[1:]:
            email = self.scenario.people[role].email
            response = client.post("/login", data={"email": email, "password": DEFAULT_PASSWORD})
            assert response.status_code == 302, (role, response.status_code)
            cookie = client.get_cookie("session")
            assert cookie is not None
            self.cookies[role] = cookie.value
            client.delete_cookie("session")
            token = client.post(
                "/api/v1/auth/token", json={"email": email, "password": DEFAULT_PASSWORD}
            )
            assert token.status_code == 200, (role, token.json)
            self.tokens[role] = token.json["token"]

    def call(
        self, role: str, method: str, path: str, body: Any = None, **kwargs: Any
    ) -> TestResponse:
        """One request as `role`: JSON with a bearer token under /api/, a form elsewhere."""
        client = self.app.test_client()
        headers = dict(kwargs.pop("headers", {}))
        if path.startswith("/api/"):
            if role in self.tokens:
                headers["Authorization"] = f"Bearer {self.tokens[role]}"
            if method != "GET":
                kwargs["json"] = body if body is not None else {}
        else:
            if role in self.cookies:
                client.set_cookie("session", self.cookies[role])
            if method != "GET":
                kwargs["data"] = body or {}
        response = client.open(path, method=method, headers=headers, **kwargs)
        response.get_data()  # read it all, then let go of files and streams
        response.close()
        return response
