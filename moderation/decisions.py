"""Moderation decisions on ideas and comments.

A decision first claims its item with a no-op UPDATE: on PostgreSQL that takes the row
lock, on SQLite the database write lock, so when two moderators decide on one item at
once the second waits, then sees the first one's outcome and gets a 409 with the current
state. Exactly one decision wins; each is written to the append-only log with the state
before and after. Status changes go through `ideas.services`.

Nobody decides on what they wrote (conflict of interest, 403): an idea whose authors
include the moderator (its own author and those of the ideas merged into it), a merge into
such an idea, or their own comment. Another moderator decides.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select, update

from app.auth.models import User
from app.db import utcnow
from app.errors import Conflict, Forbidden, Invalid, NotFound
from app.extensions import db
from app.notifications.services import notify
from app.text import check_text
from ideas import services as ideas
from ideas.models import Comment, CommentStatus, Flag, FlagTarget, Idea, IdeaStatus, Support
from moderation.log import log_decision
from moderation.models import Decision
from moderation.reasons import require_reason


class Action(enum.StrEnum):
    APPROVE = "approve"
    REJECT = "reject"
    HIDE = "hide"
    RESTORE = "restore"
    MERGE = "merge"


class Target(enum.StrEnum):
    IDEA = "idea"
    COMMENT = "comment"


@dataclass(frozen=True)
class DecisionRequest:
    target_type: str
    target_id: int
    action: str
    reason: str | None = None
    note: str | None = None
    merge_into: int | None = None
    # The status the moderator saw; if the item has moved on since, the decision is a 409.
    expected_status: str | None = None


# Which states each action may start from; anything else was already decided (409).
_IDEA_FROM: dict[Action, set[IdeaStatus]] = {
    Action.APPROVE: {IdeaStatus.PENDING, IdeaStatus.PUBLISHED},  # published: flags dismissed
    Action.REJECT: {IdeaStatus.PENDING, IdeaStatus.PUBLISHED},
    Action.HIDE: {IdeaStatus.PENDING, IdeaStatus.PUBLISHED},
    Action.RESTORE: {IdeaStatus.REJECTED, IdeaStatus.HIDDEN},
    Action.MERGE: {IdeaStatus.PENDING, IdeaStatus.PUBLISHED},
}
_COMMENT_FROM: dict[Action, set[CommentStatus]] = {
    Action.APPROVE: {CommentStatus.PENDING, CommentStatus.PUBLISHED},
    Action.REJECT: {CommentStatus.PENDING, CommentStatus.PUBLISHED},
    Action.HIDE: {CommentStatus.PENDING, CommentStatus.PUBLISHED},
    Action.RESTORE: {CommentStatus.HIDDEN},
}


def _parse(request: DecisionRequest) -> tuple[Target, Action, str | None]:
    errors: dict[str, list[str]] = {}
    try:
        target = Target(request.target_type)
    except ValueError:
        errors["target_type"] = [_("Возможные значения: idea, comment.")]
    try:
        action = Action(request.action)
    except ValueError:
        errors["action"] = [_("Возможные значения: %(v)s.", v=", ".join(a.value for a in Action))]
    note = None
    if request.note not in (None, ""):
        note, problems = check_text(request.note, min_length=1, max_length=2000, multiline=True)
        if problems:
            errors["note"] = problems
    if errors:
        raise Invalid(_("Проверьте выделенные поля."), errors=errors)
    return target, action, note


def decide(moderator: User, request: DecisionRequest) -> Decision:
    """Apply one decision; the caller commits."""
    target, action, note = _parse(request)
    if target is Target.IDEA:
        return _decide_idea(moderator, request, action, note)
    if action is Action.MERGE:
        message = _("Объединять можно только идеи.")
        raise Invalid(message, errors={"action": [message]})
    return _decide_comment(moderator, request, action, note)


def _claim(model: type[Idea] | type[Comment], item_id: int) -> Any:
    """Lock the item's row (see the module docstring), then read its current state."""
    claimed = db.session.execute(
        update(model).where(model.id == item_id).values(id=model.id)
    ).rowcount
    if not claimed:
        raise NotFound(_("Материал не найден."))
    return db.session.execute(
        select(model).where(model.id == item_id).execution_options(populate_existing=True)
    ).scalar_one()


