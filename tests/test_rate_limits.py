"""Sign-in, registration and code sending are rate limited."""

from __future__ import annotations

import pytest

from tests.factories import UserFactory


@pytest.fixture
def app_config():
    return {
        "LOGIN_RATE_LIMIT": "3 per minute",
        "REGISTER_RATE_LIMIT": "2 per minute",
        "CODE_RATE_LIMIT": "2 per minute",
    }


def test_many_wrong_passwords_over_api_get_429(api):
    user = UserFactory()
    statuses = [
        api.post("/auth/token", {"email": user.email, "password": "wrong-pass"}).status_code
        for _ in range(4)
    ]
    assert statuses == [401, 401, 401, 429]
    response = api.post("/auth/token", {"email": user.email, "password": "wrong-pass"})
    assert response.mimetype == "application/problem+json"


def test_successful_sign_ins_do_not_use_up_the_limit(api):
    user = UserFactory()
    for _ in range(5):
        api.login(user.email)


def test_many_wrong_passwords_on_login_page_get_429(pages):
    user = UserFactory()
    statuses = [
        pages.submit("/login", {"email": user.email, "password": "wrong-pass"}).status_code
        for _ in range(4)
    ]
    assert statuses[-1] == 429


def test_registration_is_limited(api):
    bodies = [
        {
            "email": f"r{i}@example.ru",
            "password": "long-password",
            "display_name": "Жанна",
            "district": "arbat",
        }
        for i in range(3)
    ]
    assert [api.post("/auth/register", b).status_code for b in bodies] == [201, 201, 429]


def test_code_sending_is_limited_per_user(api):
    user = UserFactory(verified=False)
    api.login(user.email)
    assert [api.post("/auth/verification").status_code for _ in range(3)] == [202, 202, 429]
