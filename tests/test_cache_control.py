"""Shared caches keep only what is published and the same for everyone: charts and exports
that depend on who asks or on state not yet public are `private, no-store`."""

from __future__ import annotations

import pytest

from app.db import utcnow
from app.extensions import db
from ideas.clustering.models import Cluster, ClusteringRun, ClusterMember, RunStatus
from ideas.models import ProjectStage
from tests.factories import IdeaFactory, ProjectFactory, UserFactory, make_poll
from voting.services import close_poll

PRIVATE = "private, no-store"


@pytest.fixture
def staff():
    return UserFactory(roles=("staff", "expert"))


def test_unpublished_results_charts_are_404_to_the_public_and_private_to_staff(
    client, pages, api, staff
):
    project = ProjectFactory(stage=ProjectStage.EXPERT_REVIEW)
    idea = IdeaFactory(project=project)
    charts = [f"/projects/{project.id}/results/{chart}.svg" for chart in ("okrugs", "topics")]
    for path in charts:
        assert client.get(path).status_code == 404
    pages.login(staff.email)
    for path in [*charts, f"/projects/{project.id}/results"]:
        response = pages.get(path)
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == PRIVATE
    api.login(staff.email)
    assert api.post(f"/projects/{project.id}/selection", {"idea_ids": [idea.id]}).status_code == 200
    assert api.post(f"/projects/{project.id}/publish").status_code == 201
    for path in charts:
        for response in (client.get(path), pages.get(path)):
            assert response.status_code == 200
            assert response.headers["Cache-Control"] == "public, max-age=300"
            assert {"Cookie", "Accept-Language"} <= set(response.vary)  # worded per language
    page = pages.get(f"/projects/{project.id}/results")  # carries the staff member's menu
    assert page.headers["Cache-Control"] == PRIVATE


def poll_exports(poll_id: int) -> list[str]:
    return [
        f"/api/v1/polls/{poll_id}/results",
        f"/api/v1/polls/{poll_id}/export?format=json",
        f"/api/v1/polls/{poll_id}/export?format=csv",
        f"/polls/{poll_id}/results.csv",
    ]


def test_poll_results_are_public_only_once_final(client, api, pages, staff):
    live = make_poll(results="live")
    for path in poll_exports(live.id):
        response = client.get(path)
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == PRIVATE  # a tally still moving
    after_close = make_poll(results="after_close")
    assert client.get(f"/api/v1/polls/{after_close.id}/results").status_code == 403
    assert client.get(f"/polls/{after_close.id}/results.csv").status_code == 403
    api.login(staff.email)
    pages.login(staff.email)
    staff_views = [
        api.get(f"/polls/{after_close.id}/results"),
        api.get(f"/polls/{after_close.id}/export", format="csv"),
        pages.get(f"/polls/{after_close.id}/results.csv"),
        pages.get(f"/polls/{after_close.id}/results"),
    ]
    for response in staff_views[:3]:  # staff see no tally before closing either
        assert response.status_code == 403
    for response in staff_views:
        assert "public" not in response.headers.get("Cache-Control", "")
    close_poll(after_close)
    db.session.commit()
    for path in poll_exports(after_close.id):
        response = client.get(path)
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == "public, max-age=300"


def test_the_experts_clustering_map_is_private(pages, staff):
    project = ProjectFactory(stage=ProjectStage.EXPERT_REVIEW)
    ideas = [IdeaFactory(project=project) for _ in range(2)]
    run = ClusteringRun(project_id=project.id, status=RunStatus.DONE, finished_at=utcnow())
    run.clusters = [Cluster(number=0, label="Очереди", size=2, support=0)]
    db.session.add(run)
    db.session.flush()
    db.session.add_all(
        ClusterMember(run_id=run.id, idea_id=i.id, cluster_id=run.clusters[0].id) for i in ideas
    )
    db.session.commit()
    pages.login(staff.email)
    response = pages.get(f"/clusterings/{run.id}/map.svg")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == PRIVATE
