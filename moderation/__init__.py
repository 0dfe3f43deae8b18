"""Moderation: automatic findings, the queue, decisions with reasons, merges, the audit log."""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

from app.templating import register_labels, register_nav_link


def init_app(app: Flask) -> None:
    """Plug the package into the app (called by `app.factory`)."""
    from ideas.screening import register_screener
    from moderation import api, views
    from moderation.screening import screen_item

    register_screener(screen_item)
    app.register_blueprint(views.bp)
    app.register_api(api.api)
    register_nav_link(40, "moderation.queue", _l("Модерация"), roles=("moderator",))
    register_labels(
        "finding",
        {
            "profanity": _l("ненормативная лексика"),
            "personal_data": _l("персональные данные"),
            "link": _l("ссылка"),
            "spam": _l("признаки спама"),
            "duplicate": _l("похожа на идею"),
        },
    )
    register_labels(
        "finding_detail",
        {
            "phone": _l("телефон"),
            "email": _l("электронная почта"),
            "passport": _l("паспорт"),
            "snils": _l("СНИЛС"),
            "card": _l("номер карты"),
            "url": _l("адрес сайта"),
            "many_links": _l("много ссылок"),
            "advertising": _l("реклама"),
            "shouting": _l("текст заглавными"),
            "repetition": _l("повторы"),
            "similar": _l("похожий текст"),
        },
    )
    register_labels(
        "decision",
        {
            "approve": _l("одобрено"),
            "reject": _l("отклонено"),
            "hide": _l("скрыто"),
            "restore": _l("восстановлено"),
            "merge": _l("объединено"),
            "block": _l("блокировка"),
            "unblock": _l("разблокировка"),
        },
    )