def _open_flag_count(target: Target, item_id: int) -> int:
    return len(
        db.session.scalars(
            select(Flag.id).where(
                Flag.target_type == FlagTarget(target.value),
                Flag.target_id == item_id,
                Flag.resolved_at.is_(None),
            )
        ).all()
    )


def _resolve_flags(target: Target, item_id: int) -> None:
    db.session.execute(
        update(Flag)
        .where(
            Flag.target_type == FlagTarget(target.value),
            Flag.target_id == item_id,
            Flag.resolved_at.is_(None),
        )
        .values(resolved_at=utcnow())
    )


def _reason_for(action: Action, code: str | None, project_id: int) -> tuple[str | None, str | None]:
    """(code, title) of the cited reason; rejecting must cite one, other actions may."""
    if action is Action.REJECT and not code:
        message = _("Для отклонения укажите причину.")
        raise Invalid(message, errors={"reason": [message]})
    if not code:
        return None, None
    reason = require_reason(code, project_id)
    return reason.code, reason.title


def check_not_author(moderator: User, target_type: str, target_id: int) -> None:
    """403 if the moderator wrote the item (see the module docstring), for a page to ask
    before reading its form; `decide` asks again under the item's lock. An unknown item
    passes, for `decide` to answer."""
    if target_type == Target.IDEA and (idea := db.session.get(Idea, target_id)) is not None:
        _refuse_own(moderator, _authors(idea))
    elif (
        target_type == Target.COMMENT
        and (comment := db.session.get(Comment, target_id)) is not None
    ):
        _refuse_own(moderator, {comment.author_id})


def _refuse_own(moderator: User, author_ids: set[int]) -> None:
    if moderator.id in author_ids:
        raise Forbidden(
            _("Это ваш материал: решение по нему принимает другой модератор (конфликт интересов)."),
            extra={"reason": "conflict_of_interest"},
        )


def _authors(idea: Idea) -> set[int]:
    return {author.id for author in ideas.people_behind(idea)}


def _idea_state(idea: Idea) -> dict[str, Any]:
    return {
        "status": idea.status.value,
        "merged_into": idea.merged_into_id,
        "supports": idea.support_count,
        "open_flags": _open_flag_count(Target.IDEA, idea.id),
    }


def _moved_on(state: dict[str, Any], request: DecisionRequest) -> bool:
    return request.expected_status is not None and request.expected_status != state["status"]


def _already_decided(state: dict[str, Any]) -> Conflict:
    return Conflict(
        _(
            "Решение по этому материалу уже принято: сейчас он «%(status)s».",
            status=state["status"],
        ),
        extra={"current": state},
    )


def _require_undecided(
    state: dict[str, Any], request: DecisionRequest, action: Action, allowed: set[Any]
) -> None:
    """409 unless the item is still in a state this action may start from.

    Approving a published item only dismisses its flags, so with no open flags there is
    nothing left to approve."""
    if (
        _moved_on(state, request)
        or state["status"] not in {status.value for status in allowed}
        or (action is Action.APPROVE and state["status"] == "published" and not state["open_flags"])
    ):
        raise _already_decided(state)


def _decide_idea(
    moderator: User, request: DecisionRequest, action: Action, note: str | None
) -> Decision:
    idea = _claim(Idea, request.target_id)
    _refuse_own(moderator, _authors(idea))
    before = _idea_state(idea)
    _require_undecided(before, request, action, _IDEA_FROM[action])
    code, title = _reason_for(action, request.reason, idea.project_id)
    message = "\n".join(part for part in (title and _("Причина: %(r)s", r=title), note) if part)
    merge_into: int | None = None
    if action is Action.MERGE:
        merge_into = _merge(moderator, idea, request.merge_into, message or None)
    elif action is Action.APPROVE and idea.status is IdeaStatus.PUBLISHED:
        pass  # the flags were unfounded: the idea stays as it is
    else:
        to = {
            Action.APPROVE: IdeaStatus.PUBLISHED,
            Action.REJECT: IdeaStatus.REJECTED,
            Action.HIDE: IdeaStatus.HIDDEN,
            Action.RESTORE: IdeaStatus.PUBLISHED,
        }[action]
        ideas.change_idea_status(idea, to, moderator, message or None)
    _resolve_flags(Target.IDEA, idea.id)
    db.session.flush()
    return log_decision(
        moderator,
        "idea",
        idea.id,
        action.value,
        before=before,
        after=_idea_state(idea),
        reason_code=code,
        note=note,
        merge_into_id=merge_into,
        item_created_at=idea.created_at,
    )


