"""Clustering runs over a project's ideas: started as jobs, kept reproducibly, shown to experts."""

from __future__ import annotations

import itertools

import pytest
from sqlalchemy import select

from app.extensions import db
from ideas.clustering.models import ClusteringRun, RunStatus
from ideas.models import Flag, Idea, IdeaStatus, Project, ProjectStage, Section
from ml import get_normalizer
from tests.factories import UserFactory

TOPICS = {
    "очереди": [
        "Сделать электронную очередь с записью на конкретное время",
        "Очереди в МФЦ слишком длинные, нужна запись через интернет",
        "Предварительная запись на приём через портал, чтобы не стоять в очереди",
        "Уменьшить время ожидания в очереди, открыть больше окон приёма",
        "Показывать на сайте, сколько человек сейчас в очереди",
    ],
    "часы работы": [
        "Продлить часы работы центра до десяти вечера по будням",
        "Работать в воскресенье, чтобы работающие люди могли прийти",
        "Открываться раньше, с семи утра, до начала рабочего дня",
        "График работы неудобный, нужно работать по выходным",
        "Круглосуточный центр хотя бы один на округ",
    ],
    "дети": [
        "Детский уголок с игрушками, чтобы дети не скучали во время ожидания",
        "Комната для матери и ребёнка с пеленальным столиком",
        "Игровая зона для детей рядом с зоной ожидания",
        "Для детей нужны раскраски и мультфильмы, пока родители ждут",
        "Детская площадка в холле центра госуслуг",
    ],
    "парковка": [
        "Бесплатная парковка для посетителей центра на час",
        "Негде поставить машину у МФЦ, нужна парковка",
        "Выделить парковочные места для инвалидов у входа",
        "Парковка для велосипедов и самокатов у центра",
        "Договориться с городом о бесплатной стоянке рядом с МФЦ",
    ],
}


@pytest.fixture
def staff():
    return UserFactory(roles=("staff",))


def make_project(ideas_per_phrase: int = 2, status: IdeaStatus = IdeaStatus.PUBLISHED) -> Project:
    project = Project(title="Мой офис госуслуг", description="", stage=ProjectStage.EXPERT_REVIEW)
    project.sections = [Section(title="Общее")]
    db.session.add(project)
    db.session.flush()
    author = UserFactory()
    normalizer = get_normalizer()
    supports = itertools.count(1)
    for phrases in TOPICS.values():
        for phrase, copy in itertools.product(phrases, range(ideas_per_phrase)):
            text = phrase if copy == 0 else f"{phrase}, очень прошу"
            db.session.add(
                Idea(
                    project_id=project.id,
                    section_id=project.sections[0].id,
                    author_id=author.id,
                    title=text[:60],
                    body=text,
                    normalized_text=normalizer.normalize(text),
                    status=status,
                    support_count=next(supports) % 7,
                )
            )
    db.session.commit()
    return project


def test_staff_starts_a_run_and_every_idea_lands_in_exactly_one_cluster(api, staff):
    project = make_project()
    pending = Idea(
        project_id=project.id,
        section_id=project.sections[0].id,
        title="Черновик",
        body="Черновик идеи про очереди",
        status=IdeaStatus.PENDING,
    )
    db.session.add(pending)
    db.session.commit()
    api.login(staff.email)
    response = api.post(f"/projects/{project.id}/clusterings", {"k": 4, "seed": 7})
    assert response.status_code == 202
    run = api.get(f"/clusterings/{response.json['id']}").json
    assert run["status"] == "done"
    assert run["progress"] == 1.0
    published = set(
        db.session.scalars(
            select(Idea.id).where(
                Idea.project_id == project.id, Idea.status == IdeaStatus.PUBLISHED
            )
        )
    )
    placed = [i for c in run["clusters"] for i in c["idea_ids"]] + run["other_idea_ids"]
    assert sorted(placed) == sorted(published)  # each published idea exactly once
    assert pending.id not in placed
    assert run["coverage"]["complete"] is True
    assert run["coverage"]["missing_now"] == 0
    assert len(run["clusters"]) == 4
    assert all(c["label"] and c["terms"] for c in run["clusters"])
    assert sum(c["size"] for c in run["clusters"]) + len(run["other_idea_ids"]) == len(published)
    assert run["inputs_hash"]
    assert len(run["inputs_hash"]) == 64
    assert "scikit-learn" in run["software"]


def topic_of(body: str) -> str:
    return next(t for t, phrases in TOPICS.items() if any(body.startswith(p) for p in phrases))


def test_clusters_follow_the_topics(api, staff):
    project = make_project()
    api.login(staff.email)
    started = api.post(f"/projects/{project.id}/clusterings", {"k": 4}).json
    run = api.get(f"/clusterings/{started['id']}").json
    ideas = {i.id: topic_of(i.body) for i in db.session.scalars(select(Idea))}
    clustered = [[ideas[i] for i in c["idea_ids"]] for c in run["clusters"]]
    majority = sum(max(members.count(t) for t in set(members)) for members in clustered if members)
    # Far above chance (about 0.3); the engine's own quality is judged by `python -m ml evaluate`.
    assert majority / sum(len(m) for m in clustered) >= 0.6


