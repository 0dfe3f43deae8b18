"""Crowdsourcing projects and ideas: submit, find, support and discuss thousands of proposals."""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l


def init_app(app: Flask) -> None:
    """Plug the package into the app (called by `app.factory`)."""
    from app.demo import register_demo_step
    from app.templating import register_labels, register_nav_link
    from ideas import api, clustering, review, services, views
    from ideas.cli import ideas_cli
    from ideas.demo import demo_step

    app.register_blueprint(views.bp)
    app.register_api(api.api)  # type: ignore[attr-defined]
    app.cli.add_command(ideas_cli)
    register_demo_step(20, "ideas", demo_step)
    register_nav_link(10, "ideas.projects", _l("Проекты"))
    register_labels("points", services.POINTS_LABELS)
    register_labels("idea_status", services.STATUS_LABELS)
    register_labels("stage", services.STAGE_LABELS)
    register_labels("moderation", services.MODERATION_LABELS)
    clustering.init_app(app)
    review.init_app(app)
