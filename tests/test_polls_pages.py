"""Poll pages: voting through the form, the receipt, results with charts, staff screens."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import func, select

from app.auth.models import Role
from app.extensions import db
from tests.factories import UserFactory, make_poll
from voting import ballots, merkle
from voting.models import Ballot, LedgerLeaf, Poll, PollStatus
from voting.verify import canonical

LOCATION_QUESTIONS = [
    {
        "text": "Где открыть флагманский офис?",
        "kind": "single",
        "options": [
            {"text": "Тверская, 8", "okrug": "ЦАО", "lat": 55.7602, "lon": 37.6100},
            {"text": "Профсоюзная, 1", "okrug": "ЮЗАО", "lat": 55.6777, "lon": 37.5628},
        ],
    },
    {"text": "Что ещё предложите?", "kind": "open"},
]


@pytest.fixture
def app_config():
    return {"VOTING_RESULTS_TTL_SECONDS": 0}


def form_for(poll: Poll, picks: dict[int, list[int] | str]) -> dict:
    data = {}
    for question in poll.questions:
        value = picks.get(question.position)
        if value is None:
            continue
        if isinstance(value, str):
            data[f"q{question.id}"] = value
        else:
            data[f"q{question.id}"] = [str(question.options[i].id) for i in value]
    return data


def test_vote_through_the_form_and_get_a_receipt(pages):
    poll = make_poll()
    voter = UserFactory()
    pages.login(voter.email)
    page = pages.get(f"/polls/{poll.id}").get_data(as_text=True)
    assert "<fieldset" in page
    assert "<legend" in page
    assert 'type="radio"' in page
    assert 'type="checkbox"' in page

    too_many = pages.submit(
        f"/polls/{poll.id}/vote",
        form_for(poll, {0: [0], 1: [0, 1, 2]}),
        form_page=f"/polls/{poll.id}",
    )
    assert too_many.status_code == 422
    assert "Можно выбрать не больше 2." in too_many.get_data(as_text=True)

    done = pages.submit(
        f"/polls/{poll.id}/vote", form_for(poll, {0: [1], 1: [0, 3]}), form_page=f"/polls/{poll.id}"
    )
    assert done.status_code == 200
    receipt = re.search(r'id="receipt">([0-9A-F-]+)<', done.get_data(as_text=True)).group(1)
    assert len(receipt) == 39

    again = pages.get(f"/polls/{poll.id}").get_data(as_text=True)
    assert "Вы уже проголосовали" in again
    assert db.session.scalar(select(func.count(Ballot.id))) == 1


def test_poll_page_explains_why_one_cannot_vote(pages):
    poll = make_poll(audience={"okrugs": ["ЗелАО"]})
    assert "Войдите" in pages.get(f"/polls/{poll.id}").get_data(as_text=True)
    pages.login(UserFactory(verified=False).email)
    assert "подтверждённые жители" in pages.get(f"/polls/{poll.id}").get_data(as_text=True)
    pages.login(UserFactory().email)
    assert "других округов" in pages.get(f"/polls/{poll.id}").get_data(as_text=True)
    forbidden = pages.submit(f"/polls/{poll.id}/vote", {}, form_page="/polls")
    assert forbidden.status_code == 403


def test_results_page_has_charts_tables_map_ledger_and_decision(pages, api):
    poll = make_poll(questions=LOCATION_QUESTIONS, results="live")
    for district, pick in (("khamovniki", 0), ("teplyy-stan", 1), ("arbat", 0)):
        pages.login(UserFactory(district_code=district).email)
        pages.submit(
            f"/polls/{poll.id}/vote",
            form_for(poll, {0: [pick], 1: "Пункт выдачи <script>alert(1)</script>"}),
            form_page=f"/polls/{poll.id}",
        )
    live = pages.get(f"/polls/{poll.id}/results").get_data(as_text=True)
    assert live.count("<svg") >= 3  # options, okrugs, time, the map
    assert 'role="img"' in live
    assert "<table" in live
    assert "OpenStreetMap" in live
    assert "<script>alert(1)</script>" not in live
    assert " style=" not in live.split("<main")[1]  # CSP: no inline styles

    staff = UserFactory(roles=[Role.STAFF])
    pages.login(staff.email)
    closed = pages.submit(f"/staff/polls/{poll.id}/close", {}, form_page=f"/staff/polls/{poll.id}")
    assert closed.status_code == 302
    decided = pages.submit(
        f"/staff/polls/{poll.id}/decision",
        {"text": "Офис откроется на Тверской, 8: за него больше голосов."},
        form_page=f"/staff/polls/{poll.id}",
    )
    assert decided.status_code == 302
    final = pages.get(f"/polls/{poll.id}/results").get_data(as_text=True)
    db.session.expire_all()
    root = db.session.get(Poll, poll.id).ledger_root
    assert root in final
    assert "Офис откроется на Тверской, 8" in final

    csv_text = pages.get(f"/polls/{poll.id}/results.csv").get_data(as_text=True)
    assert "Тверская, 8" in csv_text
    ballots = pages.get(f"/polls/{poll.id}/ballots.json").get_data(as_text=True)
    assert root in ballots


def api_head(pages, poll):
    return pages.client.get(f"/api/v1/polls/{poll.id}/ledger").json


def vote_through_the_form(pages, poll: Poll, picks: dict[int, list[int] | str]) -> str:
    """Vote as the signed-in person; the receipt as the page shows it."""
    done = pages.submit(
        f"/polls/{poll.id}/vote", form_for(poll, picks), form_page=f"/polls/{poll.id}"
    )
    return re.search(r'id="receipt">([0-9A-F-]+)<', done.get_data(as_text=True)).group(1)


def close_as_staff(pages, poll: Poll) -> None:
    pages.login(UserFactory(roles=[Role.STAFF]).email)
    pages.submit(f"/staff/polls/{poll.id}/close", {}, form_page=f"/staff/polls/{poll.id}")
    pages.client.post("/logout")


def test_a_receipt_checked_while_the_poll_is_open_is_sealed(pages):
    poll = make_poll()
    pages.login(UserFactory().email)
    done = pages.submit(
        f"/polls/{poll.id}/vote", form_for(poll, {0: [0], 1: [2]}), form_page=f"/polls/{poll.id}"
    )
    receipt_page = done.get_data(as_text=True)
    receipt = re.search(r'id="receipt">([0-9A-F-]+)<', receipt_page).group(1)
    # The receipt page offers the check as a form that posts the receipt (it is in no URL).
    assert f'action="/polls/{poll.id}/receipt"' in receipt_page
    assert f'name="receipt" value="{receipt}"' in receipt_page

    checked = pages.submit(f"/polls/{poll.id}/receipt", {"receipt": receipt})
    assert checked.status_code == 200
    html = checked.get_data(as_text=True)
    assert 'data-status="sealed"' in html
    assert "Бюллетень принят и запечатан: он попадёт в открытый реестр" in html
    assert "Бюллетень записан в реестр" not in html
    assert "Фотостудия" not in html  # a sealed ballot is not shown, not even to its voter
    head = api_head(pages, poll)
    assert head["tree_size"] == 0
    assert head["root"] in html
    assert head["public_key"] in html
    assert pages.client.get(f"/api/v1/polls/{poll.id}/receipts/{receipt}").json == {
        "status": "sealed"
    }


def test_a_receipt_checked_after_closing_is_recorded_with_a_proof_that_verifies(pages):
    poll = make_poll()
    single, multiple = poll.questions
    for other in range(4):
        answers = [
            {"question_id": single.id, "option_ids": [single.options[other % 2].id]},
            {"question_id": multiple.id, "option_ids": [multiple.options[other].id]},
        ]
        ballots.cast_ballot(UserFactory(), poll.id, answers, address="192.0.2.1", device="t")
    db.session.commit()
    pages.login(UserFactory().email)
    receipt = vote_through_the_form(pages, poll, {0: [1], 1: [1, 2]})
    close_as_staff(pages, poll)

    typed = receipt.replace("-", "").lower()  # as a person may type it: no dashes, lowercase
    found = pages.submit(f"/polls/{poll.id}/receipt", {"receipt": f" {typed[:16]} {typed[16:]} "})
    assert found.status_code == 200
    html = found.get_data(as_text=True)
    assert 'data-status="recorded"' in html
    assert "Бюллетень записан в реестр" in html
    head = api_head(pages, poll)
    status = pages.client.get(f"/api/v1/polls/{poll.id}/receipts/{receipt}").json
    index = status["leaf_index"]
    assert f"лист {index} из 5 в открытом реестре" in html
    # The ballot in words: each question, then what was chosen.
    answers = re.search(r'<dl class="mb-3 receipt-ballot">(.*?)</dl>', html, re.S).group(1)
    words = [" ".join(part.split()) for part in re.findall(r"<d[td]>(.*?)</d[td]>", answers, re.S)]
    assert words == [
        "Нужен ли флагманский офис?",
        "Нет",
        "Какие услуги добавить?",
        "Нотариус, Фотостудия",
    ]
    # The proof hashes, in a <details>, lead from the ballot to the signed root.
    details = re.search(r"<details.*?</details>", html, re.S).group(0)
    proof = re.findall(r"<code>([0-9a-f]{64})</code>", details)
    assert proof == status["proof"]
    assert len(proof) == (1 if index == 4 else 3)  # the tree of 5 splits as 4 + 1
    leaf = merkle.hash_leaf(canonical(status["ballot"]))
    assert merkle.verify_inclusion(
        leaf, index, head["tree_size"], merkle.unhex(proof), bytes.fromhex(head["root"])
    )
    assert 'id="proof-verdict">Мы проверили доказательство' in html
    for value in (head["root"], head["signature"], head["public_key"]):
        assert value in html
    assert f'href="/api/v1/polls/{poll.id}/ledger"' in html
    assert 'href="#offline"' in html
    assert 'id="offline"' in html
    assert f"/polls/{poll.id}/ballots.json" in html


@pytest.mark.parametrize(
    ("typed", "status", "message"),
    [
        ("0000-1111-2222-3333-4444-5555-6666-7777", 404, "Такой квитанции в этом опросе нет."),
        ("0000-1111", 422, "Квитанция — это 32 знака"),
        ("ЖЖЖЖ-1111-2222-3333-4444-5555-6666-7777", 422, "Квитанция — это 32 знака"),
        ("", 422, "Введите квитанцию."),
    ],
)
def test_a_forged_or_mistyped_receipt_is_a_form_error(pages, typed, status, message):
    poll = make_poll()
    pages.login(UserFactory().email)
    vote_through_the_form(pages, poll, {0: [0], 1: [0]})
    refused = pages.submit(f"/polls/{poll.id}/receipt", {"receipt": typed})
    assert refused.status_code == status
    html = refused.get_data(as_text=True)
    assert 'id="receipt-error"' in html
    assert message in html
    assert 'id="receipt-result"' not in html


def test_the_receipt_check_speaks_english_when_asked(pages):
    poll = make_poll()
    pages.login(UserFactory().email)
    receipt = vote_through_the_form(pages, poll, {0: [0], 1: [0]})
    pages.submit("/language", {"lang": "en", "next": "/"}, form_page="/")
    sealed = pages.submit(f"/polls/{poll.id}/receipt", {"receipt": receipt}).get_data(as_text=True)
    assert "Ballot accepted and sealed" in sealed
    assert "Signed tree head of the ledger" in sealed
    mistyped = pages.submit(f"/polls/{poll.id}/receipt", {"receipt": "12"}).get_data(as_text=True)
    assert "A receipt is 32 characters" in mistyped


def test_a_receipt_from_another_poll_is_not_found_on_this_one(pages):
    first, second = make_poll(), make_poll()
    pages.login(UserFactory().email)
    receipt = vote_through_the_form(pages, first, {0: [0], 1: [0]})
    refused = pages.submit(f"/polls/{second.id}/receipt", {"receipt": receipt})
    assert refused.status_code == 404
    assert "Такой квитанции в этом опросе нет." in refused.get_data(as_text=True)


def test_staff_create_a_poll_with_the_form_preview_and_open_it(pages):
    staff = UserFactory(roles=[Role.STAFF])
    pages.login(staff.email)
    assert pages.get("/staff/polls/new").status_code == 200
    bad = pages.submit(
        "/staff/polls/new",
        {
            "title": "Опрос",
            "results": "live",
            "questions-0-text": "Где?",
            "questions-0-kind": "single",
            "questions-0-options": "Один вариант",
        },
    )
    assert bad.status_code == 422
    assert "Нужно не меньше двух вариантов ответа." in bad.get_data(as_text=True)
    created = pages.submit(
        "/staff/polls/new",
        {
            "title": "Где открыть флагманский офис в ЦАО",
            "description": "Выберите место",
            "audience_okrugs": ["cao"],
            "results": "after_close",
            "closes_at": "2031-01-10T18:00",
            "questions-0-text": "Где открыть офис?",
            "questions-0-kind": "single",
            "questions-0-options": (
                "Тверская, 8 | рядом с метро | ЦАО | 55.7602 | 37.61\n"
                "Покровка, 2 | | ЦАО | 55.758 | 37.642"
            ),
            "questions-1-text": "Какие услуги добавить?",
            "questions-1-kind": "multiple",
            "questions-1-max_choices": "2",
            "questions-1-options": "Банк\nНотариус\nФотостудия",
        },
    )
    assert created.status_code == 302, created.get_data(as_text=True)[:3000]
    db.session.expire_all()
    poll = db.session.scalar(select(Poll))
    assert poll.audience_okrugs == ["cao"]
    assert poll.closes_at.isoformat() == "2031-01-10T15:00:00+00:00"  # 18:00 in Moscow
    assert poll.questions[0].options[0].lat == pytest.approx(55.7602)
    assert poll.questions[1].max_choices == 2
    preview = pages.get(f"/staff/polls/{poll.id}").get_data(as_text=True)
    assert "Так опрос увидят жители" in preview
    assert "Тверская, 8" in preview
    edit = pages.get(f"/staff/polls/{poll.id}/edit").get_data(as_text=True)
    assert "Тверская, 8 | рядом с метро | ЦАО | 55.7602 | 37.61" in edit
    opened = pages.submit(f"/staff/polls/{poll.id}/open", {}, form_page=f"/staff/polls/{poll.id}")
    assert opened.status_code == 302
    db.session.expire_all()
    assert db.session.get(Poll, poll.id).status is PollStatus.OPEN
    assert pages.get(f"/staff/polls/{poll.id}/report").status_code == 200


def test_staff_import_questions_as_json(pages):
    pages.login(UserFactory(roles=[Role.STAFF]).email)
    created = pages.submit(
        "/staff/polls/new",
        {
            "title": "Импорт вопросов",
            "results": "live",
            "questions_json": json.dumps(
                [{"text": "Нужен ли офис?", "options": [{"text": "Да"}, {"text": "Нет"}]}]
            ),
        },
    )
    assert created.status_code == 302
    db.session.expire_all()
    assert [o.text for o in db.session.scalar(select(Poll)).questions[0].options] == ["Да", "Нет"]


def test_staff_pages_are_for_staff(pages):
    poll = make_poll()
    assert pages.get("/staff/polls").status_code == 401
    pages.login(UserFactory().email)
    assert pages.get("/staff/polls").status_code == 403
    assert pages.get(f"/staff/polls/{poll.id}/report").status_code == 403


def test_poll_list(pages):
    make_poll(title="Открытый опрос для всех")
    make_poll(title="Черновик", open_now=False)
    html = pages.get("/polls").get_data(as_text=True)
    assert "Открытый опрос для всех" in html
    assert "Черновик" not in html


def test_demo_step_builds_the_flagship_scenario_once(app, monkeypatch):
    from app.demo import ensure_demo_accounts
    from voting import demo
    from voting.verify import merkle_root

    monkeypatch.setattr(demo, "RESIDENTS", 300)
    ensure_demo_accounts()
    steps = []
    demo.demo_step(lambda fraction, message: steps.append(fraction))
    demo.demo_step(lambda fraction, message: steps.append(fraction))  # idempotent
    assert steps[-1] == 1.0
    polls = db.session.scalars(select(Poll).order_by(Poll.id)).all()
    assert len(polls) == 13
    services = polls[0]
    assert services.status is PollStatus.CLOSED
    assert services.decision_text
    leaves = db.session.scalars(
        select(Ballot.leaf_hash)
        .join(LedgerLeaf, LedgerLeaf.ballot_id == Ballot.id)
        .where(Ballot.poll_id == services.id)
        .order_by(LedgerLeaf.leaf_index)
    ).all()
    assert len(leaves) > 150
    assert merkle_root(leaves) == services.ledger_root
    for poll in polls[1:]:
        okrug = poll.audience_okrugs[0]
        assert all(o.okrug == okrug for o in poll.questions[0].options)
        assert poll.status is PollStatus.OPEN