def test_same_seed_and_inputs_give_the_same_run(api, staff):
    project = make_project()
    api.login(staff.email)
    first = api.get(
        f"/clusterings/{api.post(f'/projects/{project.id}/clusterings', {'seed': 3}).json['id']}"
    ).json
    second = api.get(
        f"/clusterings/{api.post(f'/projects/{project.id}/clusterings', {'seed': 3}).json['id']}"
    ).json
    assert first["inputs_hash"] == second["inputs_hash"]
    assert [sorted(c["idea_ids"]) for c in first["clusters"]] == [
        sorted(c["idea_ids"]) for c in second["clusters"]
    ]
    assert first["duplicates"] == second["duplicates"]


def test_latest_is_the_newest_finished_run(api, staff):
    project = make_project(ideas_per_phrase=1)
    api.login(staff.email)
    assert api.get(f"/projects/{project.id}/clusterings/latest").status_code == 404
    api.post(f"/projects/{project.id}/clusterings", {"k": 2})
    newest = api.post(f"/projects/{project.id}/clusterings", {"k": 3}).json["id"]
    assert api.get(f"/projects/{project.id}/clusterings/latest").json["id"] == newest


def test_empty_project_fails_with_a_clear_reason(api, staff):
    project = Project(title="Пусто", description="", stage=ProjectStage.IDEAS)
    db.session.add(project)
    db.session.commit()
    api.login(staff.email)
    run = api.get(
        f"/clusterings/{api.post(f'/projects/{project.id}/clusterings', {}).json['id']}"
    ).json
    assert run["status"] == "failed"
    assert "нет опубликованных идей" in run["error"]


def test_identical_and_one_word_ideas_still_finish(api, staff):
    project = Project(title="Странные идеи", description="", stage=ProjectStage.IDEAS)
    project.sections = [Section(title="Всё")]
    db.session.add(project)
    db.session.flush()
    for text in ["Парковка"] * 5 + ["😀😀😀", "ok", "Очередь"]:
        db.session.add(
            Idea(
                project_id=project.id,
                section_id=project.sections[0].id,
                title=text,
                body=text,
                normalized_text=get_normalizer().normalize(text),
                status=IdeaStatus.PUBLISHED,
            )
        )
    db.session.commit()
    api.login(staff.email)
    run = api.get(
        f"/clusterings/{api.post(f'/projects/{project.id}/clusterings', {}).json['id']}"
    ).json
    assert run["status"] in ("done", "failed")
    if run["status"] == "done":
        assert run["coverage"]["complete"]
    else:
        assert run["error"]


@pytest.mark.parametrize("k", [1, 0, -3, 100000, "пять", True])
def test_bad_k_is_refused(api, staff, k):
    project = make_project(ideas_per_phrase=1)
    api.login(staff.email)
    response = api.post(f"/projects/{project.id}/clusterings", {"k": k})
    assert response.status_code == 422
    assert db.session.scalars(select(ClusteringRun)).all() == []


def test_residents_and_anonymous_cannot_cluster(api):
    project = make_project(ideas_per_phrase=1)
    assert api.post(f"/projects/{project.id}/clusterings", {}).status_code == 401
    api.login(UserFactory().email)
    assert api.post(f"/projects/{project.id}/clusterings", {}).status_code == 403
    assert api.get(f"/projects/{project.id}/clusterings/latest").status_code == 403


def test_expert_renames_a_cluster_and_can_restore_the_label(api):
    expert = UserFactory(roles=("expert",))
    project = make_project(ideas_per_phrase=1)
    api.login(expert.email)
    run = api.get(
        f"/clusterings/{api.post(f'/projects/{project.id}/clusterings', {'k': 4}).json['id']}"
    ).json
    cluster = run["clusters"][0]
    path = f"/clusterings/{run['id']}/clusters/{cluster['id']}"
    renamed = api.patch(path, {"label": "Очереди и запись"}).json
    assert renamed["label"] == "Очереди и запись"
    assert renamed["auto_label"] == cluster["label"]
    assert api.patch(path, {"label": "\x00"}).status_code == 422
    assert api.patch(path, {"label": ""}).json["label"] == cluster["label"]


def test_run_page_shows_coverage_map_and_sends_duplicates_to_moderators(pages, staff):
    project = make_project()
    pages.login(staff.email)
    response = pages.submit(f"/projects/{project.id}/clusterings", {"k": "4"})
    assert response.status_code == 302
    run_url = response.headers["Location"]
    html = pages.get(run_url).get_data(as_text=True)
    assert "ровно в одной теме" in html
    run_id = int(run_url.rstrip("/").split("/")[-1])
    svg = pages.get(f"/clusterings/{run_id}/map.svg")
    assert svg.mimetype == "image/svg+xml"
    assert b"<svg" in svg.data
    run = db.session.get(ClusteringRun, run_id)
    assert run.status is RunStatus.DONE
    ideas = db.session.scalars(select(Idea).order_by(Idea.id).limit(2)).all()
    response = pages.submit(
        f"/clusterings/{run_id}/duplicates",
        {"keep": ideas[0].id, "duplicate": ideas[1].id},
        form_page=run_url,
    )
    assert response.status_code == 302
    db.session.expire_all()
    flag = db.session.scalar(select(Flag))
    assert flag.target_id == ideas[1].id
    assert f"№{ideas[0].id}" in flag.reason
