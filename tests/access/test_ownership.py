"""Two residents: neither reads the other's drafts, votes, supports, inbox or personal data."""

from __future__ import annotations

from app.auth.models import Role
from app.extensions import db
from app.notifications.services import notify
from ideas.models import IdeaStatus, ModerationMode, ProjectStage
from tests.factories import IdeaFactory, ProjectFactory, UserFactory, make_poll
from tests.support import ApiClient, PageClient

SCORES = {"usefulness": 5, "feasibility": 4, "cost": 3, "reach": 4}


def _two(app) -> tuple[ApiClient, ApiClient, object, object]:
    anna = UserFactory(email="anna@example.ru", phone="+7 916 111-22-33")
    boris = UserFactory(email="boris@example.ru", phone="+7 916 444-55-66")
    a, b = ApiClient(app.test_client()), ApiClient(app.test_client())
    a.login(anna.email)
    b.login(boris.email)
    return a, b, anna, boris


def test_a_pending_idea_is_seen_by_its_author_only(app):
    a, b, anna, _boris = _two(app)
    project = ProjectFactory(moderation=ModerationMode.PRE)
    draft = IdeaFactory(project=project, author=anna, status=IdeaStatus.PENDING, published_at=None)
    assert a.get(f"/ideas/{draft.id}").status_code == 200
    assert b.get(f"/ideas/{draft.id}").status_code == 404
    assert b.get(f"/ideas/{draft.id}/comments").status_code == 404
    assert b.patch(f"/ideas/{draft.id}", {"title": "Чужая правка"}).status_code == 404
    assert b.delete(f"/ideas/{draft.id}").status_code == 404
    listed = b.get(f"/projects/{project.id}/ideas").json["items"]
    assert draft.id not in [item["id"] for item in listed]
    assert b.get(f"/projects/{project.id}/ideas", status="pending").status_code == 403
    page = PageClient(app.test_client())
    page.login("boris@example.ru")
    assert page.get(f"/ideas/{draft.id}").status_code == 404
    assert page.get(f"/ideas/{draft.id}/edit").status_code == 404


def test_someone_elses_published_idea_cannot_be_edited_or_withdrawn(app):
    a, b, anna, _boris = _two(app)
    idea = IdeaFactory(author=anna)
    assert b.delete(f"/ideas/{idea.id}").status_code == 403
    assert b.patch(f"/ideas/{idea.id}", {"title": "Чужая правка"}).status_code == 403
    page = PageClient(app.test_client())
    page.login("boris@example.ru")
    assert page.get(f"/ideas/{idea.id}/edit").status_code == 403
    assert a.get(f"/ideas/{idea.id}").json["status"] == "published"


def test_whether_someone_supported_an_idea_is_told_to_them_only(app):
    a, b, _anna, _boris = _two(app)
    idea = IdeaFactory()
    assert a.post(f"/ideas/{idea.id}/support").status_code in (200, 201)
    assert a.get(f"/ideas/{idea.id}").json["supported_by_me"] is True
    assert b.get(f"/ideas/{idea.id}").json["supported_by_me"] is False
    assert ApiClient(app.test_client()).get(f"/ideas/{idea.id}").json["supported_by_me"] is None


def test_a_vote_is_known_to_the_voter_only_and_its_ballot_names_no_one(app):
    a, b, anna, boris = _two(app)
    poll = make_poll(results="live")
    q1, q2 = poll.questions
    body = {
        "answers": [
            {"question_id": q1.id, "option_ids": [q1.options[0].id]},
            {"question_id": q2.id, "option_ids": [q2.options[1].id]},
        ]
    }
    receipt = a.post(f"/polls/{poll.id}/votes", body).json["receipt"]
    voted = "Вы уже проголосовали"
    for person, has_voted in ((anna, True), (boris, False)):
        page = PageClient(app.test_client())
        page.login(person.email)
        assert (voted in page.get(f"/polls/{poll.id}").get_data(as_text=True)) is has_voted
    staff = UserFactory(roles=[Role.STAFF])
    s = ApiClient(app.test_client())
    s.login(staff.email)
    assert s.patch(f"/polls/{poll.id}", {"status": "closed"}).status_code == 200
    proof = b.get(f"/polls/{poll.id}/receipts/{receipt}").json
    ballots = b.get(f"/polls/{poll.id}/ballots").get_data(as_text=True)
    for text in (str(proof), ballots):
        assert anna.email not in text
        assert "Житель" not in text  # no display name either
        assert '"user_id"' not in text
        assert "'user_id'" not in text


def test_the_inbox_and_the_profile_are_the_owners_own(app):
    _a, b, anna, boris = _two(app)
    notify([anna], "test", "Письмо для Анны", "Только для Анны", link="/")
    db.session.commit()
    me = b.get("/me").json
    assert me["email"] == "boris@example.ru"
    assert "anna@example.ru" not in str(me)
    page = PageClient(app.test_client())
    page.login(boris.email)
    assert "Только для Анны" not in page.get("/notifications").get_data(as_text=True)
    page = PageClient(app.test_client())
    page.login(anna.email)
    assert "Только для Анны" in page.get("/notifications").get_data(as_text=True)


def test_an_idea_shows_its_author_by_name_without_contact_details(app):
    a, _b, anna, _boris = _two(app)
    idea = IdeaFactory(author=anna)
    assert a.post(f"/ideas/{idea.id}/comments", {"body": "Дополню идею."}).status_code == 201
    for path in (f"/ideas/{idea.id}", f"/ideas/{idea.id}/comments"):
        text = ApiClient(app.test_client()).get(path).get_data(as_text=True)
        assert anna.display_name in text
        assert anna.email not in text
        assert "111-22-33" not in text


def test_under_blind_review_an_expert_does_not_read_anothers_scores_before_scoring(app):
    project = ProjectFactory(stage=ProjectStage.EXPERT_REVIEW)
    idea = IdeaFactory(project=project)
    first, second = (UserFactory(roles=[Role.EXPERT]) for _ in range(2))
    a, b = ApiClient(app.test_client()), ApiClient(app.test_client())
    a.login(first.email)
    b.login(second.email)
    assert a.put(f"/ideas/{idea.id}/reviews/mine", {"scores": SCORES}).status_code == 200
    assert b.get(f"/ideas/{idea.id}/reviews").json["items"] == []
    assert b.put(f"/ideas/{idea.id}/reviews/mine", {"scores": SCORES}).status_code == 200
    assert len(b.get(f"/ideas/{idea.id}/reviews").json["items"]) == 2
