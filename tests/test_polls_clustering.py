"""Open answers are clustered with `ml`, and staff turn clusters into a follow-up poll."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.auth.models import Role
from app.extensions import db
from tests.factories import UserFactory, make_poll
from voting.models import Poll, PollStatus

ANSWERS = [
    "Кофейню в зоне ожидания",
    "Хочется кофе и кофейню рядом с очередью",
    "Автомат с кофе в зале ожидания",
    "Кофейня с выпечкой была бы кстати",
    "Страховую компанию для ОСАГО",
    "Оформление страховки ОСАГО на машину",
    "Страховка для автомобиля, ОСАГО",
    "Полис ОСАГО и страховая компания",
    "Пункт приёма батареек на переработку",
    "Сбор батареек и старой техники на переработку",
    "Контейнер для батареек, переработка",
    "Переработка батареек и лампочек",
]


@pytest.fixture
def app_config():
    return {"VOTING_RESULTS_TTL_SECONDS": 0}


def test_staff_cluster_open_answers_into_a_follow_up_poll(api, pages):
    poll = make_poll(
        questions=[
            {"text": "Нужен ли флагманский офис?", "kind": "single", "options": ["Да", "Нет"]},
            {"text": "Что ещё добавить в офис?", "kind": "open"},
        ]
    )
    q1, q2 = poll.questions
    for text in ANSWERS:
        api.login(UserFactory().email)
        body = {
            "answers": [
                {"question_id": q1.id, "option_ids": [q1.options[0].id]},
                {"question_id": q2.id, "text": text},
            ]
        }
        assert api.post(f"/polls/{poll.id}/votes", body).status_code == 201
    staff = UserFactory(roles=[Role.STAFF])
    pages.login(staff.email)
    pages.submit(f"/staff/polls/{poll.id}/close", {}, form_page=f"/staff/polls/{poll.id}")

    page = pages.get(f"/staff/polls/{poll.id}/questions/{q2.id}/clusters")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    groups = re.findall(r'name="cluster" value="(\d+)"', html)
    assert len(groups) >= 2
    created = pages.submit(
        f"/staff/polls/{poll.id}/questions/{q2.id}/follow-up",
        {
            "cluster": groups[:2],
            f"label-{groups[0]}": "Кофейня",
            f"label-{groups[1]}": "Страхование",
            "kind": "multiple",
        },
        form_page=f"/staff/polls/{poll.id}/questions/{q2.id}/clusters",
    )
    assert created.status_code == 302
    db.session.expire_all()
    follow_up = db.session.scalar(select(Poll).where(Poll.follow_up_of_id == poll.id))
    assert follow_up.status is PollStatus.DRAFT
    assert [o.text for o in follow_up.questions[0].options] == ["Кофейня", "Страхование"]
    assert pages.get(f"/staff/polls/{poll.id}/questions/{q1.id}/clusters").status_code == 404


def test_voting_imports_ml_only_in_its_glue_module():
    from pathlib import Path

    from tests.test_architecture import imported_top_modules

    root = Path(__file__).resolve().parents[1] / "voting"
    users = {path.name for path in root.rglob("*.py") if "ml" in imported_top_modules(path)}
    assert users == {"clustering.py"}
    assert not any("moderation" in imported_top_modules(p) for p in root.rglob("*.py"))
