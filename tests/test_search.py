"""Search understands Russian word forms and ё on SQLite (FTS5) and PostgreSQL (tsvector);
the similar-ideas endpoint finds near-duplicates despite other word forms and typos."""

from __future__ import annotations

import pytest

from app.extensions import db
from ideas import services
from ideas.models import IdeaStatus
from tests.factories import IdeaFactory, ProjectFactory, UserFactory


@pytest.fixture
def project(app):
    project = ProjectFactory()
    IdeaFactory(
        project=project,
        title="Сократить очереди в центрах госуслуг",
        body="По утрам люди стоят в очередях по часу, нужна запись на точное время.",
    )
    IdeaFactory(
        project=project,
        title="Управлять очередями через приложение",
        body="Хочу видеть онлайн, сколько человек передо мной, и прийти к своему времени.",
    )
    IdeaFactory(
        project=project,
        title="Ёлка и праздничное оформление зала",
        body="К Новому году поставить ёлку в зале ожидания, детям будет веселее.",
    )
    IdeaFactory(
        project=project,
        title="Пандус у входа в центр",
        body="Маме на коляске трудно заехать, ступени высокие, пандуса нет совсем.",
    )
    return project


def titles(api, project, q, **params):
    response = api.get(f"/projects/{project.id}/ideas", q=q, **params)
    assert response.status_code == 200, response.json
    return sorted(item["title"] for item in response.json["items"])


def test_search_engine_matches_the_database(app, is_postgres):
    assert db.engine.dialect.name == ("postgresql" if is_postgres else "sqlite")


@pytest.mark.parametrize("q", ["очередь", "очереди", "ОЧЕРЕДЯМИ", "очередях"])
def test_any_word_form_finds_every_form(api, project, q):
    assert titles(api, project, q) == [
        "Сократить очереди в центрах госуслуг",
        "Управлять очередями через приложение",
    ]


@pytest.mark.parametrize("q", ["елка", "ёлка", "ЕЛКУ", "ёлкой"])
def test_e_finds_yo_and_back(api, project, q):
    assert titles(api, project, q) == ["Ёлка и праздничное оформление зала"]


def test_every_word_must_match(api, project):
    assert titles(api, project, "очередь приложение") == ["Управлять очередями через приложение"]
    assert titles(api, project, "очередь пандус") == []


def test_search_combines_with_filters_and_ignores_hidden_ideas(api, project):
    hidden = IdeaFactory(project=project, title="Очереди в архиве", status=IdeaStatus.HIDDEN)
    assert "Очереди в архиве" not in titles(api, project, "очередь")
    assert titles(api, project, "очередь", section=project.sections[1].id) == []
    assert hidden.id


def test_odd_queries_do_not_break_search(api, project):
    for q in ['"', "*", "очередь OR", "NEAR(", "и", "-", "'; DROP TABLE ideas; --", "%_", "😀"]:
        response = api.get(f"/projects/{project.id}/ideas", q=q)
        assert response.status_code == 200, (q, response.json)


def test_edited_ideas_are_found_by_their_new_words(api, project):
    user = UserFactory(email="ivan@example.ru")
    project.moderation = "pre"
    db.session.commit()
    idea = services.submit_idea(
        user,
        project,
        "Бесплатный интернет в зале",
        "Нужен вайфай для посетителей в зале.",
        project.sections[0].id,
    )
    services.edit_idea(idea, user, body="Нужна беспроводная сеть для посетителей центра.")
    services.change_idea_status(idea, IdeaStatus.PUBLISHED, None)
    db.session.commit()
    assert titles(api, project, "сети") == ["Бесплатный интернет в зале"]
    assert titles(api, project, "вайфай") == []


def test_search_on_pages(pages, project):
    html = pages.get(f"/projects/{project.id}/ideas?q=очередями").get_data(as_text=True)
    assert "Сократить очереди в центрах госуслуг" in html
    assert "Пандус у входа в центр" not in html
    assert "Найдено идей: 2" in html


def test_similar_ideas_survive_word_forms_and_typos(api, project):
    response = api.get(
        f"/projects/{project.id}/ideas/similar", text="длинные очерeди в центре, запись на время"
    )
    assert response.status_code == 200
    items = response.json["items"]
    assert items
    assert items[0]["title"] == "Сократить очереди в центрах госуслуг"
    assert all(0 <= item["score"] <= 1 for item in items)
    typo = api.get(f"/projects/{project.id}/ideas/similar", text="нет пандуса у вхада").json
    assert typo["items"][0]["title"] == "Пандус у входа в центр"
    assert (
        len(api.get(f"/projects/{project.id}/ideas/similar", text="центр", limit=1).json["items"])
        <= 1
    )


def test_similar_index_follows_new_and_hidden_ideas(api, project):
    path = f"/projects/{project.id}/ideas/similar"
    assert api.get(path, text="парковка для машин посетителей").json["items"] == [] or all(
        "Парковка" not in i["title"] for i in api.get(path, text="парковка").json["items"]
    )
    new = IdeaFactory(
        project=project,
        title="Парковка для посетителей",
        body="Рядом с центром негде оставить машину, нужна бесплатная парковка.",
    )
    found = api.get(path, text="парковка для машин посетителей").json["items"]
    assert found[0]["id"] == new.id
    services.change_idea_status(new, IdeaStatus.HIDDEN, None)
    db.session.commit()
    found = api.get(path, text="парковка для машин посетителей").json["items"]
    assert new.id not in [i["id"] for i in found]


def test_similar_needs_text_and_a_sane_limit(api, project):
    path = f"/projects/{project.id}/ideas/similar"
    assert api.get(path).status_code == 422
    assert api.get(path, text="очередь", limit=0).status_code == 422
    assert api.get(path, text="очередь", limit=21).status_code == 422
    assert api.get(path, text="   ").json["items"] == []
