"""Every number a person types into a page (a form field or a query string) is read the
same way: ASCII digits only. Each spelling below is close to a valid number (Python's
`int()` takes several of them, `'²'.isdigit()` is true yet `int('²')` raises), and every
form refuses it with a form error, never a 500, and leaves the data as it was."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import func, select

from app.db import utcnow
from app.extensions import db
from ideas.clustering.models import Cluster, ClusteringRun, ClusterMember, RunStatus
from ideas.models import Comment, Flag, Idea, IdeaStatus, ProjectStage
from ideas.review.models import Implementation, Review
from tests.factories import CommentFactory, IdeaFactory, ProjectFactory, UserFactory, make_poll
from voting.models import Participation, Poll

ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
# How each bad spelling is made from the number the form would accept.
SPELLINGS: dict[str, Callable[[int], str]] = {
    "superscript_two": lambda n: "²",  # isdigit() is true, int() raises
    "arabic_indic_digits": lambda n: str(n).translate(ARABIC_INDIC),  # int() takes them
    "underscore": lambda n: f"0_{n}",  # int() takes it, like '1_000'
    "spaces": lambda n: f" {n} ",  # int() strips them
    "negative": lambda n: f"-{n}",
    "too_big_for_any_column": lambda n: "99999999999999999999",
}
REFUSED = "Введите целое число цифрами 0–9."


def count(model) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model)) or 0


def vote_form(pages, spell):
    poll = make_poll()
    pages.login(UserFactory().email)
    single, multiple = poll.questions
    response = pages.submit(
        f"/polls/{poll.id}/vote",
        {
            f"q{single.id}": str(single.options[0].id),
            f"q{multiple.id}": spell(multiple.options[0].id),
        },
        form_page=f"/polls/{poll.id}",
    )
    return response, count(Participation) == 0


def shortlist_form(pages, spell):
    project = ProjectFactory(stage=ProjectStage.EXPERT_REVIEW)
    idea = IdeaFactory(project=project)
    pages.login(UserFactory(roles=("staff",)).email)
    response = pages.submit(f"/projects/{project.id}/shortlist", {"idea_ids": spell(idea.id)})
    db.session.expire_all()
    return response, db.session.get(Idea, idea.id).status is IdeaStatus.PUBLISHED


def review_scores(pages, spell):
    idea = IdeaFactory(project=ProjectFactory(stage=ProjectStage.EXPERT_REVIEW))
    pages.login(UserFactory(roles=("expert",)).email)
    scores = {"score-usefulness": spell(4), "score-feasibility": "4", "score-cost": "3"}
    response = pages.submit(f"/ideas/{idea.id}/review", {**scores, "score-reach": "5"})
    return response, count(Review) == 0


def implementation_progress(pages, spell):
    idea = IdeaFactory(project=ProjectFactory(stage=ProjectStage.RESULTS), status="selected")
    pages.login(UserFactory(roles=("staff",)).email)
    form = {"status": "in_progress", "progress": spell(40), "note": "Закуплены терминалы"}
    response = pages.submit(f"/ideas/{idea.id}/implementation", form)
    return response, count(Implementation) == 0


def merge_into(pages, spell):
    source = IdeaFactory()
    target = IdeaFactory(project=source.project)
    pages.login(UserFactory(roles=("moderator",)).email)
    prefix = f"idea-{source.id}-"
    form = {
        f"{prefix}target_type": "idea",
        f"{prefix}target_id": str(source.id),
        f"{prefix}expected_status": "published",
        f"{prefix}merge_into": spell(target.id),
        f"{prefix}merge": "1",
    }
    response = pages.submit(
        f"/moderation/decide/idea/{source.id}", form, form_page="/moderation", follow=True
    )
    db.session.expire_all()
    return response, db.session.get(Idea, source.id).status is IdeaStatus.PUBLISHED


def clustering_groups(pages, spell):
    project = ProjectFactory(stage=ProjectStage.EXPERT_REVIEW)
    pages.login(UserFactory(roles=("staff",)).email)
    response = pages.submit(f"/projects/{project.id}/clusterings", {"k": spell(3)})
    return response, count(ClusteringRun) == 0


def duplicate_pair(pages, spell):
    keep = IdeaFactory(project=ProjectFactory(stage=ProjectStage.EXPERT_REVIEW))
    duplicate = IdeaFactory(project=keep.project)
    run = ClusteringRun(project_id=keep.project_id, status=RunStatus.DONE, finished_at=utcnow())
    run.clusters = [Cluster(number=0, label="Очереди", size=2, support=0)]
    db.session.add(run)
    db.session.flush()
    db.session.add_all(
        ClusterMember(run_id=run.id, idea_id=i.id, cluster_id=run.clusters[0].id)
        for i in (keep, duplicate)
    )
    db.session.commit()
    pages.login(UserFactory(roles=("staff",)).email)
    response = pages.submit(
        f"/clusterings/{run.id}/duplicates",
        {"keep": spell(keep.id), "duplicate": str(duplicate.id)},
        form_page=f"/projects/{keep.project_id}/clusterings",
    )
    return response, count(Flag) == 0


def reply_to_comment(pages, spell):
    parent = CommentFactory()
    pages.login(UserFactory().email)
    response = pages.submit(
        f"/ideas/{parent.idea_id}/comments",
        {"body": "Ответ на этот комментарий", "parent_id": spell(parent.id)},
        form_page=f"/ideas/{parent.idea_id}",
    )
    return response, count(Comment) == 1


def poll_max_choices(pages, spell):
    pages.login(UserFactory(roles=("staff",)).email)
    form = {
        "title": "Какие услуги добавить в центр",
        "results": "live",
        "questions-0-text": "Какие услуги добавить?",
        "questions-0-kind": "multiple",
        "questions-0-max_choices": spell(2),
        "questions-0-options": "Банк\nНотариус\nФотостудия",
    }
    response = pages.submit("/staff/polls/new", form)
    return response, count(Poll) == 0


FORMS = [
    vote_form,
    shortlist_form,
    review_scores,
    implementation_progress,
    merge_into,
    clustering_groups,
    duplicate_pair,
    reply_to_comment,
    poll_max_choices,
]


@pytest.mark.parametrize("spelling", SPELLINGS)
@pytest.mark.parametrize("form", FORMS, ids=lambda f: f.__name__)
def test_a_number_not_in_plain_digits_is_a_form_error_and_changes_nothing(pages, form, spelling):
    response, unchanged = form(pages, SPELLINGS[spelling])
    refused = response.history[0] if response.history else response
    # A 4xx page with the error, or (moderation, duplicates) a redirect to a flashed error.
    assert 400 <= refused.status_code < 500 or refused.status_code == 302
    assert unchanged


def test_a_number_field_names_the_rule(pages):
    response, _unchanged = implementation_progress(pages, SPELLINGS["arabic_indic_digits"])
    assert REFUSED in response.get_data(as_text=True)
    response, _unchanged = merge_into(pages, SPELLINGS["superscript_two"])
    assert REFUSED in response.get_data(as_text=True)


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_a_number_not_in_plain_digits_in_a_query_string_is_left_out(pages, spelling):
    spell = SPELLINGS[spelling]
    project = ProjectFactory()
    first, second = project.sections
    ideas = [IdeaFactory(project=project, section=s) for s in (first, second)]
    listed = pages.get(f"/projects/{project.id}/ideas?section={spell(second.id)}&page={spell(1)}")
    assert listed.status_code == 200
    assert all(idea.title in listed.get_data(as_text=True) for idea in ideas)
    pages.login(UserFactory(roles=("moderator",)).email)
    for path in (
        f"/moderation?project={spell(project.id)}&page={spell(1)}",
        f"/moderation/log?page={spell(1)}",
    ):
        assert pages.get(path).status_code == 200
