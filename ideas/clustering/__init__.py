"""Clustering runs: thousands of ideas grouped into named topics for experts (through `ml`)."""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

from app.templating import register_labels


def init_app(app: Flask) -> None:
    from ideas.clustering import api, views

    app.register_blueprint(views.bp)
    app.register_api(api.api)
    register_labels(
        "run_status",
        {
            "queued": _l("в очереди"),
            "running": _l("выполняется"),
            "done": _l("готово"),
            "failed": _l("ошибка"),
        },
    )
