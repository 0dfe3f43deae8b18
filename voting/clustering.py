"""The one place `voting` calls `ml`: clustering the free-text answers of an open question,
so staff can turn the main clusters into the options of a follow-up poll."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from app.auth.models import User
from app.errors import Conflict, Forbidden, Invalid
from app.extensions import db
from voting.drafting import create_poll
from voting.models import BallotText, Poll, PollStatus, Question, QuestionKind
from voting.services import results_visible

MIN_ANSWERS = 6
EXAMPLES = 3


def open_answers(question: Question) -> list[str]:
    return list(
        db.session.scalars(
            select(BallotText.text)
            .where(BallotText.question_id == question.id)
            .order_by(BallotText.ballot_id)  # random ids: no order of voting
        )
    )


def cluster_answers(question: Question, n_clusters: int | None = None) -> dict[str, Any]:
    """Clusters of one open question's answers, biggest first, each with its label, terms,
    size and a few representative answers. Group sizes are a count of ballots, so not
    while no one may count the poll (`results_visible`)."""
    from ml import IdeaClusterer  # heavy (spaCy, scikit-learn): loaded only when asked

    if question.kind is not QuestionKind.OPEN:
        raise Conflict(_("Группировать можно только свободные ответы."))
    if not results_visible(question.poll):
        raise Forbidden(
            _("Ответы этого опроса никто не считает до его закрытия."),
            extra={"reason": "results_after_close"},
        )
    texts = open_answers(question)
    if len(texts) < MIN_ANSWERS:
        return {"answers": len(texts), "clusters": [], "other": len(texts)}
    model = IdeaClusterer(n_clusters=n_clusters, random_state=0).fit(texts)
    clusters = sorted(model.clusters_, key=lambda c: -c.size)
    return {
        "answers": len(texts),
        "other": int(model.other_size_),
        "clusters": [
            {
                "id": c.id,
                "label": c.label,
                "terms": list(c.terms),
                "size": c.size,
                "examples": [texts[i] for i in c.representatives[:EXAMPLES]],
            }
            for c in clusters
        ],
    }


def create_follow_up(
    staff: User, poll: Poll, question: Question, labels: list[str], *, multiple: bool = True
) -> Poll:
    """A draft poll whose options are the chosen clusters (their labels, editable later)."""
    if poll.status is PollStatus.DRAFT:
        raise Conflict(_("Сначала проведите опрос."))
    options = [{"text": label.strip()} for label in labels if label and label.strip()]
    if len(options) < 2:
        message = _("Выберите хотя бы две группы ответов.")
        raise Invalid(message, errors={"clusters": [message]})
    return create_poll(
        staff,
        title=_("Продолжение: %(title)s", title=poll.title)[:200],
        description=_(
            "Варианты составлены из самых частых свободных ответов на вопрос «%(q)s».",
            q=question.text,
        ),
        questions=[
            {
                "text": question.text,
                "kind": "multiple" if multiple else "single",
                "max_choices": min(3, len(options)) if multiple else None,
                "options": options,
            }
        ],
        audience="everyone"
        if poll.is_for_everyone
        else {"okrugs": poll.audience_okrugs, "districts": poll.audience_districts},
        results=poll.results_visibility.value,
        follow_up_of=poll,
    )
