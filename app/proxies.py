"""The client's own address behind the proxy that ends TLS.

Behind a proxy every request comes from the proxy's address: rate limits per address
(Flask-Limiter) then count the whole city as one client, and every poll participation gets
the same address hash. The proxy names the client in `X-Forwarded-For`; werkzeug's
`ProxyFix` takes the address the proxy added (the last one, so a value the client wrote
itself is passed over) as `REMOTE_ADDR`. Anyone can send the header, so it is believed only
from the proxies gunicorn already trusts with `X-Forwarded-Proto`: FORWARDED_ALLOW_IPS
(addresses or networks, comma-separated, or `*`), the same setting with the same meaning.
The scheme stays gunicorn's business (it sets `wsgi.url_scheme`), so ProxyFix reads only
`X-Forwarded-For`.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import TYPE_CHECKING

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from app.config import ConfigError

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def trusted_networks(setting: str) -> tuple[Network, ...] | None:
    """The networks FORWARDED_ALLOW_IPS names; None for `*` (every peer is a proxy)."""
    items = [item.strip() for item in setting.split(",") if item.strip()]
    if "*" in items:
        return None
    try:
        return tuple(ipaddress.ip_network(item, strict=False) for item in items)
    except ValueError as error:
        raise ConfigError(f"FORWARDED_ALLOW_IPS={setting!r}: {error}") from error


class TrustedProxyFix:
    """WSGI middleware: `ProxyFix` for requests whose peer is a trusted proxy, else nothing."""

    def __init__(self, wsgi_app: WSGIApplication, networks: tuple[Network, ...] | None) -> None:
        self.wsgi_app = wsgi_app
        self.proxy_fix = ProxyFix(wsgi_app, x_for=1, x_proto=0, x_host=0, x_port=0, x_prefix=0)
        self.networks = networks

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if self._from_trusted_proxy(environ.get("REMOTE_ADDR")):
            return self.proxy_fix(environ, start_response)
        return self.wsgi_app(environ, start_response)

    def _from_trusted_proxy(self, peer: str | None) -> bool:
        if self.networks is None:
            return True
        try:
            address = ipaddress.ip_address(peer or "")
        except ValueError:
            # No IP address: a UNIX socket, reachable only on this machine (gunicorn trusts
            # such a peer too).
            return True
        return any(address in network for network in self.networks)


def init_trusted_proxies(app: Flask) -> None:
    """Settle the client's address before anything reads it: called last in `create_app`, so
    that this middleware runs first, in front of voting's express lane too."""
    networks = trusted_networks(str(app.config["FORWARDED_ALLOW_IPS"]))
    app.wsgi_app = TrustedProxyFix(app.wsgi_app, networks)  # type: ignore[method-assign]
