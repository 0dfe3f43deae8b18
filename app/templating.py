"""What every template can use: navigation, unread count, locale, label filters.

Domain packages add their navigation links and label texts here from their own
`init_app`, so the base layout never needs to know them.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user

_NAV: list[tuple[int, str, Any, tuple[str, ...]]] = [(0, "main.index", _l("Главная"), ())]
_LABELS: dict[str, dict[str, Any]] = {
    "role": {
        "resident": _l("житель"),
        "expert": _l("эксперт"),
        "moderator": _l("модератор"),
        "staff": _l("сотрудник"),
        "admin": _l("администратор"),
    },
    "points": {},
}


def register_nav_link(order: int, endpoint: str, label: Any, roles: tuple[str, ...] = ()) -> None:
    """Add a header link; with `roles`, only users holding one of them see it."""
    if all(existing[1] != endpoint for existing in _NAV):
        _NAV.append((order, endpoint, label, roles))


def visible_nav_links() -> list[tuple[str, Any]]:
    def visible(roles: tuple[str, ...]) -> bool:
        return not roles or (current_user.is_authenticated and current_user.has_role(*roles))

    return [
        (endpoint, text)
        for _order, endpoint, text, roles in sorted(_NAV, key=lambda n: n[0])
        if visible(roles)
    ]


def register_labels(kind: str, labels: dict[str, Any]) -> None:
    _LABELS.setdefault(kind, {}).update(labels)


def label(kind: str, value: str) -> str:
    return str(_LABELS.get(kind, {}).get(value, value))


def init_templating(app: Flask) -> None:
    from app.notifications.services import count_unread

    @app.context_processor
    def globals_for_templates() -> dict[str, Any]:
        return {
            "nav_links": visible_nav_links,
            "unread_notifications": lambda: (
                count_unread(current_user) if current_user.is_authenticated else 0
            ),
            "current_locale": lambda: str(get_locale() or "ru"),
            "label": label,
        }

    app.add_template_filter(lambda value: label("role", value), "role_label")
    app.add_template_filter(lambda value: label("points", value), "points_reason")
