"""Naughty strings through every text input of the site's forms, and oversized form posts.

Pages are listed here (each call makes fresh rows, so a string never meets one before it);
their forms and text inputs are read from the HTML, so a new input is covered by itself.
An answer is a page (2xx/3xx, or 4xx with the form's errors), never a 5xx; an accepted text
is stored exactly as written (trimmed, CRLF as LF) in some text column. A post bigger than
MAX_CONTENT_LENGTH is a 413 page.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from html.parser import HTMLParser
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import String, Text, select

from app.extensions import db
from ideas.clustering.models import Cluster, ClusteringRun, RunStatus
from ideas.models import IdeaStatus, ModerationMode, ProjectStage
from tests.factories import (
    DEFAULT_PASSWORD,
    CommentFactory,
    IdeaFactory,
    ProjectFactory,
    make_poll,
)
from tests.fuzz_support import FULL, NAUGHTY, seed
from voting.services import close_poll

STEP = 1 if FULL else 40
TEXT_TYPES = {"text", "search", "email", "password", "url", "tel", None}
NOT_STORED = {"email", "password", "code", "receipt", "q", "district"}


class _Forms(HTMLParser):
    """POST forms of a page: action, default values, and the names of text inputs."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, Any]] = []
        self._form: dict[str, Any] | None = None
        self._textarea: str | None = None
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "form" and (a.get("method") or "").lower() == "post":
            self._form = {"action": a.get("action") or "", "data": {}, "text": []}
            self.forms.append(self._form)
        if self._form is None or not a.get("name"):
            if tag == "option" and self._form is not None and self._select:
                data = self._form["data"]  # the first real choice, not a "choose…" placeholder
                if not data.get(self._select):
                    data[self._select] = a.get("value") or ""
            return
        name = a["name"]
        data, kind = self._form["data"], a.get("type")
        if tag == "input" and kind in ("checkbox", "radio"):
            if name not in data:
                data[name] = a.get("value") or "y"
        elif tag == "input" and kind != "submit":
            data[name] = a.get("value") or ""
            if kind in TEXT_TYPES:
                self._form["text"].append(name)
        elif tag == "textarea":
            data[name] = ""
            self._form["text"].append(name)
            self._textarea = name
        elif tag == "select":
            self._select = name

    def handle_data(self, text: str) -> None:
        if self._form is not None and self._textarea:
            self._form["data"][self._textarea] += text

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None


def _forms(html: str) -> list[dict[str, Any]]:
    parser = _Forms()
    parser.feed(html)
    return [form for form in parser.forms if form["text"]]


def _stored(text: str) -> bool:
    """Whether some text column of some table holds exactly this text."""
    db.session.expire_all()
    wanted = {text, text.strip(), text.strip().replace("\r\n", "\n")}
    for table in db.metadata.sorted_tables:
        for column in table.columns:
            if isinstance(column.type, String | Text):
                hit = db.session.execute(select(column).where(column.in_(wanted)).limit(1)).first()
                if hit:
                    return True
    return False


def _run_with_cluster() -> str:
    run = ClusteringRun(
        project_id=ProjectFactory().id,
        status=RunStatus.DONE,
        idea_count=0,
        duration_seconds=1.0,
        inputs_hash="0" * 64,
        software={},
        n_clusters=1,
        other_count=0,
    )
    db.session.add(run)
    db.session.flush()
    db.session.add(Cluster(run_id=run.id, number=0, label="Очереди", size=0, support=0))
    db.session.commit()
    return f"/clusterings/{run.id}"


def _pending_idea(**fields: Any) -> int:
    project = ProjectFactory(moderation=ModerationMode.PRE)
    return IdeaFactory(project=project, status=IdeaStatus.PENDING, published_at=None, **fields).id


def _idea_in_review() -> int:
    return IdeaFactory(project=ProjectFactory(stage=ProjectStage.EXPERT_REVIEW)).id


def _closed_poll(admin: Any) -> int:
    poll = make_poll(staff=admin)
    close_poll(poll)
    db.session.commit()
    return poll.id


# Page → a function of the admin that makes fresh rows and returns the page's path.
PAGES: dict[str, Callable[[Any], str]] = {
    "register": lambda admin: "/register",
    "login": lambda admin: "/login",
    "new project": lambda admin: "/projects/new",
    "edit project": lambda admin: f"/projects/{ProjectFactory().id}/edit",
    "new idea": lambda admin: f"/projects/{ProjectFactory().id}/ideas/new",
    "edit idea": lambda admin: (
        f"/ideas/{IdeaFactory(author=admin, status=IdeaStatus.PENDING, published_at=None).id}/edit"
    ),
    "idea page": lambda admin: f"/ideas/{CommentFactory().idea_id}",
    "review": lambda admin: (
        f"/ideas/{IdeaFactory(project=ProjectFactory(stage=ProjectStage.EXPERT_REVIEW)).id}/review"
    ),
    "implementation": lambda admin: (
        f"/ideas/{IdeaFactory(status=IdeaStatus.SELECTED).id}/implementation"
    ),
    "moderation queue": lambda admin: _pending_idea() and "/moderation",
    "poll": lambda admin: "/polls/{}".format(
        make_poll(staff=admin, questions=[{"text": "Что ещё?", "kind": "open"}]).id
    ),
    "receipt": lambda admin: f"/polls/{_closed_poll(admin)}/receipt",
    "new poll": lambda admin: "/staff/polls/new",
    "edit poll": lambda admin: f"/staff/polls/{make_poll(staff=admin, open_now=False).id}/edit",
    "staff poll": lambda admin: f"/staff/polls/{_closed_poll(admin)}",
    "clustering": lambda admin: _run_with_cluster(),
}
ANONYMOUS = {"register", "login"}
ACCEPTED_ON: dict[str, int] = {}
TOTALS = {"pages": 0, "forms": 0, "fields": 0, "requests": 0, "accepted": 0, "refused": 0}


