"""Flask's signed-cookie session, without its fixed cost on requests that carry no cookie.

Flask builds an itsdangerous serializer twice on every request (to read the cookie and to
write it back) and works out the cookie's domain, path and flags even when there is no
cookie and nothing to write. API clients with a bearer token never send one, and the API
vote, the busiest request, paid 8 % of its Python for it (bench/vote_cost_bench.py). The
cookie's format, signature and rules are Flask's own: only the idle work is skipped.
"""

from __future__ import annotations

from flask import Flask, Request, Response
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface, SessionMixin
from itsdangerous import URLSafeTimedSerializer


class CookieSessionInterface(SecureCookieSessionInterface):
    """`SecureCookieSessionInterface` that reuses its serializer and skips idle requests."""

    def __init__(self) -> None:
        self._serializers: dict[tuple[object, ...], URLSafeTimedSerializer | None] = {}

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        """One serializer per set of keys (tests and key rotation change them)."""
        keys = (app.secret_key, *(app.config["SECRET_KEY_FALLBACKS"] or ()))
        serializer = self._serializers.get(keys)
        if serializer is None:
            serializer = super().get_signing_serializer(app)
            self._serializers = {keys: serializer}  # only the current keys are kept
        return serializer

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if app.secret_key and not request.cookies.get(self.get_cookie_name(app)):
            return self.session_class()
        return super().open_session(app, request)

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        if not session and not session.modified:  # nothing to write, nothing to delete
            if session.accessed:
                response.vary.add("Cookie")
            return
        super().save_session(app, session, response)
