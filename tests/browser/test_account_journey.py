"""A resident registers, verifies with the code from the outbox, signs in, switches
language and signs out, on a phone-sized screen, with the keyboard where it matters."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.extensions import db
from app.notifications.models import Notification

pytestmark = pytest.mark.browser


def latest_code() -> str:
    db.session.expire_all()
    body = db.session.scalars(select(Notification.body).order_by(Notification.id.desc())).first()
    return re.search(r"\b(\d{6})\b", body).group(1)


def open_menu(page):
    toggler = page.get_by_role("button", name=re.compile("Показать меню|Show menu"))
    if toggler.is_visible():
        toggler.click()
        # Bootstrap slides the menu open; clicking a button while it still moves can hit
        # its neighbour («Русский» instead of «English»). `.show` comes when it stops.
        page.locator("#main-nav.show").wait_for()


def test_register_verify_sign_in_switch_language_sign_out(journey):
    page = journey.page
    journey.goto("/")
    open_menu(page)
    page.get_by_role("link", name="Регистрация").click()
    journey.check()

    page.get_by_label("Электронная почта").fill("maria@example.ru")
    page.get_by_label("Пароль").fill("очень-надёжный-пароль")
    page.get_by_label("Район проживания").select_option(label="Тёплый Стан")
    page.get_by_label("Имя на сайте").fill("Мария")
    page.get_by_label("Имя на сайте").press("Enter")  # submit from the keyboard
    page.wait_for_url("**/account/verify")
    journey.check()

    page.get_by_label("Код из письма").fill("000000" if latest_code() != "000000" else "111111")
    page.get_by_role("button", name="Подтвердить").click()
    assert page.get_by_text("Неверный код.").first.is_visible()
    journey.check()

    page.get_by_label("Код из письма").fill(latest_code())
    page.get_by_role("button", name="Подтвердить").click()
    page.wait_for_url("**/account")
    assert page.locator("#verification-status").inner_text().strip() == "Подтверждён"
    journey.check()

    open_menu(page)
    page.get_by_role("button", name="Выйти", exact=True).click()
    page.wait_for_url(journey.base_url + "/")
    journey.check()

    journey.goto("/login")
    page.get_by_label("Электронная почта").fill("maria@example.ru")
    page.get_by_label("Пароль").fill("очень-надёжный-пароль")
    page.get_by_role("button", name="Войти").click()
    page.wait_for_url(journey.base_url + "/")
    assert page.get_by_text("Вы вошли как Мария.").is_visible()

    open_menu(page)
    # Wait for the navigation the form starts: `wait_for_load_state` alone can return at
    # once, on the page still shown, when the machine is busy.
    with page.expect_navigation():
        page.get_by_role("button", name="English").click()
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("heading", level=2, name="How it works").is_visible()
    journey.check()

    open_menu(page)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign out", exact=True).click()
    assert page.locator("#main").get_by_role("link", name="Sign in").is_visible()
    journey.check()
    journey.finish()
