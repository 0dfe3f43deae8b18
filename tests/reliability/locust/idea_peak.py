"""An idea-writing peak: residents read a project, search, write ideas, support and comment.

Each pass of a simulated user is one resident's visit (signed in already, with a bearer
token): the project page, the list of ideas (newest or most supported), sometimes a search;
then, each with its own chance, writing an idea (the form first asks for similar ones),
supporting up to three listed ideas (now and then pressing «support» again, 409, or taking
the support back) and commenting on one. Settings and texts come from the plan (loadkit).
"""

from __future__ import annotations

import random
from typing import Any
from urllib.parse import quote

import gevent
import loadkit
from locust import task
from locust.exception import StopUser


class Resident(loadkit.Resident):
    @task
    def visit(self) -> None:
        plan = loadkit.plan()
        resident = loadkit.next_resident()
        if resident is None:
            raise StopUser()
        headers = loadkit.bearer(resident["token"])
        project = f"/api/v1/projects/{plan['project_id']}"
        self.read(project, headers, "GET /projects/[id]")
        sort = random.choice(["new", "top"])
        page = self.read(f"{project}/ideas?sort={sort}", headers, f"GET ideas sort={sort}")
        listed = [item["id"] for item in (page or {}).get("items", [])]
        if random.random() < plan["search_share"]:
            query = random.choice(plan["queries"])
            self.read(f"{project}/ideas?q={quote(query)}", headers, "GET ideas ?q=")
        gevent.sleep(random.uniform(*plan["reading"]))
        if loadkit.time_is_up():
            return
        if random.random() < plan["write_share"]:
            self.write(project, headers, resident["id"], plan)
        if listed and random.random() < plan["support_share"]:
            for idea_id in random.sample(listed, min(len(listed), random.randint(1, 3))):
                self.support(idea_id, headers, resident["id"], plan)
        if listed and random.random() < plan["comment_share"]:
            self.comment(random.choice(listed), headers, resident["id"])

    def read(self, path: str, headers: dict[str, str], name: str) -> dict[str, Any] | None:
        with self.client.get(path, headers=headers, name=name, catch_response=True) as response:
            if loadkit.expect(response, 200):
                return dict(response.json())
        return None

    def write(self, project: str, headers: dict[str, str], user_id: int, plan: dict) -> None:
        title, body = random.choice(plan["ideas"])
        self.client.get(
            f"{project}/ideas/similar?text={quote(title)}",
            headers=headers,
            name="GET ideas/similar",
        )
        gevent.sleep(random.uniform(*plan["writing"]))
        if loadkit.time_is_up():
            return
        section = random.choice(plan["section_ids"])
        with self.client.post(
            f"{project}/ideas",
            json={"title": title, "body": body, "section": section},
            headers=headers,
            name="POST /projects/[id]/ideas",
            catch_response=True,
        ) as response:
            if loadkit.expect(response, 201):
                idea = response.json()
                loadkit.record("ideas", [idea["id"], user_id, idea["status"]])

    def support(self, idea_id: int, headers: dict[str, str], user_id: int, plan: dict) -> None:
        path = f"/api/v1/ideas/{idea_id}/support"
        if loadkit.time_is_up():
            return
        with self.client.post(
            path, headers=headers, name="POST /ideas/[id]/support", catch_response=True
        ) as response:
            if not loadkit.expect(response, 201):
                return
        loadkit.record("supports", [idea_id, user_id])
        if random.random() < plan["again_share"] and not loadkit.time_is_up():
            with self.client.post(
                path,
                headers=headers,
                name="POST /ideas/[id]/support again → 409",
                catch_response=True,
            ) as response:
                loadkit.expect(response, 409, "already_supported")
        if random.random() < plan["withdraw_share"] and not loadkit.time_is_up():
            with self.client.delete(
                path, headers=headers, name="DELETE /ideas/[id]/support", catch_response=True
            ) as response:
                if loadkit.expect(response, 200):
                    loadkit.record("withdrawn", [idea_id, user_id])

    def comment(self, idea_id: int, headers: dict[str, str], user_id: int) -> None:
        self.read(f"/api/v1/ideas/{idea_id}", headers, "GET /ideas/[id]")
        self.read(f"/api/v1/ideas/{idea_id}/comments", headers, "GET /ideas/[id]/comments")
        body = random.choice(
            ["Поддерживаю, очень нужно!", "У нас во дворе то же самое.", "Хорошая идея, спасибо."]
        )
        if loadkit.time_is_up():
            return
        with self.client.post(
            f"/api/v1/ideas/{idea_id}/comments",
            json={"body": body},
            headers=headers,
            name="POST /ideas/[id]/comments",
            catch_response=True,
        ) as response:
            if loadkit.expect(response, 201):
                loadkit.record("comments", [response.json()["id"], idea_id, user_id])
