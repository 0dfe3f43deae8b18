"""From clusters to published results, in the browser."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from ideas.clustering.models import Cluster, ClusterMember
from ideas.clustering.services import start_run
from ideas.models import IdeaStatus, ProjectStage
from tests.factories import IdeaFactory, ProjectFactory, UserFactory

pytestmark = pytest.mark.browser

TEXTS = [
    "Электронная очередь с записью на точное время",
    "Запись в МФЦ через портал, чтобы не стоять в очереди",
    "Продлить часы работы центра до десяти вечера",
    "Работать по воскресеньям для тех, кто занят в будни",
    "Детский уголок в зоне ожидания",
    "Игровая комната для детей, пока родители ждут",
]


def score(journey, marks: int) -> None:
    """On an idea's review page: score every criterion, shortlist, save."""
    page = journey.page
    for legend in (
        "Польза для жителей",
        "Реализуемость",
        "Затраты (5 — недорого)",
        "Охват: скольких жителей касается",
    ):
        page.get_by_role("group", name=legend).get_by_label(str(marks), exact=True).check()
    page.get_by_label("В короткий список").check()
    page.get_by_role("button", name="Сохранить оценку").click()
    page.wait_for_load_state("load")
    assert page.get_by_text("Оценка сохранена.").is_visible()
    journey.check()


def test_experts_score_staff_select_and_publish_resident_sees_results(journey):
    project = ProjectFactory(stage=ProjectStage.EXPERT_REVIEW)
    resident = UserFactory(display_name="Мария")
    ideas = [IdeaFactory(project=project, title=t, body=t + ".") for t in TEXTS]
    merged = IdeaFactory(
        project=project,
        author=resident,
        title="Очередь по записи онлайн",
        status=IdeaStatus.MERGED,
        merged_into=ideas[0],
    )
    experts = [UserFactory(roles=("expert",)), UserFactory(roles=("expert",))]
    staff = UserFactory(roles=("staff",))
    run = start_run(project, staff, k=3)
    db.session.commit()
    db.session.refresh(run)
    cluster_id = db.session.scalar(
        select(ClusterMember.cluster_id).where(
            ClusterMember.run_id == run.id, ClusterMember.idea_id == ideas[0].id
        )
    )
    topic = db.session.get(Cluster, cluster_id).display_label if cluster_id else None
    page = journey.page

    for expert, marks in zip(experts, (5, 4), strict=True):
        page.context.clear_cookies()
        journey.sign_in(expert.email)
        journey.goto(f"/projects/{project.id}/review")
        if topic is not None:  # from its topic, as experts work
            page.get_by_role("link", name=topic, exact=True).click()
            page.wait_for_load_state("load")
            journey.check()
            page.get_by_role("link", name=TEXTS[0]).click()
            page.wait_for_load_state("load")
        else:  # the engine left it in «other»: straight to the idea
            journey.goto(f"/ideas/{ideas[0].id}/review")
        score(journey, marks)

    page.context.clear_cookies()
    journey.sign_in(staff.email)
    journey.goto(f"/projects/{project.id}/shortlist")
    assert page.locator("#agreement").is_visible()
    assert page.get_by_text("Идей без единой оценки: 5").is_visible()
    page.get_by_label(f"Отобрать идею «{TEXTS[0]}»").check()
    page.get_by_role("button", name="Отобрать отмеченные идеи").click()
    page.wait_for_load_state("load")
    assert page.get_by_text("Отобрано идей: 1.").is_visible()
    journey.check()
    page.get_by_role("link", name="реализация").click()
    page.wait_for_url(f"**/ideas/{ideas[0].id}/implementation")
    page.get_by_label("Статус").select_option("in_progress")
    page.get_by_label("Готовность, %").fill("30")
    page.get_by_label("Что сделано или почему отказались").fill("Терминалы закуплены.")
    page.get_by_role("button", name="Сохранить").click()
    page.wait_for_load_state("load")
    journey.check()
    journey.goto(f"/projects/{project.id}/shortlist")
    page.get_by_role("button", name="Опубликовать итоги").click()
    page.wait_for_url(f"**/projects/{project.id}/results")

    page.context.clear_cookies()
    journey.goto(f"/projects/{project.id}/results")
    assert page.get_by_role("heading", name=TEXTS[0]).is_visible()
    assert page.get_by_text("Терминалы закуплены.").is_visible()
    assert page.get_by_role("link", name=merged.title).is_visible()
    journey.sign_in(resident.email)
    journey.goto("/notifications")
    assert page.get_by_text("Идея отобрана для реализации").first.is_visible()
    journey.finish()
