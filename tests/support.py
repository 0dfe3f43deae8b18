"""Test helpers: an API client that speaks bearer tokens, a page client that handles CSRF."""

from __future__ import annotations

import re
from typing import Any

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.factories import DEFAULT_PASSWORD

_CSRF = re.compile(
    r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"'
)


def csrf_token_in(html: str) -> str | None:
    """The CSRF token of the (first) form on a page, if it has one."""
    match = _CSRF.search(html)
    return (match.group(1) or match.group(2)) if match else None


class ApiClient:
    """JSON calls to /api/v1 with an optional bearer token."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client
        self.token: str | None = None

    def login(self, email: str, password: str = DEFAULT_PASSWORD) -> str:
        response = self.post("/auth/token", {"email": email, "password": password})
        assert response.status_code == 200, response.json
        self.token = response.json["token"]
        return self.token

    def logout(self) -> None:
        self.token = None

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    def get(self, path: str, **params: Any) -> TestResponse:
        return self.client.get(f"/api/v1{path}", query_string=params, headers=self._headers())

    def post(self, path: str, body: Any = None) -> TestResponse:
        return self.client.post(f"/api/v1{path}", json=body, headers=self._headers())

    def put(self, path: str, body: Any = None) -> TestResponse:
        return self.client.put(f"/api/v1{path}", json=body, headers=self._headers())

    def patch(self, path: str, body: Any = None) -> TestResponse:
        return self.client.patch(f"/api/v1{path}", json=body, headers=self._headers())

    def delete(self, path: str) -> TestResponse:
        return self.client.delete(f"/api/v1{path}", headers=self._headers())


class PageClient:
    """Browser-like use of the HTML pages: reads the CSRF token from the form it posts."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def get(self, path: str, **kwargs: Any) -> TestResponse:
        return self.client.get(path, **kwargs)

    def csrf_token(self, path: str) -> str:
        token = csrf_token_in(self.client.get(path).get_data(as_text=True))
        assert token, f"no CSRF token on {path}"
        return token

    def submit(
        self, path: str, data: dict[str, Any], *, form_page: str | None = None, follow: bool = False
    ) -> TestResponse:
        token = self.csrf_token(form_page or path)
        return self.client.post(path, data={**data, "csrf_token": token}, follow_redirects=follow)

    def login(self, email: str, password: str = DEFAULT_PASSWORD) -> TestResponse:
        response = self.submit("/login", {"email": email, "password": password})
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return response
