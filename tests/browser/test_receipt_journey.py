"""A resident checks a receipt in a browser while the poll runs («sealed») and again after
staff close it («recorded», with the proof). Every page is checked with axe-core on a
phone-sized screen."""

from __future__ import annotations

import pytest

from app.extensions import db
from tests.factories import UserFactory, make_poll
from voting import ballots, merkle
from voting.services import close_poll
from voting.verify import canonical

pytestmark = pytest.mark.browser


def test_resident_sees_the_ballot_sealed_then_recorded_with_its_proof(journey):
    page = journey.page
    resident = UserFactory(email="olga@example.ru")
    poll = make_poll(title="Какие услуги добавить во флагманские офисы «Мои документы»")

    journey.sign_in(resident.email)
    journey.goto(f"/polls/{poll.id}")
    page.get_by_label("Нет").check()
    page.get_by_label("Нотариус").check()
    page.get_by_role("button", name="Проголосовать").click()
    page.wait_for_url(f"**/polls/{poll.id}/vote")
    journey.check()
    receipt = page.locator("#receipt").inner_text().strip()

    # The receipt page offers the check; while the poll runs the ballot is sealed.
    page.get_by_role("button", name="Проверить эту квитанцию").click()
    page.wait_for_url(f"**/polls/{poll.id}/receipt")
    journey.check()
    result = page.locator("#receipt-result")
    assert result.get_attribute("data-status") == "sealed"
    assert result.get_by_role("heading", name="Бюллетень принят и запечатан").is_visible()
    assert result.get_by_text("Нотариус").count() == 0

    # Two neighbours vote too, so the ballot's proof has steps; then staff close the poll.
    poll = db.session.merge(poll)
    single, multiple = poll.questions
    for neighbour in range(2):
        answers = [
            {"question_id": single.id, "option_ids": [single.options[0].id]},
            {"question_id": multiple.id, "option_ids": [multiple.options[neighbour].id]},
        ]
        ballots.cast_ballot(UserFactory(), poll.id, answers, address="192.0.2.7", device="t")
    close_poll(poll)
    db.session.commit()

    # Later the resident types the receipt (lowercase, without dashes) and sees it recorded.
    journey.goto(f"/polls/{poll.id}/receipt")
    page.get_by_label("Квитанция").fill(receipt.replace("-", "").lower())
    page.get_by_role("button", name="Проверить").click()
    page.wait_for_load_state("load")
    journey.check()
    result = page.locator("#receipt-result")
    assert result.get_attribute("data-status") == "recorded"
    assert result.get_by_role("heading", name="Бюллетень записан в реестр").is_visible()
    assert result.get_by_text("Нотариус").is_visible()
    assert result.locator("#proof-verdict").get_by_text("Мы проверили доказательство").is_visible()

    # The proof opens with the keyboard and leads from the ballot to the signed root.
    summary = result.locator("details summary")
    summary.focus()
    page.keyboard.press("Enter")
    assert result.locator("details").get_attribute("open") is not None
    journey.check()
    head = page.request.get(f"{journey.base_url}/api/v1/polls/{poll.id}/ledger").json()
    assert page.locator("#ledger-root").inner_text().strip() == head["root"]
    status = page.request.get(
        f"{journey.base_url}/api/v1/polls/{poll.id}/receipts/{receipt}"
    ).json()
    assert result.get_by_text(f"лист {status['leaf_index']} из 3").is_visible()
    proof = result.locator("details code").all_inner_texts()
    assert proof == status["proof"]
    assert len(proof) == (1 if status["leaf_index"] == 2 else 2)  # the tree of 3 is 2 + 1
    assert merkle.verify_inclusion(
        merkle.hash_leaf(canonical(status["ballot"])),
        status["leaf_index"],
        head["tree_size"],
        merkle.unhex(proof),
        bytes.fromhex(head["root"]),
    )
    journey.finish()
