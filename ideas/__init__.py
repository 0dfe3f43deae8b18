"""Crowdsourcing projects and ideas: submit, find, support and discuss thousands of proposals."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Plug the package into the app (called by `app.factory`)."""
    from ideas import clustering

    clustering.init_app(app)
