"""gunicorn's access log, with the same private paths hidden as in the app's own log.

gunicorn writes its access line from the raw request line (`%(r)s`: path and query string
as sent), the client's address and any header a format asks for. For a private request
(`app.request_log.is_private_path`: a receipt check) the line shows the path redacted as the
app's log does, and no address, query string or header: those would tie the person to the
receipt. Set in gunicorn.conf.py (`logger_class`).
"""

from __future__ import annotations

from typing import Any

from gunicorn.glogging import Logger

from app.request_log import is_private_path, redact_path


class RedactingLogger(Logger):
    def atoms(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> dict:  # type: ignore[type-arg]
        atoms = super().atoms(resp, req, environ, request_time)
        atoms["f"] = redact_path(str(atoms["f"]))  # a referer may be a receipt's page
        raw_uri, path = str(environ.get("RAW_URI", "")), str(environ.get("PATH_INFO", ""))
        if not (is_private_path(path) or is_private_path(raw_uri)):
            return atoms
        method, protocol = environ.get("REQUEST_METHOD", "-"), environ.get("SERVER_PROTOCOL", "-")
        shown = redact_path(path)
        private = {key: value for key, value in atoms.items() if not key.startswith("{")}
        private.update(h="-", u="-", r=f"{method} {shown} {protocol}", U=shown, q="")
        return private
