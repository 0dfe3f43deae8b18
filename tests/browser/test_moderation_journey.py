"""A moderator clears the queue in the browser: approves, rejects with a reason, merges two
duplicates; the author sees why on the notifications page, and the log shows it all."""

from __future__ import annotations

import re

import pytest

from ideas.models import IdeaStatus, ModerationMode
from tests.factories import IdeaFactory, ProjectFactory, UserFactory

pytestmark = pytest.mark.browser


def item(page, idea_id):
    return page.locator("article", has=page.locator(f"#item-idea-{idea_id}"))


def test_moderator_clears_the_queue(journey):
    project = ProjectFactory(moderation=ModerationMode.PRE)
    author = UserFactory(display_name="Ольга")
    good = IdeaFactory(
        project=project, author=author, status=IdeaStatus.PENDING, title="Продлить часы работы МФЦ"
    )
    off_topic = IdeaFactory(
        project=project,
        author=author,
        status=IdeaStatus.PENDING,
        title="Построить новую ветку метро",
    )
    original = IdeaFactory(project=project, title="Электронная очередь с записью")
    duplicate = IdeaFactory(
        project=project, status=IdeaStatus.PENDING, title="Запись в электронную очередь"
    )
    ids = {"good": good.id, "off": off_topic.id, "original": original.id, "dup": duplicate.id}
    moderator = UserFactory(roles=("moderator",))
    page = journey.page

    journey.sign_in(moderator.email)
    journey.goto("/moderation")
    assert page.get_by_text("В очереди: 3").is_visible()

    item(page, ids["good"]).get_by_role("button", name="Одобрить").click()
    page.wait_for_load_state("load")
    assert page.get_by_text("Решение принято").is_visible()
    journey.check()

    card = item(page, ids["off"])
    card.get_by_label("Причина").select_option("off_topic")
    card.get_by_label("Пояснение для автора").fill("Проект о центрах госуслуг, а не о транспорте.")
    card.get_by_role("button", name="Отклонить").click()
    page.wait_for_load_state("load")

    card = item(page, ids["dup"])
    card.get_by_label("Объединить с идеей №").fill(str(ids["original"]))
    card.get_by_label("Причина").select_option("duplicate")
    card.get_by_role("button", name="Объединить").click()
    page.wait_for_load_state("load")
    assert page.get_by_text("Очередь пуста").is_visible()
    journey.check()

    journey.goto("/moderation/log")
    rows = page.locator("tbody tr")
    assert rows.count() == 3
    assert page.get_by_role("cell", name=re.compile("off_topic")).is_visible()
    assert page.get_by_role("cell", name=f"idea №{ids['dup']} → №{ids['original']}").is_visible()

    page.context.clear_cookies()
    journey.sign_in(author.email)
    journey.goto("/notifications")
    assert page.get_by_text("Причина: Не по теме проекта").first.is_visible()
    assert page.get_by_text("не о транспорте").first.is_visible()
    journey.finish()