def _client(app: Flask, page: str, admin: Any) -> Any:
    client = app.test_client()
    if page not in ANONYMOUS:
        response = client.get("/login")
        token = _Forms()
        token.feed(response.get_data(as_text=True))
        data = {**token.forms[0]["data"], "email": admin.email, "password": DEFAULT_PASSWORD}
        assert client.post("/login", data=data).status_code == 302
    return client


GOOD_TEXT = "Электронная очередь в центре госуслуг: пусть присылают СМС заранее."


def _good_text(form: dict[str, Any], number: int) -> dict[str, str]:
    """Acceptable values for the form's empty text inputs, so only the tested one is naughty."""
    good = {}
    for name in form["text"]:
        if form["data"].get(name, "").strip():
            continue
        if "email" in name:
            good[name] = f"form{number}@example.ru"
        elif "password" in name:
            good[name] = DEFAULT_PASSWORD
        elif name not in NOT_STORED:
            good[name] = GOOD_TEXT
    return good


def _flashed_error(client: Any, response: Any) -> bool:
    """A redirect back to a page that shows the refusal as a flashed error message."""
    if response.status_code not in (302, 303):
        return False
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    flashed = page.partition('class="flash-messages"')[2].partition("</div>\n  </div>")[0]
    return "alert-danger" in flashed or "alert-warning" in flashed


def _page_forms(client: Any, path: str) -> list[dict[str, Any]]:
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return _forms(response.get_data(as_text=True))


@pytest.mark.parametrize("page", list(PAGES))
def test_naughty_strings_in_the_text_inputs_of_a_page(app, page):
    admin = seed().admin
    client = _client(app, page, admin)
    # Inputs by place: names may carry ids of the fresh rows (`q17` for question 17).
    first = _page_forms(client, PAGES[page](admin))
    layout = [(i, k) for i, form in enumerate(first) for k in range(len(form["text"]))]
    assert layout, f"no form with a text input on {page}"
    numbers = itertools.count()
    for index, place in layout:
        for text in NAUGHTY[next(numbers) % STEP :: STEP]:
            path = PAGES[page](admin)
            form = _page_forms(client, path)[index]
            name = form["text"][place]
            data = {**form["data"], **_good_text(form, TOTALS["requests"]), name: text}
            response = client.post(form["action"] or path, data=data)
            what = (page, form["action"] or path, name, text, response.status_code)
            assert response.status_code < 500, what
            TOTALS["requests"] += 1
            if response.status_code >= 400 or _flashed_error(client, response):
                assert response.mimetype == "text/html", what
                TOTALS["refused"] += 1
                continue
            TOTALS["accepted"] += 1
            ACCEPTED_ON[page] = ACCEPTED_ON.get(page, 0) + 1
            if name not in NOT_STORED and text.strip():
                assert _stored(text), what
        TOTALS["fields"] += 1
    TOTALS["forms"] += len({index for index, _ in layout})
    TOTALS["pages"] += 1


def test_naughty_strings_in_forms_figures(record_figures):
    if not TOTALS["pages"]:
        pytest.skip("the per-page tests did not run in this process")
    record_figures(
        "naughty_strings_forms",
        {"scale": "full" if FULL else "short", **TOTALS, "accepted_on": ACCEPTED_ON},
    )
    assert TOTALS["pages"] == len(PAGES)


@pytest.mark.parametrize("page", list(PAGES))
def test_an_oversized_form_post_is_a_413_page(app, page):
    admin = seed().admin
    client = _client(app, page, admin)
    path = PAGES[page](admin)
    for form in _page_forms(client, path):
        data = {**form["data"], form["text"][0]: "я" * app.config["MAX_CONTENT_LENGTH"]}
        response = client.post(form["action"] or path, data=data)
        assert response.status_code == 413, (page, form["action"], response.status_code)
        assert response.mimetype == "text/html"


def test_a_refused_implementation_form_is_a_422_page(app):
    """It answered 200 with the form's errors, which a client cannot tell from success."""
    admin = seed().admin
    client = _client(app, "implementation", admin)
    path = PAGES["implementation"](admin)
    form = _page_forms(client, path)[0]
    response = client.post(path, data={**form["data"], "progress": "сто"})
    assert response.status_code == 422
    assert response.mimetype == "text/html"
