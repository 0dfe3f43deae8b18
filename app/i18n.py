"""Interface language: Russian first, English second."""

from __future__ import annotations

from flask import Flask, has_request_context, request, session
from flask_login import current_user

from app.extensions import babel

SUPPORTED = ("ru", "en")


def select_locale() -> str:
    if not has_request_context():  # CLI commands and jobs: services still word their errors
        return "ru"
    chosen = session.get("lang")
    if chosen in SUPPORTED:
        return str(chosen)
    if current_user and current_user.is_authenticated and current_user.locale in SUPPORTED:
        return str(current_user.locale)
    return request.accept_languages.best_match(SUPPORTED, default="ru") or "ru"


def init_i18n(app: Flask) -> None:
    babel.init_app(
        app, locale_selector=select_locale, default_translation_directories="translations"
    )
