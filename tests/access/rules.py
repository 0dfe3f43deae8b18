"""The kinds of rule in the permission table, and what each means for each role.

Roles (see `tests/access/scenario.py`): `anonymous`; `resident` (verified); `unverified`;
`blocked` (a verified resident who is blocked: may sign in and read, not act); `expert`,
`moderator`, `staff`, `admin` (verified; admins hold every role).

Outcomes:
- ALLOW: a read answers 2xx/3xx (a redirect not to the login page); a write answers anything
  but 401/403 (a 409 or 422 still means the door was open).
- LOGIN: 401, or a redirect to the login page (pages that need a signed-in person).
- DENY: exactly 403. A refused write also leaves every table as it was.
- HIDDEN: 404: the thing exists but this role may not know it does (drafts, pending ideas).

Rules:
- `Public()`: everyone, signed in or not.
- `SignedIn()`: any signed-in person, blocked and unverified included (their own account,
  inbox, tokens, sign-out).
- `Active()`: signed in and not blocked (flagging: verification not needed).
- `Verified()`: signed in, verified, not blocked (taking part: ideas, supports, comments, votes).
- `Roles(*roles, refused=…)`: signed in, not blocked, holding one of `roles` (admins hold
  every role); the roles in `refused` hold one of them yet are refused (403) on this row
  (a moderator deciding on what they wrote themselves).
- `Nobody()`: a write no one may make (blocking an admin): 403 to every signed-in person.
- `Unpublished()`: a read no one may make yet, signed in or not, staff and admins included:
  403 to everyone (the results of an open poll whose results come after closing).
- `Owner(owner, also=…, sees=…)`: the owner and the roles in `also` may; the roles in `sees`
  can see the thing but may not (403); anyone else gets HIDDEN if `hidden` (someone else's
  pending idea), else DENY. Blocked people are refused (403) before anything is looked up.
- `Hidden(*visible_to)`: a read of a thing only `visible_to` (and admins) may know of;
  everyone else, anonymous included, gets 404. `Hidden()`: 404 to everyone.

Each rule may say which row its URL uses (`at={"idea_id": "pending_idea_id"}`: a key of
`Scenario.ids`, or a literal value starting with "="), which query string, which methods it
covers (all of the route's by default) and the body of a write.
"""

from __future__ import annotations

import abc
import enum
from dataclasses import dataclass, field
from typing import Any

from tests.access.scenario import ROLES

STAFF_ROLES = ("expert", "moderator", "staff", "admin")


class Outcome(enum.StrEnum):
    ALLOW = "allow"
    LOGIN = "login"
    DENY = "deny"
    HIDDEN = "hidden"


@dataclass(frozen=True, kw_only=True)
class Rule(abc.ABC):
    at: dict[str, str] = field(default_factory=dict)
    query: dict[str, str] = field(default_factory=dict)
    methods: tuple[str, ...] | None = None
    body: Any = None

    @abc.abstractmethod
    def expect(self, role: str) -> Outcome:
        """What `role` should get from this route."""

    def table(self) -> dict[str, Outcome]:
        return {role: self.expect(role) for role in ROLES}


@dataclass(frozen=True, kw_only=True)
class Public(Rule):
    def expect(self, role: str) -> Outcome:
        return Outcome.ALLOW


@dataclass(frozen=True, kw_only=True)
class SignedIn(Rule):
    def expect(self, role: str) -> Outcome:
        return Outcome.LOGIN if role == "anonymous" else Outcome.ALLOW


@dataclass(frozen=True, kw_only=True)
class Active(Rule):
    def expect(self, role: str) -> Outcome:
        if role == "anonymous":
            return Outcome.LOGIN
        return Outcome.DENY if role == "blocked" else Outcome.ALLOW


@dataclass(frozen=True, kw_only=True)
class Verified(Rule):
    def expect(self, role: str) -> Outcome:
        if role == "anonymous":
            return Outcome.LOGIN
        return Outcome.DENY if role in ("blocked", "unverified") else Outcome.ALLOW


@dataclass(frozen=True)
class Roles(Rule):
    roles: tuple[str, ...]
    refused: tuple[str, ...] = ()

    def __init__(self, *roles: str, refused: tuple[str, ...] = (), **options: Any) -> None:
        super().__init__(**options)
        object.__setattr__(self, "roles", roles)
        object.__setattr__(self, "refused", refused)

    def expect(self, role: str) -> Outcome:
        if role == "anonymous":
            return Outcome.LOGIN
        if role in self.refused:
            return Outcome.DENY
        return Outcome.ALLOW if role in (*self.roles, "admin") else Outcome.DENY


@dataclass(frozen=True, kw_only=True)
class Nobody(Rule):
    def expect(self, role: str) -> Outcome:
        return Outcome.LOGIN if role == "anonymous" else Outcome.DENY


@dataclass(frozen=True, kw_only=True)
class Unpublished(Rule):
    def expect(self, role: str) -> Outcome:
        return Outcome.DENY


@dataclass(frozen=True, kw_only=True)
class Owner(Rule):
    owner: str = "resident"
    also: tuple[str, ...] = ()
    sees: tuple[str, ...] = ()
    hidden: bool = False

    def expect(self, role: str) -> Outcome:
        if role == "anonymous":
            return Outcome.LOGIN
        if role == "blocked":
            return Outcome.DENY
        if role == self.owner or role in self.also or (self.also and role == "admin"):
            return Outcome.ALLOW
        if role in self.sees or (self.sees and role == "admin"):
            return Outcome.DENY
        return Outcome.HIDDEN if self.hidden else Outcome.DENY


@dataclass(frozen=True)
class Hidden(Rule):
    visible_to: tuple[str, ...]

    def __init__(self, *visible_to: str, **options: Any) -> None:
        super().__init__(**options)
        object.__setattr__(self, "visible_to", visible_to)

    def expect(self, role: str) -> Outcome:
        seen_by = (*self.visible_to, "admin") if self.visible_to else ()
        return Outcome.ALLOW if role in seen_by else Outcome.HIDDEN
