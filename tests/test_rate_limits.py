"""Sign-in, registration, code sending and comments are rate limited."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.extensions import db
from ideas.models import Comment
from tests.factories import IdeaFactory, UserFactory

COMMENT_LIMIT_MESSAGE = "Вы пишете комментарии слишком часто"


@pytest.fixture
def app_config():
    return {
        "LOGIN_RATE_LIMIT": "3 per minute",
        "REGISTER_RATE_LIMIT": "2 per minute",
        "CODE_RATE_LIMIT": "2 per minute",
        "COMMENT_RATE_LIMIT": "3 per minute",
    }


def test_many_wrong_passwords_over_api_get_429(api):
    user = UserFactory()
    statuses = [
        api.post("/auth/token", {"email": user.email, "password": "wrong-pass"}).status_code
        for _ in range(4)
    ]
    assert statuses == [401, 401, 401, 429]
    response = api.post("/auth/token", {"email": user.email, "password": "wrong-pass"})
    assert response.mimetype == "application/problem+json"


def test_successful_sign_ins_do_not_use_up_the_limit(api):
    user = UserFactory()
    for _ in range(5):
        api.login(user.email)


def test_many_wrong_passwords_on_login_page_get_429(pages):
    user = UserFactory()
    statuses = [
        pages.submit("/login", {"email": user.email, "password": "wrong-pass"}).status_code
        for _ in range(4)
    ]
    assert statuses[-1] == 429


def test_registration_is_limited(api):
    bodies = [
        {
            "email": f"r{i}@example.ru",
            "password": "long-password",
            "display_name": "Жанна",
            "district": "arbat",
        }
        for i in range(3)
    ]
    assert [api.post("/auth/register", b).status_code for b in bodies] == [201, 201, 429]


def test_code_sending_is_limited_per_user(api):
    user = UserFactory(verified=False)
    api.login(user.email)
    assert [api.post("/auth/verification").status_code for _ in range(3)] == [202, 202, 429]


def _comments() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(Comment)) or 0


def test_comments_over_the_limit_get_429_on_the_api(api):
    idea = IdeaFactory()
    UserFactory(email="ivan@example.ru")
    api.login("ivan@example.ru")
    path = f"/ideas/{idea.id}/comments"
    statuses = [api.post(path, {"body": f"Мнение номер {n}"}).status_code for n in range(3)]
    assert statuses == [201, 201, 201]
    refused = api.post(path, {"body": "Ещё одно мнение"})
    assert refused.status_code == 429
    assert refused.mimetype == "application/problem+json"
    assert COMMENT_LIMIT_MESSAGE in refused.json["detail"]
    assert _comments() == 3
    # The limit is per person: someone else may still comment.
    UserFactory(email="petr@example.ru")
    api.login("petr@example.ru")
    assert api.post(path, {"body": "Моё первое мнение"}).status_code == 201


def test_comments_over_the_limit_get_a_form_message_on_the_page(pages):
    idea = IdeaFactory()
    UserFactory(email="ivan@example.ru")
    pages.login("ivan@example.ru")
    path = f"/ideas/{idea.id}"
    for n in range(3):
        response = pages.submit(f"{path}/comments", {"body": f"Мнение {n}"}, form_page=path)
        assert response.status_code == 302
    refused = pages.submit(f"{path}/comments", {"body": "Лишнее мнение"}, form_page=path)
    assert refused.status_code == 429
    html = refused.get_data(as_text=True)
    assert 'id="comment-body-new-error"' in html
    assert COMMENT_LIMIT_MESSAGE in html
    assert ">Лишнее мнение</textarea>" in html
    assert _comments() == 3


def test_pages_and_api_share_one_comment_counter(api, pages):
    idea = IdeaFactory()
    UserFactory(email="ivan@example.ru")
    api.login("ivan@example.ru")
    pages.login("ivan@example.ru")
    path = f"/ideas/{idea.id}"
    assert api.post(f"{path}/comments", {"body": "Через приложение"}).status_code == 201
    assert api.post(f"{path}/comments", {"body": "Снова через приложение"}).status_code == 201
    assert pages.submit(f"{path}/comments", {"body": "С сайта"}, form_page=path).status_code == 302
    assert pages.submit(f"{path}/comments", {"body": "Опять"}, form_page=path).status_code == 429
    assert api.post(f"{path}/comments", {"body": "И ещё"}).status_code == 429
    assert _comments() == 3


def test_refused_comments_do_not_use_up_the_limit(api):
    idea = IdeaFactory()
    UserFactory(email="ivan@example.ru")
    api.login("ivan@example.ru")
    path = f"/ideas/{idea.id}/comments"
    assert [api.post(path, {"body": " "}).status_code for _ in range(4)] == [422] * 4
    assert [api.post(path, {"body": f"Мнение {n}"}).status_code for n in range(3)] == [201] * 3
