"""Failed sign-ins on one account slow its next tries down, without locking its owner out:
after a few failures each try waits a doubling delay (at most 15 minutes) after the last
one, a try inside the wait is refused unchecked, and the right password works once it is
over. Pages and API follow the same rule."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from app.auth.models import SignInThrottle
from app.auth.throttle import FREE_FAILURES, MAX_WAIT, wait_after
from app.db import utcnow
from app.extensions import db
from tests.factories import DEFAULT_PASSWORD, UserFactory
from tests.support import ApiClient

WRONG = "wrong-password"


def token_try(api, email: str, password: str = WRONG):
    return api.post("/auth/token", {"email": email, "password": password})


def fail(api, email: str, times: int) -> list[int]:
    return [token_try(api, email).status_code for _ in range(times)]


def throttle_of(user) -> SignInThrottle | None:
    db.session.expire_all()
    return db.session.get(SignInThrottle, user.id)


def move_last_failure_back(user, by: timedelta) -> None:
    """Stand in for the clock: the last failure happened `by` earlier than stored."""
    row = throttle_of(user)
    assert row is not None
    db.session.execute(
        update(SignInThrottle)
        .where(SignInThrottle.user_id == user.id)
        .values(last_failed_at=row.last_failed_at - by)
    )
    db.session.commit()


def test_the_wait_grows_from_the_first_few_failures_and_is_capped():
    assert [wait_after(n) for n in range(FREE_FAILURES)] == [timedelta(0)] * FREE_FAILURES
    waits = [wait_after(n).total_seconds() for n in range(FREE_FAILURES, FREE_FAILURES + 7)]
    assert waits == [30, 60, 120, 240, 480, 900, 900]
    assert wait_after(10_000) == MAX_WAIT


def test_after_a_few_failures_the_api_refuses_even_the_right_password_until_the_wait_ends(api):
    user = UserFactory()
    assert fail(api, user.email, FREE_FAILURES) == [401] * FREE_FAILURES
    refused = token_try(api, user.email, DEFAULT_PASSWORD)
    assert refused.status_code == 429
    assert refused.mimetype == "application/problem+json"
    assert refused.json["type"] == "/api/problems/too_many_attempts"
    assert "Попробуйте снова через 30 секунд" in refused.json["detail"]
    assert 25 <= int(refused.headers["Retry-After"]) <= 30


def test_tries_inside_the_wait_do_not_count(api):
    user = UserFactory()
    fail(api, user.email, FREE_FAILURES)
    assert fail(api, user.email, 3) == [429] * 3
    assert throttle_of(user).failures == FREE_FAILURES


def test_the_owner_signs_in_once_the_wait_is_over_and_success_forgets_the_failures(api):
    user = UserFactory()
    fail(api, user.email, FREE_FAILURES)
    move_last_failure_back(user, wait_after(FREE_FAILURES))
    assert token_try(api, user.email, DEFAULT_PASSWORD).status_code == 200
    assert throttle_of(user) is None
    assert fail(api, user.email, FREE_FAILURES) == [401] * FREE_FAILURES


def test_each_further_failure_doubles_the_wait(api):
    user = UserFactory()
    fail(api, user.email, FREE_FAILURES)
    move_last_failure_back(user, timedelta(seconds=30))
    assert fail(api, user.email, 1) == [401]
    refused = token_try(api, user.email)
    assert 55 <= int(refused.headers["Retry-After"]) <= 60
    db.session.execute(update(SignInThrottle).values(failures=40))
    db.session.commit()
    refused = token_try(api, user.email)
    assert 850 <= int(refused.headers["Retry-After"]) <= 900
    assert "15 минут" in refused.json["detail"]


def test_failures_a_day_old_are_forgotten(api):
    user = UserFactory()
    fail(api, user.email, FREE_FAILURES + 3)
    move_last_failure_back(user, timedelta(days=2))
    assert fail(api, user.email, 1) == [401]
    assert throttle_of(user).failures == 1


def test_one_accounts_failures_block_neither_other_accounts_nor_other_addresses(api, client):
    target, neighbour = UserFactory(), UserFactory()
    assert fail(api, target.email, FREE_FAILURES + 1)[-1] == 429
    assert token_try(api, neighbour.email, DEFAULT_PASSWORD).status_code == 200
    assert fail(api, neighbour.email, 1) == [401]  # its own count starts at one
    elsewhere = client.post(
        "/api/v1/auth/token",
        json={"email": neighbour.email, "password": DEFAULT_PASSWORD},
        environ_base={"REMOTE_ADDR": "203.0.113.50"},
    )
    assert elsewhere.status_code == 200
    assert throttle_of(neighbour) is None


def test_unknown_addresses_are_not_throttled_per_account(api):
    assert fail(api, "nobody@example.ru", FREE_FAILURES + 2) == [401] * (FREE_FAILURES + 2)
    assert db.session.scalar(select(SignInThrottle)) is None


def test_the_sign_in_form_shows_the_wait_and_lets_the_owner_in_after_it(pages):
    user = UserFactory()
    for _ in range(FREE_FAILURES):
        assert pages.submit("/login", {"email": user.email, "password": WRONG}).status_code == 401
    refused = pages.submit("/login", {"email": user.email, "password": DEFAULT_PASSWORD})
    assert refused.status_code == 429
    assert 25 <= int(refused.headers["Retry-After"]) <= 30
    assert "Слишком много неудачных попыток входа" in refused.get_data(as_text=True)
    assert pages.get("/account").status_code == 302  # not signed in

    move_last_failure_back(user, wait_after(FREE_FAILURES))
    pages.login(user.email)
    assert pages.get("/account").status_code == 200
    assert throttle_of(user) is None


def test_the_wait_is_told_in_the_readers_language(client):
    user = UserFactory()
    for _ in range(FREE_FAILURES + 1):
        refused = client.post(
            "/api/v1/auth/token",
            json={"email": user.email, "password": WRONG},
            headers={"Accept-Language": "en"},
        )
    assert refused.status_code == 429
    assert "Too many failed sign-in attempts" in refused.json["detail"]
    assert "30 seconds" in refused.json["detail"]


def test_simultaneous_tries_on_one_account_are_judged_one_after_the_other(app, is_postgres):
    if not is_postgres:
        pytest.skip("SQLite serialises writers, so there is no race to test: run on PostgreSQL")
    user = UserFactory()
    db.session.add(
        SignInThrottle(user_id=user.id, failures=FREE_FAILURES - 1, last_failed_at=utcnow())
    )
    db.session.commit()
    email, tries = user.email, 6
    barrier = threading.Barrier(tries)

    def attempt() -> int:
        client = ApiClient(app.test_client())
        barrier.wait()
        return token_try(client, email).status_code

    with ThreadPoolExecutor(tries) as pool:
        statuses = sorted(pool.map(lambda _: attempt(), range(tries)))
    # The last free try is checked; it starts the wait, which the others fall into.
    assert statuses == [401] + [429] * (tries - 1)
    assert throttle_of(user).failures == FREE_FAILURES
