"""The app's keys: given by the environment, or in development made once and kept.

A key made per process breaks as soon as there are several: gunicorn's workers each
signed with their own, so a CSRF token or a session cookie from one worker was refused
by the next. In development (production must set them, app/config.py) a missing key is
made once, kept in a file of the instance folder (never committed), and read by every
worker and command after that.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import secrets
import tempfile
from collections.abc import MutableMapping
from pathlib import Path
from typing import Any

from flask import current_app

from app.config import ConfigError

# Setting → the file of the instance folder that keeps it when the environment has none.
KEY_FILES = {
    "SECRET_KEY": "secret_key",
    "ADDRESS_HASH_KEY": "address_hash_key",
    "LEDGER_SIGNING_KEY": "ledger_signing_key",  # 32 random bytes in hex: an Ed25519 seed
}


def settle_keys(settings: MutableMapping[str, Any]) -> None:
    """Fill each key the settings lack with the one kept in the instance folder."""
    instance = Path(str(settings["INSTANCE_PATH"]))
    for name, filename in KEY_FILES.items():
        if not settings.get(name):
            settings[name] = instance_key(instance / filename)


def instance_key(path: Path) -> str:
    """The key kept in `path`, made now if there is none yet.

    Several gunicorn workers start at once and may all find no key. Each writes a new key
    to a temporary file of its own (mode 0600) and hard-links it to `path`; a link never
    replaces an existing file, so the first one wins, the others' links fail, and every
    process reads the winner's key, complete since it was written before it was linked.
    """
    if path.exists():
        return _read_key(path)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(descriptor, "w") as file:
            file.write(secrets.token_hex(32) + "\n")
            file.flush()
            os.fsync(file.fileno())
        with contextlib.suppress(FileExistsError):  # another process won: its key counts
            os.link(temporary, path)
    finally:
        os.unlink(temporary)
    return _read_key(path)


def _read_key(path: Path) -> str:
    key = path.read_text().strip()
    if not key:
        raise ConfigError(f"{path} holds no key: delete it and a new one is made")
    return key


def address_hash(value: str | None) -> str | None:
    """A keyed hash of a network address or device signature (None for none).

    Kept instead of the value, so that participations from one address or device can be
    counted (voting/report.py) without storing where anyone voted from.
    """
    if not value:
        return None
    key = str(current_app.config["ADDRESS_HASH_KEY"]).encode()
    return hmac.new(key, value.encode("utf-8", "replace"), hashlib.sha256).hexdigest()[:32]
