"""Behind the TLS proxy each client keeps its own address: X-Forwarded-For is believed from the
configured proxy only (FORWARDED_ALLOW_IPS), for rate limits and address hashes alike."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app import create_app
from app.auth.services import issue_token
from app.config import ConfigError
from app.extensions import db
from app.keys import address_hash
from tests.conftest import BASE_CONFIG
from tests.factories import UserFactory, make_poll
from voting.models import Participation, Poll

PROXY = "10.0.0.2"
STRANGER = "198.51.100.9"  # a client reaching the app directly, not through the proxy


@pytest.fixture
def app_config():
    return {"FORWARDED_ALLOW_IPS": f"{PROXY}, 192.168.7.0/24", "LOGIN_RATE_LIMIT": "2 per minute"}


def vote(client, poll: Poll, *, peer: str, forwarded: str, cookie: bool = False) -> int:
    """A new voter's API vote from `peer` carrying `X-Forwarded-For: forwarded`; the status.
    A cookie sends it through the Flask view instead of the express lane."""
    raw, _token = issue_token(UserFactory(), timedelta(hours=1))
    db.session.commit()
    single, multiple = poll.questions
    if cookie:
        client.set_cookie("theme", "dark")
    response = client.post(
        f"/api/v1/polls/{poll.id}/votes",
        json={
            "answers": [
                {"question_id": single.id, "option_ids": [single.options[0].id]},
                {"question_id": multiple.id, "option_ids": [multiple.options[0].id]},
            ]
        },
        headers={"Authorization": f"Bearer {raw}", "X-Forwarded-For": forwarded},
        environ_base={"REMOTE_ADDR": peer},
    )
    return response.status_code


def stored_address_hashes() -> list[str | None]:
    db.session.expire_all()
    return list(db.session.scalars(select(Participation.address_hash).order_by(Participation.id)))


@pytest.mark.parametrize("cookie", [False, True], ids=["express lane", "view"])
def test_clients_behind_the_proxy_get_their_own_address_hashes(client, cookie):
    poll = make_poll()
    for forwarded in ("203.0.113.1", "203.0.113.2", "192.0.2.200, 203.0.113.3"):
        assert vote(client, poll, peer=PROXY, forwarded=forwarded, cookie=cookie) == 201
    # The proxy appends the address it saw: a value the client wrote itself comes first
    # and is passed over.
    assert stored_address_hashes() == [
        address_hash("203.0.113.1"),
        address_hash("203.0.113.2"),
        address_hash("203.0.113.3"),
    ]


def test_a_proxy_in_a_trusted_network_counts_too(client):
    poll = make_poll()
    assert vote(client, poll, peer="192.168.7.40", forwarded="203.0.113.1") == 201
    assert stored_address_hashes() == [address_hash("203.0.113.1")]


@pytest.mark.parametrize("cookie", [False, True], ids=["express lane", "view"])
def test_a_client_outside_the_proxies_cannot_forge_its_address(client, cookie):
    poll = make_poll()
    for forwarded in ("203.0.113.1", "203.0.113.2"):
        assert vote(client, poll, peer=STRANGER, forwarded=forwarded, cookie=cookie) == 201
    assert stored_address_hashes() == [address_hash(STRANGER)] * 2


def failed_sign_in(client, n: int, *, peer: str, forwarded: str) -> int:
    """A wrong password for an account that does not exist (no per-account rule applies)."""
    response = client.post(
        "/api/v1/auth/token",
        json={"email": f"nobody{n}@example.ru", "password": "wrong-pass"},
        headers={"X-Forwarded-For": forwarded},
        environ_base={"REMOTE_ADDR": peer},
    )
    return response.status_code


def test_clients_behind_the_proxy_have_rate_limits_of_their_own(client):
    first = [failed_sign_in(client, n, peer=PROXY, forwarded="203.0.113.1") for n in range(3)]
    second = [failed_sign_in(client, n, peer=PROXY, forwarded="203.0.113.2") for n in range(3)]
    assert first == second == [401, 401, 429]


def test_a_forged_x_forwarded_for_does_not_escape_the_rate_limit(client):
    statuses = [
        failed_sign_in(client, n, peer=STRANGER, forwarded=f"203.0.113.{n}") for n in range(3)
    ]
    assert statuses == [401, 401, 429]


@pytest.mark.parametrize("app_config", [{"FORWARDED_ALLOW_IPS": "*"}])
def test_a_star_trusts_every_peer(client):
    poll = make_poll()
    assert vote(client, poll, peer=STRANGER, forwarded="203.0.113.1") == 201
    assert stored_address_hashes() == [address_hash("203.0.113.1")]


@pytest.mark.parametrize("setting", ["10.0.0.300", "proxy.local", "10.0.0.0/8, nonsense"])
def test_a_wrong_proxy_setting_stops_the_app_with_its_value(setting):
    with pytest.raises(ConfigError, match="FORWARDED_ALLOW_IPS="):
        create_app(
            {**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": "sqlite://", "FORWARDED_ALLOW_IPS": setting}
        )
