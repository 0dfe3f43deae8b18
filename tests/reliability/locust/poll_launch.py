"""A poll launch: residents arrive, (a few) sign in, read the poll and vote.

Each pass of a simulated user is one resident's visit; thousands of residents pass through
a few hundred concurrent users. Most residents already hold a bearer token (the phone app
keeps them signed in); `sign_in_share` of them sign in with their password first (Argon2id).
Some press «vote» twice at once (one ballot, one 409), some send their ballot again later
(409 already_voted), residents outside the poll's audience are refused (403), and some look
at the live results. Settings come from the plan (see loadkit).
"""

from __future__ import annotations

import random
from typing import Any

import gevent
import loadkit
from locust import task
from locust.exception import StopUser

VOTES = "POST /polls/[id]/votes"


class Resident(loadkit.Resident):
    @task
    def visit(self) -> None:
        plan = loadkit.plan()
        resident = loadkit.next_resident()
        if resident is None:
            raise StopUser()
        token = resident["token"] or self.sign_in(resident["email"], plan["password"])
        if token is None:
            return
        headers = loadkit.bearer(token)
        poll = self.read_poll(plan["poll_id"], headers)
        if poll is None:
            return
        gevent.sleep(random.uniform(*plan["reading"]))
        if loadkit.time_is_up():
            return
        body = {"answers": choose(poll)}
        path = f"/api/v1/polls/{plan['poll_id']}/votes"
        if not resident["in_audience"]:
            with self.client.post(
                path,
                json=body,
                headers=headers,
                name=f"{VOTES} outside audience → 403",
                catch_response=True,
            ) as response:
                loadkit.expect(response, 403, "not_in_audience")
            return
        if random.random() < plan["double_click_share"]:
            accepted = self.double_click(path, body, headers, resident["id"])
        else:
            accepted = self.vote(path, body, headers, resident["id"], VOTES)
        if accepted and random.random() < plan["again_share"]:
            gevent.sleep(random.uniform(0.5, 2.0))
            if loadkit.time_is_up():
                return
            with self.client.post(
                path,
                json=body,
                headers=headers,
                name=f"{VOTES} again → 409",
                catch_response=True,
            ) as response:
                loadkit.expect(response, 409, "already_voted")
        if random.random() < plan["results_share"]:
            self.client.get(
                f"/api/v1/polls/{plan['poll_id']}/results",
                headers=headers,
                name="GET /polls/[id]/results",
            )

    def sign_in(self, email: str, password: str) -> str | None:
        with self.client.post(
            "/api/v1/auth/token",
            json={"email": email, "password": password},
            name="POST /auth/token",
            catch_response=True,
        ) as response:
            if loadkit.expect(response, 200):
                return str(response.json()["token"])
        return None

    def read_poll(self, poll_id: int, headers: dict[str, str]) -> dict[str, Any] | None:
        with self.client.get(
            f"/api/v1/polls/{poll_id}",
            headers=headers,
            name="GET /polls/[id]",
            catch_response=True,
        ) as response:
            if loadkit.expect(response, 200):
                return dict(response.json())
        return None

    def vote(
        self, path: str, body: dict[str, Any], headers: dict[str, str], user_id: int, name: str
    ) -> bool:
        with self.client.post(
            path, json=body, headers=headers, name=name, catch_response=True
        ) as response:
            if loadkit.expect(response, 201):
                loadkit.record("accepted", [user_id, response.json()["receipt"]])
                return True
            if response.status_code == 0:  # no answer: the ballot may or may not be in
                loadkit.record("unanswered", user_id)
        return False

    def double_click(
        self, path: str, body: dict[str, Any], headers: dict[str, str], user_id: int
    ) -> bool:
        """Two identical ballots at once: exactly one must be accepted, the other refused."""
        statuses: list[int] = []

        def send() -> None:
            with self.client.post(
                path,
                json=body,
                headers=headers,
                name=f"{VOTES} double-click",
                catch_response=True,
            ) as response:
                statuses.append(response.status_code)
                if response.status_code == 201:
                    response.success()
                    loadkit.record("accepted", [user_id, response.json()["receipt"]])
                elif response.status_code == 0:
                    response.failure("unanswered")
                    loadkit.record("unanswered", user_id)
                else:
                    loadkit.expect(response, 409, "already_voted")

        gevent.joinall([gevent.spawn(send), gevent.spawn(send)])
        loadkit.record("double_click_pairs", sorted(statuses))
        return 201 in statuses


def choose(poll: dict[str, Any]) -> list[dict[str, Any]]:
    """A valid ballot: one option of a single question, one to `max_choices` of a multiple
    one, and now and then a free-text answer to an open question."""
    answers: list[dict[str, Any]] = []
    for question in poll["questions"]:
        if question["kind"] == "open":
            if random.random() < 0.3:
                answers.append({"question_id": question["id"], "text": "Больше скамеек у входа"})
            continue
        options = [o["id"] for o in question["options"]]
        count = 1 if question["kind"] == "single" else random.randint(1, question["max_choices"])
        # Residents favour the first options, so the tally is not flat.
        picks = set(random.choices(options, weights=range(len(options), 0, -1), k=count))
        answers.append({"question_id": question["id"], "option_ids": sorted(picks)})
    return answers
