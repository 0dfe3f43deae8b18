"""Who may act: one call at the top of a view names what it needs and returns the user."""

from __future__ import annotations

from flask import g, request
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import Connection

from app.auth.login import bearer_token, signed_in_by_cookie
from app.auth.models import Role, StandingMixin, User
from app.auth.services import TokenHolder, token_holder
from app.errors import Forbidden, Unauthorized


def get_actor() -> User | None:
    """The signed-in user (session cookie or bearer token), or None."""
    if current_user.is_authenticated:
        return current_user._get_current_object()  # type: ignore[no-any-return]
    return None


def require_user(*roles: Role | str, verified: bool = False, active: bool = True) -> User:
    """The signed-in user, if they hold one of `roles` (any if none named).

    `active` refuses blocked users (they may sign in and read, but not act);
    `verified` refuses those who have not confirmed their contact yet.
    """
    user = get_actor()
    if user is None:
        raise Unauthorized(_("Войдите, чтобы продолжить."))
    _check_standing(user, roles, verified=verified, active=active)
    return user


def require_verified_standing(conn: Connection) -> User | TokenHolder:
    """`require_user(verified=True)` for the hottest write, the API vote.

    A caller with a bearer token (and no session cookie, which Flask-Login would prefer) is
    read as a `TokenHolder` in one query on `conn` instead of an ORM-loaded `User`; the
    checks and their answers are the same. The access log learns the holder's id from `g`.
    """
    raw = None if signed_in_by_cookie() else bearer_token(request)
    if raw is None:
        return require_user(verified=True)
    holder = token_holder(raw, conn)
    if holder is None:
        raise Unauthorized(_("Войдите, чтобы продолжить."))
    g.token_holder_id = holder.id
    _check_standing(holder, (), verified=True, active=True)
    return holder


def check_may_block(actor: User, target: User) -> None:
    """Refuse (403) a block or unblock that `actor` (a moderator) may not make on `target`.

    Blocking is kept below one's own rank, so that no one can silence those who watch
    over them: a moderator blocks residents and experts only; another moderator or a staff
    member can be blocked by an admin alone (moderators included: a dispute between two
    moderators goes to an admin); no one blocks themselves, and no one blocks an admin
    (admins answer to whoever runs the platform, not to the site). Unblocking follows the
    same rule, so a block an admin made is lifted by an admin.
    """
    if target.id == actor.id:
        raise Forbidden(
            _("Нельзя заблокировать или разблокировать самого себя."), extra={"reason": "self"}
        )
    if Role.ADMIN in target.roles:
        raise Forbidden(
            _("Администратора заблокировать нельзя."), extra={"reason": "target_is_admin"}
        )
    if (Role.MODERATOR in target.roles or Role.STAFF in target.roles) and (
        Role.ADMIN not in actor.roles
    ):
        raise Forbidden(
            _("Модератора или сотрудника может заблокировать только администратор."),
            extra={"reason": "target_outranks"},
        )


def _check_standing(
    account: StandingMixin, roles: tuple[Role | str, ...], *, verified: bool, active: bool
) -> None:
    if active and account.is_blocked:
        raise Forbidden(
            _("Ваш аккаунт заблокирован: действия недоступны."), extra={"reason": "blocked"}
        )
    if roles and not account.has_role(*roles):
        raise Forbidden(
            _("Это доступно только ролям: %(roles)s.", roles=", ".join(str(r) for r in roles))
        )
    if verified and not account.is_verified:
        raise Forbidden(_("Сначала подтвердите аккаунт кодом."), extra={"reason": "not_verified"})
