"""The flagship polls in a browser: a resident of ЮЗАО votes in the citywide services poll
and in the location poll of their okrug and keeps the receipts; staff close the polls and
publish results and a decision; the ledger is checked with the script; the resident checks
the receipt. Every page is checked with axe-core on a phone-sized screen."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from app.auth.models import Role
from tests.factories import UserFactory, make_poll

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def app_config():
    return {"VOTING_RESULTS_TTL_SECONDS": 0}


def test_resident_votes_staff_decide_resident_checks_receipt(journey, tmp_path):
    page = journey.page
    staff = UserFactory(roles=[Role.STAFF], email="staff@example.ru")
    resident = UserFactory(district_code="teplyy-stan", email="olga@example.ru")
    services = make_poll(
        staff,
        title="Какие услуги добавить во флагманские офисы «Мои документы»",
        questions=[
            {
                "text": "Какие дополнительные услуги нужны в офисе?",
                "kind": "multiple",
                "max_choices": 3,
                "options": ["Отделение банка", "Нотариус", "Фотостудия", "Мелкий ремонт"],
            }
        ],
        results="live",
    )
    location = make_poll(
        staff,
        title="Где открыть флагманский офис в ЮЗАО",
        audience={"okrugs": ["ЮЗАО"]},
        questions=[
            {
                "text": "Где открыть офис?",
                "kind": "single",
                "options": [
                    {
                        "text": "У метро Тёплый Стан",
                        "okrug": "ЮЗАО",
                        "lat": 55.6186,
                        "lon": 37.5059,
                    },
                    {
                        "text": "У метро Профсоюзная",
                        "okrug": "ЮЗАО",
                        "lat": 55.6777,
                        "lon": 37.5628,
                    },
                ],
            }
        ],
    )

    journey.sign_in(resident.email)
    journey.goto("/polls")
    page.get_by_role("link", name=services.title).click()
    journey.check()
    page.get_by_label("Отделение банка").check()
    page.get_by_label("Нотариус").check()
    page.get_by_role("button", name="Проголосовать").click()
    page.wait_for_url(f"**/polls/{services.id}/vote")
    journey.check()
    services_receipt = page.locator("#receipt").inner_text().strip()

    journey.goto(f"/polls/{location.id}")
    page.get_by_label("У метро Тёплый Стан").check()
    page.get_by_role("button", name="Проголосовать").click()
    page.wait_for_url(f"**/polls/{location.id}/vote")
    journey.check()
    location_receipt = page.locator("#receipt").inner_text().strip()
    journey.goto(f"/polls/{location.id}")
    assert page.get_by_text("Вы уже проголосовали").is_visible()

    journey.sign_in(staff.email)
    for poll in (services, location):
        journey.goto(f"/staff/polls/{poll.id}")
        page.get_by_role("button", name="Закрыть опрос").click()
        page.wait_for_load_state("load")
        journey.check()
    page.get_by_label("Текст решения").fill(
        "Флагманский офис ЮЗАО откроется у метро Тёплый Стан; в нём будут банк и нотариус."
    )
    page.get_by_role("button", name="Опубликовать решение").click()
    page.wait_for_url(f"**/polls/{location.id}/results")
    journey.check()
    assert page.locator("#decision").is_visible()
    root = page.locator("#ledger-root").inner_text().strip()
    journey.goto(f"/polls/{services.id}/results")
    assert page.locator("#table-q" + str(services.questions[0].id)).is_visible()

    # Anyone: download the ballots and check the ledger with the standalone script.
    document = page.request.get(f"{journey.base_url}/polls/{location.id}/ballots.json").json()
    ballots = tmp_path / "ballots.json"
    ballots.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    run = subprocess.run(  # noqa: S603 (our own script)
        [sys.executable, "-m", "voting.verify", str(ballots), "--receipt", location_receipt],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert json.loads(run.stdout)["computed_root"] == root

    journey.sign_in(resident.email)
    journey.goto(f"/polls/{services.id}/receipt")
    page.get_by_label("Квитанция").fill(services_receipt)
    page.get_by_role("button", name="Проверить").click()
    page.wait_for_load_state("load")
    journey.check()
    assert page.locator("#receipt-result").is_visible()
    assert page.locator("#receipt-result").get_by_text("Нотариус").is_visible()
    journey.finish()
