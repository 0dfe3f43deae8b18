"""Security headers on pages, API answers and errors; HTTPS when FORCE_HTTPS is set."""

from __future__ import annotations

import pytest

EVERY_RESPONSE = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Permissions-Policy": "geolocation=(), camera=(), microphone=()",
}


@pytest.mark.parametrize("path", ["/", "/api/v1/polls", "/api/v1/no-such-thing", "/no-such-page"])
def test_every_response_carries_the_security_headers(client, path):
    headers = client.get(path).headers
    for name, value in EVERY_RESPONSE.items():
        assert headers[name] == value
    assert "default-src 'self'" in headers["Content-Security-Policy"]


def test_a_refused_api_call_carries_the_headers_once(client):
    response = client.post(
        "/api/v1/polls/1/votes", data="{", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.headers.getlist("Content-Security-Policy") == [
        response.headers["Content-Security-Policy"]
    ]
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_no_https_redirect_or_hsts_unless_asked(client):
    response = client.get("/")
    assert response.status_code == 200
    assert "Strict-Transport-Security" not in response.headers


class TestForcedHttps:
    @pytest.fixture
    def app_config(self):
        return {"FORCE_HTTPS": True}

    def test_plain_http_is_sent_to_https_with_the_same_path(self, client):
        response = client.get("/ideas?page=2")
        assert response.status_code == 307
        assert response.headers["Location"] == "https://localhost/ideas?page=2"
        assert "Strict-Transport-Security" not in response.headers

    def test_a_post_over_plain_http_is_redirected_as_a_post(self, client):
        response = client.post("/api/v1/polls/1/votes", json={"answers": []})
        assert response.status_code == 307  # the client repeats the POST, body and all

    def test_https_answers_carry_hsts(self, client):
        response = client.get("/", base_url="https://localhost")
        assert response.status_code == 200
        assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")

    def test_a_forwarded_proto_header_alone_does_not_count_as_https(self, client):
        # Only gunicorn, trusting the proxy (FORWARDED_ALLOW_IPS), may turn it into https.
        response = client.get("/", headers={"X-Forwarded-Proto": "https"})
        assert response.status_code == 307
