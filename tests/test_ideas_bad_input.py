"""Bad input gets a clear message and changes nothing; text is stored as written and always
shown escaped; every naughty string is either refused with a message or kept exactly."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from markupsafe import escape
from sqlalchemy import func, select

from app.extensions import db
from ideas.models import Comment, Idea
from tests.factories import IdeaFactory, ProjectFactory, UserFactory

NAUGHTY = json.loads((Path(__file__).parent / "data" / "naughty_strings.json").read_text("utf-8"))
GOOD_TITLE = "Электронная очередь с напоминанием"
GOOD_BODY = "Пусть центр присылает СМС, когда до моего талона остаётся пять человек."


@pytest.fixture
def project(app):
    return ProjectFactory()


@pytest.fixture
def resident(api):
    user = UserFactory(email="ivan@example.ru")
    api.login("ivan@example.ru")
    return user


def ideas_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Idea))


def post_idea(api, project, **changes):
    body = {"title": GOOD_TITLE, "body": GOOD_BODY, "section": project.sections[0].id, **changes}
    return api.post(f"/projects/{project.id}/ideas", body)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"title": ""}, "title", "Поле не может быть пустым."),
        ({"title": " \t "}, "title", "Поле не может быть пустым."),
        ({"title": "Ок"}, "title", "не меньше 5 символов"),
        ({"title": "Очень " * 30}, "title", "не больше 150 символов"),
        ({"body": "Коротко"}, "body", "не меньше 20 символов"),
        ({"body": "Длинный текст. " * 400}, "body", "не больше 5000 символов"),
        ({"title": "Очередь\x00в центре"}, "title", "управляющие символы"),
        ({"body": GOOD_BODY + "\x1b[31m"}, "body", "управляющие символы"),
        ({"title": "Перевод\nстроки"}, "title", "управляющие символы"),
        ({"body": "о" * 10_000}, "body", "не больше 5000 символов"),
        ({"body": "Предлагаю " + "а" * 3000}, "body", "Слишком длинное слово"),
        ({"title": "😀😀😀😀😀😀"}, "title", "хотя бы 3 букв"),
        ({"body": "!!!!! ????? ...... 12345 67890"}, "body", "хотя бы 10 букв"),
        ({"title": "Очeредь в центре"}, "title", "смешаны русские и латинские"),  # Latin e
        ({"section": 999_999}, "section", "Выберите раздел этого проекта."),
        ({"section": "первый"}, "section", "целое число"),
        ({"title": None}, "title", "Нужна строка."),
        ({"title": ["список"]}, "title", "Нужна строка."),
        ({"extra": "поле"}, "extra", "Неизвестное поле."),
    ],
)
def test_bad_ideas_are_refused_with_a_clear_message(
    api, project, resident, changes, field, message
):
    response = post_idea(api, project, **changes)
    assert response.status_code == 422, response.json
    assert response.mimetype == "application/problem+json"
    assert any(message in text for text in response.json["errors"][field]), response.json
    assert ideas_count() == 0


def test_a_section_of_another_project_is_refused(api, project, resident):
    other = ProjectFactory()
    response = post_idea(api, project, section=other.sections[0].id)
    assert response.status_code == 422
    assert response.json["errors"]["section"] == ["Выберите раздел этого проекта."]
    assert ideas_count() == 0


def test_malformed_and_non_json_bodies(api, project, resident):
    client, headers = api.client, {"Authorization": f"Bearer {api.token}"}
    path = f"/api/v1/projects/{project.id}/ideas"
    response = client.post(path, data="{", content_type="application/json", headers=headers)
    assert response.status_code == 400
    response = client.post(path, data="title=x", headers=headers)
    assert response.status_code in (415, 422)
    assert ideas_count() == 0


@pytest.mark.parametrize(
    ("title", "body"),
    [
        (
            "<script>alert('очередь')</script> в МФЦ",
            "<img src=x onerror=alert(1)> текст идеи о МФЦ",
        ),
        ("Wi-Fi в зале ожидания 📶", "Нужен бесплатный Wi-Fi 🙏 — люди ждут по часу & дольше."),
        ("Идея «в кавычках» & амперсанд", 'Текст с "кавычками", <b>тегами</b> и {{ 7*7 }}.'),
        ("Очередь\u200bс нулевой шириной", "Текст справа налево: \u202eон сохраняется как есть."),
    ],
)
def test_text_is_stored_as_written_and_shown_escaped(api, pages, project, resident, title, body):
    response = post_idea(api, project, title=title, body=body)
    assert response.status_code == 201, response.json
    idea_id = response.json["id"]
    got = api.get(f"/ideas/{idea_id}").json
    assert (got["title"], got["body"]) == (title, body)
    html = pages.get(f"/ideas/{idea_id}").get_data(as_text=True)
    assert str(escape(title)) in html
    assert str(escape(body)) in html
    assert "<script>alert" not in html
    assert "<img src=x" not in html
    assert "49" not in html.split('class="text-pre-line idea-body mb-3">')[1][:200]


def _check_refusal(response, fields):
    assert response.status_code == 422, response.json
    errors = response.json["errors"]
    assert set(errors) <= set(fields)
    assert all(
        messages and all(isinstance(m, str) and m for m in messages) for messages in errors.values()
    )


def test_every_naughty_string_is_refused_clearly_or_kept_exactly(api, pages, project, resident):
    idea = IdeaFactory(project=project)
    pages.login(resident.email)  # the author sees their idea even when checks hold it back
    kept = refused = 0
    for number, raw in enumerate(NAUGHTY):
        for title, body in ((raw, raw), (f"Идея: {raw}", f"Текст предложения про МФЦ: {raw}")):
            before = ideas_count()
            response = post_idea(api, project, title=title, body=body)
            if response.status_code != 201:
                _check_refusal(response, {"title", "body"})
                assert ideas_count() == before
                refused += 1
                continue
            kept += 1
            got = response.json
            assert got["title"] == title.strip()
            assert got["body"] == body.strip().replace("\r\n", "\n")
            html = pages.get(f"/ideas/{got['id']}").get_data(as_text=True)
            assert str(escape(got["title"])) in html
            assert str(escape(got["body"])) in html
        comment = api.post(f"/ideas/{idea.id}/comments", {"body": raw})
        if comment.status_code == 201:
            assert comment.json["body"] == raw.strip().replace("\r\n", "\n")
        else:
            _check_refusal(comment, {"body"})
        search = api.get(f"/projects/{project.id}/ideas", q=raw[:200])
        assert search.status_code == 200
        if number % 10 == 0:  # the similar box reads what people type; a sample is enough
            similar = api.get(f"/projects/{project.id}/ideas/similar", text=raw)
            assert similar.status_code == 200
    assert kept > 300  # most strings are legitimate text, and are kept
    assert refused > 0
    comments = db.session.scalars(select(Comment.body)).all()
    html = pages.get(f"/ideas/{idea.id}").get_data(as_text=True)
    for text in comments:
        assert str(escape(text)) in html


def test_bad_input_on_the_submit_page(pages, project):
    UserFactory(email="ivan@example.ru")
    pages.login("ivan@example.ru")
    path = f"/projects/{project.id}/ideas/new"
    response = pages.submit(
        path, {"title": "<b>x</b>", "body": "", "section": str(project.sections[0].id)}
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Исправьте ошибки в форме" in html
    assert "Поле не может быть пустым." in html
    assert "&lt;b&gt;x&lt;/b&gt;" in html
    assert ideas_count() == 0


def test_ids_beyond_the_database_range_are_not_found(api, project, resident):
    huge = 10**20
    assert api.get(f"/ideas/{huge}").status_code == 404
    assert api.get(f"/projects/{huge}").status_code == 404
    assert api.post(f"/comments/{huge}/flags", {"reason": "Спам"}).status_code == 404
    assert post_idea(api, project, section=huge).status_code == 422
    assert api.get(f"/projects/{project.id}/ideas", section=huge).status_code == 422
    idea = IdeaFactory(project=project)
    response = api.post(f"/ideas/{idea.id}/comments", {"body": "Ответ", "parent_id": huge})
    assert response.status_code == 422
