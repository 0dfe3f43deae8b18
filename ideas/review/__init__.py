"""Expert review, selection of the winners, implementation tracking and published results."""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

from app.templating import register_labels


def init_app(app: Flask) -> None:
    from ideas.review import api, views
    from ideas.review.selection import IMPLEMENTATION_LABELS

    app.register_blueprint(views.bp)
    app.register_api(api.api)
    register_labels("implementation", IMPLEMENTATION_LABELS)
    register_labels("points", {"idea_selected": _l("идея отобрана для реализации")})
