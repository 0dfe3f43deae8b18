"""Security headers on every response, and HTTPS only when the deployment asks for it.

Every value depends on configuration alone, so the headers are rendered once when the app
is built and each response gets the same few. Flask-Talisman did this job before, but it
rebuilt each value on every response from per-view options this app never uses: 0.45 M
Python instructions a request, 15 % of an API vote (bench/vote_cost_bench.py), more than
Flask's own handling of a request.

Behind a proxy that ends TLS, `request.is_secure` is true only when gunicorn trusts the
proxy's X-Forwarded-Proto (FORWARDED_ALLOW_IPS, docs/operations.md); a header from anyone
else cannot switch HTTPS handling on or off.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from flask import Flask, Response, redirect, request

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

CONTENT_SECURITY_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "font-src": "'self' data:",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}
PERMISSIONS_POLICY = {"geolocation": "()", "camera": "()", "microphone": "()"}
STRICT_TRANSPORT_SECURITY = "max-age=31536000; includeSubDomains"


def response_headers() -> dict[str, str]:
    """The headers every response carries, whatever its content."""
    csp = CONTENT_SECURITY_POLICY.items()
    permissions = PERMISSIONS_POLICY.items()
    return {
        "Content-Security-Policy": "; ".join(f"{name} {value}" for name, value in csp),
        "Permissions-Policy": ", ".join(f"{name}={value}" for name, value in permissions),
        "X-Frame-Options": "DENY",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "strict-origin-when-cross-origin",
    }


def init_https_redirect(app: Flask) -> None:
    """With FORCE_HTTPS, send plain HTTP to HTTPS before any other check of the request.

    The redirect is 307 so that a POST stays a POST with its body.
    """
    if not app.config["FORCE_HTTPS"]:
        return

    @app.before_request
    def redirect_to_https() -> Response | None:
        if request.is_secure:
            return None
        return redirect(request.url.replace("http://", "https://", 1), 307)


def init_security_headers(app: Flask) -> None:
    """Add the headers to every response: called after voting's express lane is in place,
    so that its answers get them too. HSTS is sent only over HTTPS, as RFC 6797 asks."""
    hsts = bool(app.config["FORCE_HTTPS"])
    app.wsgi_app = SecurityHeaders(app.wsgi_app, hsts=hsts)  # type: ignore[method-assign]


class SecurityHeaders:
    """WSGI middleware that appends the headers to whatever status and headers the app sends.

    Appending to the WSGI header list costs a list copy; setting them on each Flask response
    cost ten times more (werkzeug's Headers looks for each name before it sets it). No view
    sets these headers itself, so nothing is sent twice.
    """

    def __init__(self, wsgi_app: WSGIApplication, *, hsts: bool) -> None:
        self.wsgi_app = wsgi_app
        self.headers = list(response_headers().items())
        self.secure_headers = [*self.headers]
        if hsts:
            self.secure_headers.append(("Strict-Transport-Security", STRICT_TRANSPORT_SECURITY))

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        extra = self.secure_headers if environ["wsgi.url_scheme"] == "https" else self.headers

        def start_with_headers(
            status: str, headers: list[tuple[str, str]], exc_info: Any = None
        ) -> Callable[[bytes], object]:
            return start_response(status, headers + extra, exc_info)

        return self.wsgi_app(environ, start_with_headers)
