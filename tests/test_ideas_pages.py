"""The ideas pages: submit (with similar ideas, with and without JavaScript), edit while
pending, lists with filters, the idea page, and who may open what."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from ideas.models import Idea, IdeaStatus, ModerationMode, ProjectStage
from tests.factories import IdeaFactory, ProjectFactory, UserFactory


def test_verified_resident_submits_an_idea(pages, app):
    project = ProjectFactory()
    UserFactory(email="ivan@example.ru")
    pages.login("ivan@example.ru")
    path = f"/projects/{project.id}/ideas/new"
    form = pages.get(path).get_data(as_text=True)
    assert 'data-similar-url="/api/v1/projects/' in form
    assert "similar.js" in form
    response = pages.submit(
        path,
        {
            "title": "Запись в МФЦ через Госуслуги",
            "body": "Хочу записаться на удобное время и не стоять в живой очереди.",
            "section": str(project.sections[0].id),
        },
    )
    assert response.status_code == 302
    idea = db.session.scalars(select(Idea)).one()
    assert response.headers["Location"] == f"/ideas/{idea.id}"
    html = pages.get(f"/ideas/{idea.id}").get_data(as_text=True)
    assert "Идея опубликована. Спасибо!" in html
    assert "Запись в МФЦ через Госуслуги" in html


def test_similar_ideas_without_javascript(pages):
    project = ProjectFactory()
    IdeaFactory(
        project=project,
        title="Электронная очередь с СМС",
        body="Пусть приходит СМС, когда подходит моя очередь в центре госуслуг.",
    )
    UserFactory(email="ivan@example.ru")
    pages.login("ivan@example.ru")
    path = f"/projects/{project.id}/ideas/new"
    response = pages.submit(
        path,
        {
            "title": "Оповещать об очереди",
            "body": "Присылать смс, когда очередь подходит",
            "section": str(project.sections[0].id),
            "check_similar": "1",
        },
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Электронная очередь с СМС" in html
    assert 'value="Оповещать об очереди"' in html  # the draft is kept
    assert db.session.query(Idea).count() == 1


def test_submit_page_needs_verification_and_the_ideas_stage(pages):
    project = ProjectFactory()
    path = f"/projects/{project.id}/ideas/new"
    assert pages.get(path).status_code == 401
    UserFactory(email="new@example.ru", verified=False)
    pages.login("new@example.ru")
    assert pages.get(path).status_code == 403
    closed = ProjectFactory(stage=ProjectStage.CLOSED)
    UserFactory(email="ivan@example.ru")
    pages.login("ivan@example.ru")
    response = pages.get(f"/projects/{closed.id}/ideas/new")
    assert response.status_code == 409
    assert "Сбор идей" in response.get_data(as_text=True)


def test_authors_edit_pending_ideas_on_the_page(pages):
    project = ProjectFactory(moderation=ModerationMode.PRE)
    author = UserFactory(email="ivan@example.ru")
    idea = IdeaFactory(project=project, author=author, status=IdeaStatus.PENDING, published_at=None)
    pages.login("ivan@example.ru")
    html = pages.get(f"/ideas/{idea.id}").get_data(as_text=True)
    assert "на модерации" in html
    assert "Изменить идею" in html
    response = pages.submit(
        f"/ideas/{idea.id}/edit",
        {
            "title": "Новое название идеи",
            "body": "Новый, более подробный текст идеи про центр.",
            "section": str(project.sections[1].id),
        },
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Idea, idea.id).title == "Новое название идеи"
    other = IdeaFactory(project=project)
    assert pages.get(f"/ideas/{other.id}/edit").status_code == 403  # not the author


def test_idea_list_page_filters_and_pages(pages):
    project = ProjectFactory()
    for n in range(23):
        IdeaFactory(project=project, title=f"Идея про окна номер {n}", support_count=n)
    IdeaFactory(project=project, section=project.sections[1], title="Пандус у входа")
    html = pages.get(f"/projects/{project.id}/ideas").get_data(as_text=True)
    assert "Найдено идей: 24" in html
    assert 'aria-label="Страницы"' in html
    html = pages.get(f"/projects/{project.id}/ideas?sort=top&page=2").get_data(as_text=True)
    assert "Идея про окна номер 0<" in html
    html = pages.get(f"/projects/{project.id}/ideas?section={project.sections[1].id}").get_data(
        as_text=True
    )
    assert "Найдено идей: 1" in html
    assert "Пандус у входа" in html
    # Junk in the query string is ignored, not an error.
    response = pages.get(f"/projects/{project.id}/ideas?page=x&section=abc&status=zzz&sort=no")
    assert response.status_code == 200


def test_hidden_and_unknown_ideas_are_not_found(pages):
    hidden = IdeaFactory(status=IdeaStatus.HIDDEN)
    assert pages.get(f"/ideas/{hidden.id}").status_code == 404
    assert pages.get("/ideas/999999").status_code == 404
    assert pages.get("/projects/999999").status_code == 404
    draft = ProjectFactory(stage=ProjectStage.DRAFT)
    assert pages.get(f"/projects/{draft.id}").status_code == 404


def test_projects_link_in_the_navigation(pages):
    ProjectFactory()
    html = pages.get("/").get_data(as_text=True)
    assert 'href="/projects"' in html
    assert "Проекты" in html


def test_similar_script_is_served(pages):
    response = pages.get("/static/ideas/similar.js")
    assert response.status_code == 200
    assert b"fetch(" in response.data
    response.close()