def _merge(moderator: User, source: Idea, target_id: int | None, message: str | None) -> int:
    """Fold `source` into the idea `target_id`; supporters and both authors are told."""
    invalid = _("Выберите опубликованную идею того же проекта, отличную от этой.")
    target = db.session.get(Idea, target_id) if target_id else None
    if (
        target is None
        or target.id == source.id
        or target.project_id != source.project_id
        or target.status not in (IdeaStatus.PUBLISHED, IdeaStatus.SELECTED)
    ):
        raise Invalid(invalid, errors={"merge_into": [invalid]})
    _refuse_own(moderator, _authors(target))
    supporters = list(
        db.session.scalars(
            select(User)
            .join(Support, Support.user_id == User.id)
            .where(Support.idea_id == source.id)
        )
    )
    already = set(db.session.scalars(select(Support.user_id).where(Support.idea_id == target.id)))
    ideas.merge_idea(source, target, moderator, message)
    _tell_about_merge(source, target, supporters, already)
    return target.id


def _tell_about_merge(
    source: Idea, target: Idea, supporters: list[User], already: set[int]
) -> None:
    """Authors hear they are co-authors; supporters where their support is now. Only those
    whose support moved may withdraw it (until selection), and only they are told so; those
    who supported both ideas keep their own support of the target."""
    link = f"/ideas/{target.id}"
    for author in {a.id: a for a in (source.author, target.author) if a is not None}.values():
        with force_locale(author.locale or "ru"):
            notify(
                [author],
                "idea_merged",
                _("Идеи объединены"),
                _(
                    "Идея «%(source)s» объединена с идеей «%(target)s». Авторы обеих идей указаны "
                    "как соавторы, поддержки сложены.",
                    source=source.title,
                    target=target.title,
                ),
                link=link,
            )
    may_withdraw = target.status is not IdeaStatus.SELECTED
    for supporter in supporters:
        with force_locale(supporter.locale or "ru"):
            if supporter.id not in already and may_withdraw:
                body = _(
                    "Идея «%(source)s», которую вы поддержали, объединена с идеей «%(target)s»; "
                    "ваша поддержка теперь у неё. Если вы не согласны, отзовите поддержку на "
                    "странице идеи.",
                    source=source.title,
                    target=target.title,
                )
            else:
                body = _(
                    "Идея «%(source)s», которую вы поддержали, объединена с идеей «%(target)s»; "
                    "ваша поддержка учтена у неё.",
                    source=source.title,
                    target=target.title,
                )
            notify([supporter], "support_moved", _("Ваша поддержка перенесена"), body, link=link)


def _comment_state(comment: Comment) -> dict[str, Any]:
    return {
        "status": comment.status.value,
        "open_flags": _open_flag_count(Target.COMMENT, comment.id),
    }


def _decide_comment(
    moderator: User, request: DecisionRequest, action: Action, note: str | None
) -> Decision:
    comment = _claim(Comment, request.target_id)
    _refuse_own(moderator, {comment.author_id})
    before = _comment_state(comment)
    _require_undecided(before, request, action, _COMMENT_FROM[action])
    code, title = _reason_for(action, request.reason, comment.idea.project_id)
    to = {
        Action.APPROVE: CommentStatus.PUBLISHED,
        Action.REJECT: CommentStatus.HIDDEN,
        Action.HIDE: CommentStatus.HIDDEN,
        Action.RESTORE: CommentStatus.PUBLISHED,
    }[action]
    if to is not comment.status:
        ideas.set_comment_status(comment, to)
    _resolve_flags(Target.COMMENT, comment.id)
    db.session.flush()
    if action in (Action.REJECT, Action.HIDE):
        with force_locale(comment.author.locale or "ru"):
            body = _(
                "Ваш комментарий к идее «%(idea)s» скрыт модератором.", idea=comment.idea.title
            )
            if title:
                body += " " + _("Причина: %(r)s", r=title)
            if note:
                body += "\n" + note
            notify(
                [comment.author],
                "comment_hidden",
                _("Комментарий скрыт"),
                body,
                link=f"/ideas/{comment.idea_id}",
            )
    return log_decision(
        moderator,
        "comment",
        comment.id,
        action.value,
        before=before,
        after=_comment_state(comment),
        reason_code=code,
        note=note,
        item_created_at=comment.created_at,
    )
