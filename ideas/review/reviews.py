"""Experts scoring ideas: the rules of who may review what, and what they may see.

Who may score is decided here, for the review page and the API alike: experts (admins hold
every role); staff read the reviews but do not score.

Review is blind: an expert sees other experts' scores of an idea only once their own is in
(`visible_reviews`; staff may open a project's review with `blind` off, and then experts
see the others' at once). An expert may amend their review while they are its idea's only
reviewer; once another expert's review of the idea exists, the others' scores are in front
of them, so their own is final (`is_review_final`: 409 on a change). A first review is
always accepted, whatever the expert could see before it.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.auth.models import Role, User
from app.errors import Conflict, Forbidden, Invalid
from app.extensions import db
from app.text import check_text
from ideas.clustering.models import Cluster
from ideas.models import Idea, IdeaStatus, ProjectStage
from ideas.review.aggregate import weighted_score
from ideas.review.models import ClusterOpening, ConflictOfInterest, ExpertAssignment, Review
from ideas.review.rubric import SCORE_MAX, SCORE_MIN, get_rubric, get_settings

REVIEWABLE = (IdeaStatus.PUBLISHED, IdeaStatus.SELECTED)


def has_conflict(expert: User, idea: Idea) -> bool:
    if idea.author_id == expert.id:
        return True
    return (
        db.session.scalar(
            select(ConflictOfInterest.id).where(
                ConflictOfInterest.idea_id == idea.id, ConflictOfInterest.expert_id == expert.id
            )
        )
        is not None
    )


def _check_may_review(expert: User, idea: Idea) -> None:
    if not expert.has_role(Role.EXPERT):
        raise Forbidden(_("Оценивать идеи могут только эксперты."), extra={"reason": "not_expert"})
    if idea.project.stage is not ProjectStage.EXPERT_REVIEW:
        raise Conflict(
            _("Оценивать идеи можно только на этапе экспертизы."),
            extra={"stage": idea.project.stage.value},
        )
    if idea.author_id == expert.id:
        raise Forbidden(_("Эксперт не оценивает собственную идею."), extra={"reason": "own_idea"})
    if has_conflict(expert, idea):
        raise Forbidden(
            _("Вы заявили конфликт интересов по этой идее."), extra={"reason": "conflict"}
        )
    if idea.status not in REVIEWABLE:
        raise Conflict(
            _("Эта идея не участвует в экспертизе."), extra={"idea_status": idea.status.value}
        )
    if get_settings(idea.project).assignments_required:
        assigned = db.session.scalars(
            select(ExpertAssignment.section_id).where(
                ExpertAssignment.project_id == idea.project_id,
                ExpertAssignment.expert_id == expert.id,
            )
        ).all()
        if not assigned or (None not in assigned and idea.section_id not in assigned):
            raise Forbidden(
                _("Эта идея не входит в ваши разделы."), extra={"reason": "not_assigned"}
            )


def _clean_scores(idea: Idea, scores: object) -> dict[str, int]:
    criteria = {c.code: c for c in get_rubric(idea.project)}
    if not isinstance(scores, dict):
        raise Invalid(
            _("Оценки — объект {критерий: балл}."), errors={"scores": [_("Нужен объект.")]}
        )
    errors: dict[str, list[str]] = {}
    for code in scores:
        if code not in criteria:
            errors[f"scores.{code}"] = [
                _("Нет такого критерия; возможные: %(codes)s.", codes=", ".join(criteria))
            ]
    for code in criteria:
        value = scores.get(code)
        if value is None:
            errors[f"scores.{code}"] = [_("Поставьте оценку по этому критерию.")]
        elif (
            not isinstance(value, int)
            or isinstance(value, bool)
            or not SCORE_MIN <= value <= SCORE_MAX
        ):
            errors[f"scores.{code}"] = [_("Оценка — целое число от 1 до 5.")]
    if errors:
        raise Invalid(_("Проверьте оценки."), errors=errors)
    return {code: int(scores[code]) for code in criteria}


def is_review_final(expert: User, idea: Idea) -> bool:
    """The expert has scored the idea and another expert has too: their review is final."""
    reviewers = set(db.session.scalars(select(Review.expert_id).where(Review.idea_id == idea.id)))
    return expert.id in reviewers and len(reviewers) > 1


def review_idea(
    expert: User, idea: Idea, scores: object, comment: object = None, shortlist: object = False
) -> Review:
    """Score an idea on the rubric; scoring it again amends the review until it is final."""
    _check_may_review(expert, idea)
    if is_review_final(expert, idea):
        raise Conflict(
            _(
                "Ваша оценка окончательна: оценки других экспертов уже видны вам, "
                "поэтому изменить её нельзя."
            ),
            extra={"reason": "review_final"},
        )
    clean = _clean_scores(idea, scores)
    text = None
    if comment not in (None, ""):
        text, problems = check_text(comment, min_length=1, max_length=5000, multiline=True)
        if problems:
            raise Invalid(_("Проверьте комментарий."), errors={"comment": problems})
    if not isinstance(shortlist, bool):
        raise Invalid(
            _("shortlist — true или false."), errors={"shortlist": [_("Нужно true или false.")]}
        )
    weights = {c.code: c.weight for c in get_rubric(idea.project)}
    review = db.session.scalar(
        select(Review).where(Review.idea_id == idea.id, Review.expert_id == expert.id)
    )
    if review is None:
        review = Review(idea_id=idea.id, expert_id=expert.id)
        db.session.add(review)
    review.scores = clean
    review.weighted = weighted_score(clean, weights)
    review.comment = text
    review.shortlist = shortlist
    db.session.flush()
    return review


def declare_conflict(expert: User, idea: Idea, note: object = None) -> ConflictOfInterest:
    """The expert will not review this idea; an earlier review of it is withdrawn."""
    text = None
    if note not in (None, ""):
        text, problems = check_text(note, min_length=1, max_length=500)
        if problems:
            raise Invalid(_("Проверьте пояснение."), errors={"note": problems})
    existing = db.session.scalar(
        select(ConflictOfInterest).where(
            ConflictOfInterest.idea_id == idea.id, ConflictOfInterest.expert_id == expert.id
        )
    )
    if existing is not None:
        return existing
    declared = ConflictOfInterest(idea_id=idea.id, expert_id=expert.id, note=text)
    db.session.add(declared)
    for review in db.session.scalars(
        select(Review).where(Review.idea_id == idea.id, Review.expert_id == expert.id)
    ):
        db.session.delete(review)
    db.session.flush()
    return declared


def visible_reviews(viewer: User, idea: Idea) -> list[Review]:
    """Staff see every review; under blind review an expert sees others' only after scoring."""
    reviews = list(
        db.session.scalars(select(Review).where(Review.idea_id == idea.id).order_by(Review.id))
    )
    if viewer.has_role(Role.STAFF) or not get_settings(idea.project).blind:
        return reviews
    mine = [r for r in reviews if r.expert_id == viewer.id]
    return reviews if mine else []


def note_cluster_opened(expert: User, cluster: Cluster) -> None:
    """Remember that an expert opened a cluster (for staff's coverage of clusters)."""
    if not expert.has_role(Role.EXPERT) or expert.has_role(Role.ADMIN):
        return
    try:
        with db.session.begin_nested():
            db.session.add(ClusterOpening(cluster_id=cluster.id, expert_id=expert.id))
    except IntegrityError:  # opened before
        pass


def review_state(review: Review) -> dict[str, Any]:
    return {
        "scores": review.scores,
        "weighted": round(review.weighted, 3),
        "shortlist": review.shortlist,
    }
