"""Moderation: automatic findings, the queue, decisions with reasons, merges, the audit log."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Plug the package into the app (called by `app.factory`)."""
    from moderation import api

    app.register_api(api.api)
