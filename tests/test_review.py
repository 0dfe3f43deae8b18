"""Expert review through selection to published results."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from app.notifications.models import Channel, Notification
from app.points.services import get_balance
from ideas.models import IdeaStatus, ProjectStage, Support
from ideas.review.models import Review
from tests.factories import CommentFactory, IdeaFactory, ProjectFactory, UserFactory

SCORES = {"usefulness": 5, "feasibility": 4, "cost": 3, "reach": 4}


@pytest.fixture
def project():
    return ProjectFactory(stage=ProjectStage.EXPERT_REVIEW)


@pytest.fixture
def experts():
    return UserFactory(roles=("expert",)), UserFactory(roles=("expert",))


@pytest.fixture
def staff():
    return UserFactory(roles=("staff",))


def inbox(user) -> list[str]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(Notification.body).where(
                Notification.user_id == user.id, Notification.channel == Channel.SITE
            )
        )
    )


def test_rubric_defaults_and_staff_sets_weights(api, project, experts, staff):
    api.login(experts[0].email)
    rubric = api.get(f"/projects/{project.id}/rubric").json
    assert [c["code"] for c in rubric["criteria"]] == ["usefulness", "feasibility", "cost", "reach"]
    assert rubric["blind"] is True
    assert api.put(f"/projects/{project.id}/rubric", {"blind": False}).status_code == 403
    api.login(staff.email)
    new = api.put(
        f"/projects/{project.id}/rubric",
        {
            "criteria": [
                {"code": "use", "title": "Польза", "weight": 2},
                {"code": "price", "title": "Цена", "weight": 1},
            ],
            "blind": False,
        },
    ).json
    assert [(c["code"], c["weight"]) for c in new["criteria"]] == [("use", 2.0), ("price", 1.0)]
    bad = api.put(
        f"/projects/{project.id}/rubric",
        {"criteria": [{"code": "Bad code!", "title": "", "weight": -1}]},
    )
    assert bad.status_code == 422
    assert set(bad.json["errors"]) == {"criteria.0.code", "criteria.0.title", "criteria.0.weight"}


def test_expert_scores_idea_and_weighted_score_follows_weights(api, project, experts):
    idea = IdeaFactory(project=project)
    api.login(experts[0].email)
    review = api.put(
        f"/ideas/{idea.id}/reviews/mine", {"scores": SCORES, "comment": "Хорошо", "shortlist": True}
    )
    assert review.status_code == 200
    assert review.json["weighted"] == pytest.approx((5 * 3 + 4 * 2 + 3 * 1 + 4 * 2) / 8, abs=1e-3)
    again = api.put(
        f"/ideas/{idea.id}/reviews/mine", {"scores": {**SCORES, "cost": 5}, "shortlist": False}
    )
    assert again.status_code == 200
    assert again.json["shortlist"] is False


@pytest.mark.parametrize(
    ("scores", "field"),
    [
        ({**SCORES, "usefulness": 6}, "scores.usefulness"),
        ({**SCORES, "usefulness": 0}, "scores.usefulness"),
        ({**SCORES, "usefulness": 2.5}, "scores.usefulness"),
        ({**SCORES, "usefulness": True}, "scores.usefulness"),
        ({**SCORES, "beauty": 3}, "scores.beauty"),
        ({k: v for k, v in SCORES.items() if k != "reach"}, "scores.reach"),
    ],
)
def test_bad_scores_are_422_and_change_nothing(api, project, experts, scores, field):
    idea = IdeaFactory(project=project)
    api.login(experts[0].email)
    response = api.put(f"/ideas/{idea.id}/reviews/mine", {"scores": scores})
    assert response.status_code == 422
    assert field in response.json["errors"]
    assert api.get(f"/ideas/{idea.id}/reviews").json["items"] == []


def test_reviewing_outside_the_expert_review_stage_is_409(api, experts):
    idea = IdeaFactory(project=ProjectFactory(stage=ProjectStage.IDEAS))
    api.login(experts[0].email)
    assert api.put(f"/ideas/{idea.id}/reviews/mine", {"scores": SCORES}).status_code == 409


def test_expert_never_reviews_own_idea_and_residents_cannot_review(api, project, experts):
    own = IdeaFactory(project=project, author=experts[0])
    api.login(experts[0].email)
    response = api.put(f"/ideas/{own.id}/reviews/mine", {"scores": SCORES})
    assert response.status_code == 403
    assert response.json["reason"] == "own_idea"
    api.login(UserFactory().email)
    assert api.put(f"/ideas/{own.id}/reviews/mine", {"scores": SCORES}).status_code == 403
    assert api.get(f"/projects/{project.id}/shortlist").status_code == 403


def test_declared_conflict_blocks_review_and_withdraws_an_earlier_one(api, project, experts):
    idea = IdeaFactory(project=project)
    api.login(experts[0].email)
    api.put(f"/ideas/{idea.id}/reviews/mine", {"scores": SCORES})
    assert (
        api.post(f"/ideas/{idea.id}/conflicts", {"note": "Идею подал мой коллега"}).status_code
        == 201
    )
    response = api.put(f"/ideas/{idea.id}/reviews/mine", {"scores": SCORES})
    assert response.status_code == 403
    assert response.json["reason"] == "conflict"
    api.login(experts[1].email)
    api.put(f"/ideas/{idea.id}/reviews/mine", {"scores": SCORES})
    assert [r["expert_id"] for r in api.get(f"/ideas/{idea.id}/reviews").json["items"]] == [
        experts[1].id
    ]


def test_blind_review_hides_others_scores_until_you_score(api, project, experts, staff):
    idea = IdeaFactory(project=project)
    api.login(experts[0].email)
    api.put(f"/ideas/{idea.id}/reviews/mine", {"scores": SCORES})
    api.login(experts[1].email)
    hidden = api.get(f"/ideas/{idea.id}/reviews").json
    assert hidden == {"items": [], "hidden_until_you_score": True}
    assert api.get(f"/projects/{project.id}/shortlist").json["items"] == []
    api.put(f"/ideas/{idea.id}/reviews/mine", {"scores": {**SCORES, "usefulness": 2}})
    assert len(api.get(f"/ideas/{idea.id}/reviews").json["items"]) == 2
    assert len(api.get(f"/projects/{project.id}/shortlist").json["items"]) == 1
    api.login(staff.email)
    api.put(f"/projects/{project.id}/rubric", {"blind": False})
    other = IdeaFactory(project=project)
    api.login(experts[0].email)
    api.put(f"/ideas/{other.id}/reviews/mine", {"scores": SCORES})
    api.login(experts[1].email)
    assert len(api.get(f"/ideas/{other.id}/reviews").json["items"]) == 1


def test_shortlist_ranks_by_weighted_mean_with_spread_agreement_and_coverage(
    api, project, experts, staff
):
    ideas = [IdeaFactory(project=project) for _ in range(4)]
    plan = {  # two experts agreeing on the order of three ideas; the fourth unreviewed
        ideas[0].id: (5, 5),
        ideas[1].id: (3, 2),
        ideas[2].id: (1, 1),
    }
    for n, expert in enumerate(experts):
        api.login(expert.email)
        for idea_id, marks in plan.items():
            mark = marks[n]
            api.put(
                f"/ideas/{idea_id}/reviews/mine",
                {"scores": dict.fromkeys(SCORES, mark), "shortlist": mark >= 3},
            )
    api.login(staff.email)
    body = api.get(f"/projects/{project.id}/shortlist").json
    assert [i["idea_id"] for i in body["items"]] == [ideas[0].id, ideas[1].id, ideas[2].id]
    second = body["items"][1]
    assert second["mean"] == pytest.approx(2.5)
    assert second["spread"] == pytest.approx(0.5)
    assert second["reviews"] == 2
    assert second["shortlisted_by"] == 1
    assert body["agreement"] == pytest.approx(0.95, abs=0.05)
    assert body["experts"] == 2
    assert body["unreviewed_count"] == 1
    assert body["unreviewed"][0]["idea_id"] == ideas[3].id


def test_selection_notifies_authors_of_merged_ideas_and_awards_points(api, project, staff):
    winner = IdeaFactory(project=project)
    merged = IdeaFactory(project=project, status=IdeaStatus.MERGED, merged_into=winner)
    api.login(staff.email)
    response = api.post(f"/projects/{project.id}/selection", {"idea_ids": [winner.id]})
    assert response.status_code == 200
    assert response.json["selected"] == [winner.id]
    assert any("отобрана" in body for body in inbox(winner.author))
    assert any("отобрана" in body for body in inbox(merged.author))
    assert get_balance(winner.author.id) >= 100
    assert api.get(f"/ideas/{winner.id}").json["status"] == "selected"


@pytest.mark.parametrize("case", ["rejected", "other_project", "merged", "empty", "not_ints"])
def test_bad_selections_are_422_and_select_nothing(api, project, staff, case):
    good = IdeaFactory(project=project)
    ids = {
        "rejected": lambda: [good.id, IdeaFactory(project=project, status=IdeaStatus.REJECTED).id],
        "other_project": lambda: [good.id, IdeaFactory().id],
        "merged": lambda: [IdeaFactory(project=project, status=IdeaStatus.MERGED).id],
        "empty": lambda: [],
        "not_ints": lambda: ["1", None],
    }[case]()
    api.login(staff.email)
    assert api.post(f"/projects/{project.id}/selection", {"idea_ids": ids}).status_code == 422
    assert api.get(f"/ideas/{good.id}").json["status"] == "published"


def test_implementation_history_and_news_reach_supporters(api, project, staff):
    idea = IdeaFactory(project=project)
    supporter = UserFactory()
    db.session.add(Support(user_id=supporter.id, idea_id=idea.id))
    db.session.commit()
    api.login(staff.email)
    assert (
        api.post(
            f"/ideas/{idea.id}/implementation", {"status": "in_progress", "progress": 10}
        ).status_code
        == 409
    )
    api.post(f"/projects/{project.id}/selection", {"idea_ids": [idea.id]})
    first = api.post(
        f"/ideas/{idea.id}/implementation",
        {"status": "in_progress", "progress": 40, "note": "Закуплены терминалы"},
    )
    assert first.status_code == 200
    declined = api.post(f"/ideas/{idea.id}/implementation", {"status": "declined", "progress": 40})
    assert declined.status_code == 422
    assert "note" in declined.json["errors"]
    done = api.post(f"/ideas/{idea.id}/implementation", {"status": "done", "progress": 90}).json
    assert done["progress"] == 100
    assert [h["status"] for h in done["history"]] == ["in_progress", "done"]
    assert any("Закуплены терминалы" in body for body in inbox(supporter))
    assert (
        api.post(
            f"/ideas/{idea.id}/implementation", {"status": "finished", "progress": 5}
        ).status_code
        == 422
    )


def test_results_appear_only_after_publishing_once(api, project, staff):
    idea = IdeaFactory(project=project)
    api.login(staff.email)
    assert api.get(f"/projects/{project.id}/results").status_code == 404
    api.post(f"/projects/{project.id}/selection", {"idea_ids": [idea.id]})
    assert api.post(f"/projects/{project.id}/publish").status_code == 201
    assert api.post(f"/projects/{project.id}/publish").status_code == 409
    api.logout()
    body = api.get(f"/projects/{project.id}/results").json
    assert body["participation"]["ideas"] == 1
    assert body["participation"]["participants"] == 1
    assert body["participation"]["by_okrug"]["ЦАО"]["participants"] == 1
    assert body["selected"][0]["id"] == idea.id
    assert body["selected"][0]["implementation"]["status"] == "planned"


def test_exports_hold_no_email_phone_or_name(api, project, staff, client):
    author = UserFactory(
        display_name="Анна Секретова", email="anna.secret@example.ru", phone="+79161234567"
    )
    commenter = UserFactory(display_name="Пётр Тайнов", email="petr.tainov@example.ru")
    idea = IdeaFactory(project=project, author=author)
    CommentFactory(idea=idea, author=commenter)
    db.session.add(Support(user_id=commenter.id, idea_id=idea.id))
    db.session.commit()
    api.login(staff.email)
    api.post(f"/projects/{project.id}/selection", {"idea_ids": [idea.id]})
    api.post(f"/projects/{project.id}/publish")
    for fmt in ("csv", "json"):
        response = client.get(f"/api/v1/projects/{project.id}/export", query_string={"format": fmt})
        assert response.status_code == 200
        text = response.get_data(as_text=True)
        for secret in (
            "anna.secret",
            "petr.tainov",
            "Секретова",
            "Тайнов",
            "9161234567",
            "@example.ru",
        ):
            assert secret not in text, (fmt, secret)
        assert idea.title in text
    tables = client.get(f"/api/v1/projects/{project.id}/export").json
    assert tables["supports"] == [{"idea_id": idea.id, "okrug": "ЦАО", "supports": 1}]
    assert tables["selection"][0]["idea_id"] == idea.id


def _score_on_page(pages, idea, scores):
    data = {f"score-{code}": value for code, value in scores.items()}
    return pages.submit(f"/ideas/{idea.id}/review", data)


def test_staff_who_are_not_experts_score_neither_on_the_page_nor_the_api(
    api, pages, project, staff
):
    idea = IdeaFactory(project=project)
    pages.login(staff.email)
    assert pages.get(f"/ideas/{idea.id}/review").status_code == 200
    response = _score_on_page(pages, idea, SCORES)
    assert response.status_code == 403
    assert "Оценивать идеи могут только эксперты." in response.get_data(as_text=True)
    api.login(staff.email)
    refused = api.put(f"/ideas/{idea.id}/reviews/mine", {"scores": SCORES})
    assert refused.status_code == 403
    assert refused.json["reason"] == "not_expert"
    assert api.get(f"/ideas/{idea.id}/reviews").json["items"] == []


def test_a_review_is_final_once_the_expert_can_see_another_experts_scores(api, project, experts):
    idea = IdeaFactory(project=project)
    first, second = experts
    api.login(first.email)
    assert api.put(f"/ideas/{idea.id}/reviews/mine", {"scores": SCORES}).status_code == 200
    # Alone on the idea, the first expert has seen no one else's scores: they may amend.
    amended = api.put(f"/ideas/{idea.id}/reviews/mine", {"scores": {**SCORES, "cost": 1}})
    assert amended.status_code == 200
    api.login(second.email)
    assert api.get(f"/ideas/{idea.id}/reviews").json["hidden_until_you_score"] is True
    assert api.put(f"/ideas/{idea.id}/reviews/mine", {"scores": SCORES}).status_code == 200
    assert len(api.get(f"/ideas/{idea.id}/reviews").json["items"]) == 2
    for expert in (second, first):
        api.login(expert.email)
        refused = api.put(f"/ideas/{idea.id}/reviews/mine", {"scores": {**SCORES, "usefulness": 1}})
        assert refused.status_code == 409
        assert refused.json["reason"] == "review_final"
    api.login(first.email)
    mine = {r["expert_id"]: r for r in api.get(f"/ideas/{idea.id}/reviews").json["items"]}
    assert mine[first.id]["scores"] == {**SCORES, "cost": 1}
    assert mine[second.id]["scores"] == SCORES


def test_the_review_page_hides_others_scores_then_keeps_the_score_final(pages, project, experts):
    idea = IdeaFactory(project=project)
    first, second = experts
    pages.login(first.email)
    assert _score_on_page(pages, idea, SCORES).status_code == 302
    pages.login(second.email)
    before = pages.get(f"/ideas/{idea.id}/review").get_data(as_text=True)
    assert first.display_name not in before
    assert "Оценки других экспертов откроются после вашей оценки." in before
    assert _score_on_page(pages, idea, {**SCORES, "usefulness": 2}).status_code == 302
    after = pages.get(f"/ideas/{idea.id}/review").get_data(as_text=True)
    assert first.display_name in after
    assert 'id="review-final"' in after
    refused = _score_on_page(pages, idea, {**SCORES, "usefulness": 5})
    assert refused.status_code == 409
    assert "Ваша оценка окончательна" in refused.get_data(as_text=True)
    db.session.expire_all()
    kept = db.session.scalar(
        select(Review.scores).where(Review.idea_id == idea.id, Review.expert_id == second.id)
    )
    assert kept["usefulness"] == 2
