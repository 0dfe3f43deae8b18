"""What every page and export shows and sends: no one's e-mail or phone, strict headers.

One walk over every readable route of the permission table, as an anonymous visitor, a
resident and an admin, against a scenario whose people all have an e-mail and a phone; the
tests then look at what came back.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest

from tests.access.matrix import Check, build_checks
from tests.access.rules import Outcome

# Where a person's own e-mail is rightly shown to them (and only to them).
OWN_ACCOUNT = {"auth.account", "auth_api.me"}
OWN_DATA = {*OWN_ACCOUNT, "auth.verify"}  # "the code went to …"
# Anonymous sees the public pages and the 401/404 refusals, a resident their own account and
# the 403 refusals, an admin (who holds every role) every staff, expert and moderator page.
WALKERS = ("anonymous", "resident", "admin")
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
EVENT_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.IGNORECASE)
STYLE_ATTRIBUTE = re.compile(r"<[^>]+\sstyle\s*=|<style\b", re.IGNORECASE)


@dataclass(frozen=True)
class Seen:
    role: str
    check: Check
    allowed: bool
    status: int
    headers: dict[str, str]
    text: str

    @property
    def is_html(self) -> bool:
        return self.headers.get("Content-Type", "").startswith("text/html")

    def __str__(self) -> str:
        return f"{self.role} {self.check}"


@pytest.fixture(scope="module")
def seen(world) -> list[Seen]:
    """Every readable route as each walker: the pages they may read, and the refusals (401,
    403, 404 pages and problems) where they may not."""
    found = []
    for check in build_checks(world.app, world.scenario):
        if check.is_write:
            continue
        for role in WALKERS:
            allowed = check.rule.expect(role) is Outcome.ALLOW
            response = world.call(role, check.method, check.path)
            text = response.get_data(as_text=True)
            headers = dict(response.headers)
            found.append(Seen(role, check, allowed, response.status_code, headers, text))
    return found


def _digits(phone: str) -> str:
    return re.sub(r"\D", "", phone)


def test_walk_covers_every_readable_route(world, seen):
    readable = {c.endpoint for c in build_checks(world.app, world.scenario) if not c.is_write}
    assert {s.check.endpoint for s in seen} == readable
    assert [str(s) for s in seen if s.allowed and s.status >= 400] == []
    assert {s.status for s in seen if not s.allowed} <= {302, 401, 403, 404}


def test_no_page_or_export_shows_anyones_email_or_phone(world, seen, record_figures):
    people = world.scenario.people
    leaks = []
    for item in seen:
        others = [p for label, p in people.items() if label != item.role]
        if item.check.endpoint not in OWN_DATA:
            others = list(people.values())
        digits = re.sub(r"\D", "", item.text)
        for person in others:
            if person.email in item.text or person.email.split("@")[0] in item.text:
                leaks.append(f"{item}: e-mail of {person.display_name}")
            if person.phone in item.text or _digits(person.phone) in digits:
                leaks.append(f"{item}: phone of {person.display_name}")
    assert leaks == []
    record_figures(
        "access_personal_data",
        {
            "responses_scanned": len(seen),
            "refusals_scanned": sum(not s.allowed for s in seen),
            "routes_scanned": len({s.check.endpoint for s in seen}),
            "people": len(people),
        },
    )


def test_own_account_shows_the_owners_own_email(world, seen):
    for item in seen:
        if item.allowed and item.check.endpoint in OWN_ACCOUNT:
            assert world.scenario.people[item.role].email in item.text, str(item)


def test_every_page_sends_strict_security_headers(seen):
    problems = []
    for item in seen:
        headers = item.headers
        csp = headers.get("Content-Security-Policy", "")
        directives = dict(
            [*part.strip().split(" ", 1), ""][:2] for part in csp.split(";") if part.strip()
        )
        if "'unsafe-inline'" in directives.get("script-src", directives.get("default-src", "x")):
            problems.append(f"{item}: script-src allows inline scripts")
        if not directives.get("script-src"):
            problems.append(f"{item}: no script-src in CSP")
        if directives.get("frame-ancestors") != "'none'" and headers.get("X-Frame-Options") != (
            "DENY"
        ):
            problems.append(f"{item}: may be framed")
        if headers.get("X-Content-Type-Options") != "nosniff":
            problems.append(f"{item}: no nosniff")
    assert problems == []


def test_no_page_has_inline_script_style_or_event_handler(seen):
    """The CSP allows scripts and styles from the site's own files only ('self', no
    'unsafe-inline'), so anything inline would be blocked by the browser: none may exist."""
    problems = []
    for item in seen:
        if not item.is_html:
            continue
        for name, pattern in (
            ("inline <script>", INLINE_SCRIPT),
            ("inline event handler", EVENT_HANDLER),
            ("inline style", STYLE_ATTRIBUTE),
        ):
            match = pattern.search(item.text)
            if match:
                problems.append(f"{item}: {name} {match.group(0)[:80]!r}")
    assert problems == []


def test_only_what_every_walker_may_read_is_ever_publicly_cacheable(seen):
    """A shared cache hands one stored copy to everyone: a response that some walker may not
    read (staff's view of unpublished results, an expert's map, anyone's own page) is never
    `public`, whoever it was sent to."""
    refused_somewhere = {str(s.check) for s in seen if not s.allowed}
    cacheable = [s for s in seen if "public" in s.headers.get("Cache-Control", "")]
    assert [str(s) for s in cacheable if str(s.check) in refused_somewhere] == []
    assert cacheable, "published charts are public: the walk should have met one"
