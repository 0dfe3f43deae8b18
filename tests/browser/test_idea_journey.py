"""A verified resident submits an idea and sees similar ideas while typing, finds it by
another word form; another resident supports it and comments, on a phone-sized screen."""

from __future__ import annotations

import re

import pytest

from tests.factories import IdeaFactory, ProjectFactory, UserFactory

pytestmark = pytest.mark.browser


def open_menu(page):
    toggler = page.get_by_role("button", name=re.compile("Показать меню|Show menu"))
    if toggler.is_visible():
        toggler.click()
        # Bootstrap slides the menu open; clicking a button while it still moves can hit
        # its neighbour («Русский» instead of «English»). `.show` comes when it stops.
        page.locator("#main-nav.show").wait_for()


def test_submit_find_support_and_discuss_an_idea(journey):
    project = ProjectFactory(title="Мой офис госуслуг. Создай центр будущего!")
    IdeaFactory(
        project=project,
        title="Электронная очередь с СМС-уведомлением",
        body="Присылать СМС, когда до моего талона остаётся пять человек.",
    )
    UserFactory(email="maria@example.ru", display_name="Мария")
    UserFactory(email="petr@example.ru", display_name="Пётр")
    page = journey.page

    journey.sign_in("maria@example.ru", "correct-horse-42")
    journey.goto("/projects")
    page.get_by_role("link", name=project.title).click()
    journey.check()
    page.get_by_role("link", name="Предложить идею").click()
    page.wait_for_url(f"**/projects/{project.id}/ideas/new")
    journey.check()

    page.get_by_label("Название идеи").fill("Уведомлять об очереди в телефоне")
    page.get_by_label("Текст идеи").fill(
        "Хочу получать сообщение, когда моя очередь в центре подходит, и не сидеть в зале."
    )
    similar = page.locator("#similar-results")
    similar.get_by_role("link", name="Электронная очередь с СМС-уведомлением").wait_for()
    journey.check()

    page.get_by_label("Раздел").select_option(label="Очереди и запись")
    page.get_by_role("button", name="Отправить идею").click()
    page.wait_for_url(re.compile(r".*/ideas/\d+$"))
    idea_url = page.url
    assert page.get_by_text("Идея опубликована. Спасибо!").is_visible()
    journey.check()

    journey.goto(f"/projects/{project.id}/ideas")
    page.get_by_role("searchbox", name="Поиск").fill("очередями")
    page.get_by_role("searchbox", name="Поиск").press("Enter")
    page.wait_for_url(re.compile(r".*q=.*"))
    assert page.get_by_role("link", name="Уведомлять об очереди в телефоне").is_visible()
    journey.check()

    open_menu(page)
    page.get_by_role("button", name="Выйти", exact=True).click()
    page.wait_for_url(journey.base_url + "/")

    journey.sign_in("petr@example.ru", "correct-horse-42")
    page.goto(idea_url)
    journey.check()
    with page.expect_navigation():  # the form posts, then redirects back to the idea
        page.get_by_role("button", name="Поддержать").click()
    assert page.locator("#support-count").inner_text() == "1"
    assert page.get_by_role("button", name="Отозвать поддержку").is_visible()
    journey.check()

    page.get_by_label("Ваш комментарий").fill("Отличная идея, <b>поддерживаю</b>!")
    with page.expect_navigation():
        page.get_by_role("button", name="Отправить комментарий").click()
    assert page.get_by_text("Отличная идея, <b>поддерживаю</b>!").is_visible()
    page.get_by_text("Ответить", exact=True).first.click()
    page.get_by_label("Ваш ответ").fill("И ещё: пусть работает без смартфона.")
    with page.expect_navigation():
        page.get_by_role("button", name="Ответить", exact=True).click()
    assert page.get_by_text("И ещё: пусть работает без смартфона.").is_visible()
    journey.check()
    journey.finish()
