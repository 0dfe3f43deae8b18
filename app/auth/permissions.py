"""Who may act: one call at the top of a view names what it needs and returns the user."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_login import current_user

from app.auth.models import Role, User
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
    if active and user.is_blocked:
        raise Forbidden(
            _("Ваш аккаунт заблокирован: действия недоступны."), extra={"reason": "blocked"}
        )
    if roles and not user.has_role(*roles):
        raise Forbidden(
            _("Это доступно только ролям: %(roles)s.", roles=", ".join(str(r) for r in roles))
        )
    if verified and not user.is_verified:
        raise Forbidden(_("Сначала подтвердите аккаунт кодом."), extra={"reason": "not_verified"})
    return user
