"""Blocking and unblocking accounts, and finding those flagged past a threshold."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import func, select, union_all

from app.auth import services as accounts
from app.auth.models import User
from app.auth.permissions import check_may_block
from app.errors import Conflict, NotFound
from app.extensions import db
from app.notifications.services import notify
from ideas.models import Comment, Flag, FlagTarget, Idea
from moderation.log import log_decision
from moderation.models import Decision
from moderation.reasons import require_reason

FLAG_THRESHOLD = 3


def _state(user: User) -> dict[str, object]:
    return {"blocked": user.is_blocked, "blocked_reason": user.blocked_reason}


def get_user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound(_("Пользователь не найден."))
    return user


def block(moderator: User, user: User, reason_code: str | None, note: str | None) -> Decision:
    """Block an account: it may still sign in and read, but not post, support, flag or vote.

    Who may block whom is `check_may_block`'s rule (moderators block only residents and
    experts); it is asked before anything else, so a refused block tells nothing more.
    """
    check_may_block(moderator, user)
    if user.is_blocked:
        raise Conflict(_("Пользователь уже заблокирован."), extra={"current": _state(user)})
    reason = require_reason(reason_code, None) if reason_code else None
    before = _state(user)
    accounts.block_user(user, reason.title if reason else note)
    notify(
        [user],
        "moderation.blocked",
        _("Ваш аккаунт заблокирован"),
        _(
            "Модератор заблокировал ваш аккаунт. Причина: %(reason)s",
            reason=(reason.title if reason else note) or _("не указана"),
        ),
    )
    return log_decision(
        moderator,
        "user",
        user.id,
        "block",
        before=before,
        after=_state(user),
        reason_code=reason.code if reason else None,
        note=note,
    )


def unblock(moderator: User, user: User, note: str | None) -> Decision:
    """Lift a block, under the same rule of who may block whom."""
    check_may_block(moderator, user)
    if not user.is_blocked:
        raise Conflict(_("Пользователь не заблокирован."), extra={"current": _state(user)})
    before = _state(user)
    accounts.unblock_user(user)
    notify(
        [user],
        "moderation.unblocked",
        _("Ваш аккаунт разблокирован"),
        _("Модератор снял блокировку с вашего аккаунта."),
    )
    return log_decision(
        moderator, "user", user.id, "unblock", before=before, after=_state(user), note=note
    )


def flagged_users(threshold: int = FLAG_THRESHOLD) -> list[tuple[User, int]]:
    """Authors whose ideas and comments were flagged by at least `threshold` distinct people."""
    idea_flags = select(Idea.author_id.label("author_id"), Flag.user_id.label("flagger_id")).join(
        Idea, (Flag.target_type == FlagTarget.IDEA) & (Flag.target_id == Idea.id)
    )
    comment_flags = select(
        Comment.author_id.label("author_id"), Flag.user_id.label("flagger_id")
    ).join(Comment, (Flag.target_type == FlagTarget.COMMENT) & (Flag.target_id == Comment.id))
    flags = union_all(idea_flags, comment_flags).subquery()
    rows = db.session.execute(
        select(User, func.count(func.distinct(flags.c.flagger_id)).label("flaggers"))
        .join(flags, flags.c.author_id == User.id)
        .group_by(User.id)
        .having(func.count(func.distinct(flags.c.flagger_id)) >= threshold)
        .order_by(func.count(func.distinct(flags.c.flagger_id)).desc(), User.id)
    ).all()
    return [(user, int(count)) for user, count in rows]
