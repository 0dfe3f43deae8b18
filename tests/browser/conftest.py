"""Browser tests: a live server on loopback and Debian's Chromium driven by Playwright.

Every page a journey visits is checked with axe-core (no serious or critical violation),
and the console is watched for errors such as Content-Security-Policy refusals.
"""

from __future__ import annotations

import os
import re
import shutil
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import make_server

from tests.factories import DEFAULT_PASSWORD

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
SERIOUS = {"serious", "critical"}
# Forms answer refused input with 401/409/422 on purpose; Chromium logs those as console errors.
EXPECTED_FORM_STATUSES = re.compile(r"Failed to load resource: .*status of (401|409|422)\b")


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM):
        if os.environ.get("CI") == "true":
            pytest.fail(f"Chromium is not installed at {CHROMIUM}")
        pytest.skip(f"Chromium is not installed at {CHROMIUM} (`make browsers` installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def live_server(app: Flask) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)
    server.server_close()


class Journey:
    """A page plus the checks every step makes: accessibility, console errors, no dialogs."""

    def __init__(self, page: Any, base_url: str) -> None:
        self.page = page
        self.base_url = base_url
        self.console_errors: list[str] = []
        self.dialogs: list[str] = []
        self.checked: list[str] = []
        page.on("console", self._on_console)
        page.on("dialog", self._on_dialog)

    def _on_console(self, message: Any) -> None:
        if message.type == "error" and not EXPECTED_FORM_STATUSES.search(message.text):
            self.console_errors.append(message.text)

    def _on_dialog(self, dialog: Any) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def goto(self, path: str) -> Any:
        response = self.page.goto(self.base_url + path)
        self.check()
        return response

    def sign_in(self, email: str, password: str = DEFAULT_PASSWORD) -> None:
        """Sign in through the form as a person would (a fresh session: cookies cleared)."""
        self.page.context.clear_cookies()
        self.goto("/login")
        self.page.get_by_label("Электронная почта").fill(email)
        self.page.get_by_label("Пароль").fill(password)
        self.page.get_by_role("button", name="Войти").click()
        self.page.wait_for_url(self.base_url + "/")

    def check(self) -> None:
        """axe-core on the current page; serious or critical violations fail the test."""
        from axe_playwright_python.sync_playwright import Axe

        self.page.wait_for_load_state("load")
        results = Axe().run(self.page)
        bad = [v for v in results.response["violations"] if v.get("impact") in SERIOUS]
        summary = [
            f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:3]}" for v in bad
        ]
        assert not bad, f"accessibility violations on {self.page.url}: {summary}"
        self.checked.append(self.page.url)

    def finish(self) -> None:
        assert self.dialogs == [], f"unexpected dialogs: {self.dialogs}"
        assert self.console_errors == [], f"console errors: {self.console_errors}"


@pytest.fixture
def journey(browser: Any, live_server: str) -> Iterator[Journey]:
    context = browser.new_context(locale="ru-RU", viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.set_default_timeout(30_000)  # generous: CI shares two cores with the server and database
    trip = Journey(page, live_server)
    yield trip
    context.close()
