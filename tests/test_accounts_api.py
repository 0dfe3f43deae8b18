"""Accounts over the JSON API: registration, tokens, verification, profile."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.auth.models import ApiToken, User
from app.db import utcnow
from app.extensions import db
from app.notifications.models import Channel, Notification
from tests.factories import DEFAULT_PASSWORD, UserFactory

VALID = {
    "email": "Anna@Example.RU",
    "password": "secret-pass-1",
    "display_name": "Анна",
    "district": "Хамовники",
}


def user_count() -> int:
    return db.session.scalar(select(func.count()).select_from(User)) or 0


def latest_code(user_id: int) -> str:
    body = db.session.scalars(
        select(Notification.body)
        .where(Notification.user_id == user_id, Notification.kind == "verification_code")
        .order_by(Notification.id.desc())
    ).first()
    assert body, "no verification code in the outbox"
    match = re.search(r"\b(\d{6})\b", body)
    assert match
    return match.group(1)


def test_register_creates_unverified_resident_in_district(api):
    response = api.post("/auth/register", VALID)
    assert response.status_code == 201
    body = response.json
    assert body["email"] == "anna@example.ru"
    assert body["roles"] == ["resident"]
    assert body["district"] == "khamovniki"
    assert body["okrug"] == "cao"
    assert body["verified"] is False


def test_register_accepts_district_name_with_yo_folded(api):
    response = api.post("/auth/register", {**VALID, "district": "савелки"})
    assert response.status_code == 201
    assert response.json["district_name"] == "Савёлки"
    assert response.json["okrug"] == "zelao"


def test_register_twice_with_same_email_conflicts(api):
    assert api.post("/auth/register", VALID).status_code == 201
    response = api.post("/auth/register", {**VALID, "email": "anna@example.ru"})
    assert response.status_code == 409
    assert response.mimetype == "application/problem+json"
    assert "email" in response.json["errors"]
    assert user_count() == 1


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("email", "not-an-email"),
        ("password", "short"),
        ("display_name", "   "),
        ("display_name", "Анна\x00"),
        ("district", "Атлантида"),
    ],
)
def test_register_refuses_bad_field_with_its_name(api, field, value):
    response = api.post("/auth/register", {**VALID, field: value})
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert set(response.json["errors"]) == {field}
    assert user_count() == 0


def test_register_missing_fields_are_listed_in_russian(api):
    response = api.post("/auth/register", {"email": "a@b.ru"})
    assert response.status_code == 422
    assert response.json["errors"]["password"] == ["Обязательное поле."]
    assert {"password", "display_name", "district"} <= set(response.json["errors"])


def test_register_refuses_unknown_fields(api):
    response = api.post("/auth/register", {**VALID, "roles": ["admin"]})
    assert response.status_code == 422
    assert "roles" in response.json["errors"]


def test_malformed_json_is_400_problem(client):
    response = client.post(
        "/api/v1/auth/register", data='{"email": ', content_type="application/json"
    )
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"
    assert response.json["type"].endswith("malformed_json")


def test_non_json_body_is_415(client):
    response = client.post("/api/v1/auth/register", data="email=a", content_type="text/plain")
    assert response.status_code == 415


def test_deeply_nested_json_is_refused(client):
    deep = "[" * 5000 + "]" * 5000
    response = client.post("/api/v1/auth/register", data=deep, content_type="application/json")
    assert response.status_code == 400


def test_oversized_body_is_413(client):
    response = client.post(
        "/api/v1/auth/register", data="x" * (2 * 1024 * 1024), content_type="application/json"
    )
    assert response.status_code == 413
    assert response.mimetype == "application/problem+json"


def test_token_for_good_credentials_and_401_for_bad(api):
    user = UserFactory()
    assert (
        api.post("/auth/token", {"email": user.email, "password": "wrong-password"}).status_code
        == 401
    )
    response = api.post("/auth/token", {"email": user.email.upper(), "password": DEFAULT_PASSWORD})
    assert response.status_code == 200
    assert response.json["token"]
    assert response.json["expires_at"].endswith(("Z", "+00:00"))


def test_me_needs_a_valid_token(api):
    assert api.get("/me").status_code == 401
    api.token = "forged"
    response = api.get("/me")
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"


def test_me_shows_profile_roles_okrug_and_points(api):
    user = UserFactory(roles=("expert", "moderator"), district_code="matushkino")
    api.login(user.email)
    body = api.get("/me").json
    assert body["roles"] == ["expert", "moderator", "resident"]
    assert body["okrug"] == "zelao"
    assert body["verified"] is True
    assert body["points"] == 0


def test_token_is_stored_only_as_a_hash(api):
    user = UserFactory()
    raw = api.login(user.email)
    stored = db.session.scalars(select(ApiToken.token_hash)).all()
    assert raw not in stored
    assert len(stored) == 1
    assert len(stored[0]) == 64


def test_revoked_token_stops_working(api):
    user = UserFactory()
    api.login(user.email)
    assert api.delete("/auth/token").status_code == 204
    assert api.get("/me").status_code == 401


def test_expired_token_stops_working(api):
    user = UserFactory()
    api.login(user.email)
    db.session.execute(
        ApiToken.__table__.update().values(expires_at=utcnow() - timedelta(seconds=1))
    )
    db.session.commit()
    assert api.get("/me").status_code == 401


def test_verification_code_goes_through_outbox_and_verifies(api):
    api.post("/auth/register", VALID)
    api.login(VALID["email"], VALID["password"])
    response = api.post("/auth/verification")
    assert response.status_code == 202
    user = db.session.scalar(select(User))
    rows = db.session.scalars(
        select(Notification).where(Notification.kind == "verification_code")
    ).all()
    assert [row.channel for row in rows] == [Channel.EMAIL]
    assert rows[0].status.value == "sent"  # delivered by the log sender through the job runner
    code = latest_code(user.id)
    response = api.post("/auth/verification/confirm", {"code": code})
    assert response.status_code == 200
    assert response.json["verified"] is True


def test_wrong_codes_count_and_a_code_dies_after_five(api):
    user = UserFactory(verified=False)
    api.login(user.email)
    api.post("/auth/verification")
    code = latest_code(user.id)
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        response = api.post("/auth/verification/confirm", {"code": wrong})
        assert response.status_code == 422
        assert "code" in response.json["errors"]
    assert api.post("/auth/verification/confirm", {"code": code}).status_code == 422
    db.session.expire_all()
    assert db.session.get(User, user.id).verified_at is None


def test_new_code_replaces_the_old_one(api):
    user = UserFactory(verified=False)
    api.login(user.email)
    api.post("/auth/verification")
    first = latest_code(user.id)
    api.post("/auth/verification")
    second = latest_code(user.id)
    if first != second:
        assert api.post("/auth/verification/confirm", {"code": first}).status_code == 422
    assert api.post("/auth/verification/confirm", {"code": second}).status_code == 200


def test_verified_user_cannot_ask_for_another_code(api):
    user = UserFactory()
    api.login(user.email)
    assert api.post("/auth/verification").status_code == 409


def test_districts_lists_twelve_okrugs(api):
    body = api.get("/districts").json
    assert len(body["items"]) == 12
    assert sum(len(o["districts"]) for o in body["items"]) == 146
    cao = body["items"][0]
    assert cao["abbrev"] == "ЦАО"
    assert {"code": "arbat", "name": "Арбат", "kind": "district"} in cao["districts"]


def test_api_answers_russian_unescaped(client):
    raw = client.get("/api/v1/districts").get_data(as_text=True)
    assert "Арбат" in raw
