"""Comment threads have a bounded depth.

Replies nest at most `COMMENT_MAX_DEPTH` levels: a reply to a comment at the deepest level
becomes its sibling (stored under that comment's parent), on pages and API alike. Chains
deeper than that, written before the limit existed, are shown flattened at the deepest level.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.extensions import db
from ideas import services
from ideas.models import Comment
from ideas.validation import COMMENT_MAX_DEPTH
from tests.factories import CommentFactory, IdeaFactory, UserFactory

LEGACY_CHAIN = 300


@pytest.fixture
def idea(app):
    return IdeaFactory()


def _chain(idea, length: int) -> list[Comment]:
    """`length` replies, each to the one before, written straight into the database."""
    author = UserFactory()
    chain: list[Comment] = []
    for number in range(length):
        comment = Comment(
            idea_id=idea.id,
            author_id=author.id,
            parent_id=chain[-1].id if chain else None,
            body=f"Ответ номер {number}",
        )
        db.session.add(comment)
        db.session.flush()
        chain.append(comment)
    db.session.commit()
    return chain


def _levels(items: list[dict]) -> dict[int, int]:
    """Each listed comment's level, found by following `parent_id` the way a client would."""
    parents = {item["id"]: item["parent_id"] for item in items}
    levels: dict[int, int] = {}
    for comment_id in parents:
        level, parent = 1, parents[comment_id]
        while parent is not None:
            level, parent = level + 1, parents[parent]
            assert level <= COMMENT_MAX_DEPTH, "a listed thread is deeper than the limit"
        levels[comment_id] = level
    return levels


def _nesting(html: str) -> int:
    """How deep the page nests its comment lists."""
    depth = deepest = 0
    for tag in re.findall(r'<ul class="list-unstyled comment-thread|</ul>', html):
        if tag == "</ul>":
            depth = max(depth - 1, 0)
        else:
            depth += 1
            deepest = max(deepest, depth)
    return deepest


def _all_comments(api, idea) -> list[dict]:
    items: list[dict] = []
    page = 1
    while True:
        body = api.get(f"/ideas/{idea.id}/comments", page=page, per_page=100).json
        items += body["items"]
        if len(items) >= body["total"]:
            return items
        page += 1


def test_a_deep_legacy_chain_renders_on_the_page_flattened_at_the_limit(client, idea):
    chain = _chain(idea, LEGACY_CHAIN)
    response = client.get(f"/ideas/{idea.id}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert all(f'id="comment-{c.id}"' in html for c in chain)
    assert _nesting(html) == COMMENT_MAX_DEPTH


def test_a_deep_legacy_chain_lists_on_the_api_flattened_at_the_limit(api, idea):
    chain = _chain(idea, LEGACY_CHAIN)
    items = _all_comments(api, idea)
    assert [item["id"] for item in items] == [c.id for c in chain]
    levels = _levels(items)
    assert [item["level"] for item in items] == [levels[item["id"]] for item in items]
    assert levels[chain[COMMENT_MAX_DEPTH - 1].id] == COMMENT_MAX_DEPTH
    assert levels[chain[-1].id] == COMMENT_MAX_DEPTH
    # Everything past the limit is shown under the last comment above the deepest level.
    anchor = chain[COMMENT_MAX_DEPTH - 2].id
    assert {item["parent_id"] for item in items[COMMENT_MAX_DEPTH - 1 :]} == {anchor}


def _parent_of(comment_id: int) -> int | None:
    db.session.expire_all()
    return db.session.get(Comment, comment_id).parent_id


def test_a_reply_at_the_deepest_level_becomes_a_sibling_over_the_api(api, idea):
    UserFactory(email="ivan@example.ru")
    api.login("ivan@example.ru")
    path = f"/ideas/{idea.id}/comments"
    parent_id = None
    replies = []
    for number in range(COMMENT_MAX_DEPTH + 2):
        response = api.post(path, {"body": f"Ответ {number}", "parent_id": parent_id})
        assert response.status_code == 201
        replies.append(response.json)
        parent_id = response.json["id"]
    assert [r["level"] for r in replies] == [
        *range(1, COMMENT_MAX_DEPTH + 1),
        COMMENT_MAX_DEPTH,
        COMMENT_MAX_DEPTH,
    ]
    deepest_parent = replies[COMMENT_MAX_DEPTH - 2]["id"]
    for beyond in replies[COMMENT_MAX_DEPTH:]:
        assert beyond["parent_id"] == deepest_parent
        assert _parent_of(beyond["id"]) == deepest_parent
    assert max(_levels(_all_comments(api, idea)).values()) == COMMENT_MAX_DEPTH


def test_a_reply_at_the_deepest_level_becomes_a_sibling_on_the_page(pages, idea):
    chain = _chain(idea, COMMENT_MAX_DEPTH)
    UserFactory(email="ivan@example.ru")
    pages.login("ivan@example.ru")
    path = f"/ideas/{idea.id}"
    response = pages.submit(
        f"{path}/comments",
        {"body": "Ответ на самый глубокий", "parent_id": chain[-1].id},
        form_page=path,
    )
    assert response.status_code == 302
    created = db.session.scalars(select(Comment).order_by(Comment.id.desc())).first()
    assert created.body == "Ответ на самый глубокий"
    assert created.parent_id == chain[-2].id
    assert _nesting(pages.get(path).get_data(as_text=True)) == COMMENT_MAX_DEPTH


def test_a_reply_into_a_legacy_chain_attaches_at_the_limit(idea):
    chain = _chain(idea, LEGACY_CHAIN)
    reply = services.add_comment(UserFactory(), idea, "Ответ в самый низ", chain[-1].id)
    assert reply.parent_id == chain[COMMENT_MAX_DEPTH - 2].id
    shallow = services.add_comment(UserFactory(), idea, "Ответ повыше", chain[1].id)
    assert shallow.parent_id == chain[1].id


def test_replies_of_another_idea_still_refused(api, idea):
    UserFactory(email="ivan@example.ru")
    api.login("ivan@example.ru")
    other = CommentFactory()
    response = api.post(f"/ideas/{idea.id}/comments", {"body": "Не туда", "parent_id": other.id})
    assert response.status_code == 422
    assert "parent_id" in response.json["errors"]
