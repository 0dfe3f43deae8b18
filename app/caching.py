"""Who may keep a copy of a response: the one rule behind every Cache-Control we send.

Shared caches (a proxy, a CDN) hand one stored response to everyone. Only material that is
the same for everyone and already public (published results, a closed poll's final
figures) may be stored there. A response that depends on who asks (staff see results
before they are published, experts a clustering map) or on state not yet public (a live
tally, an unpublished project) is `private, no-store`.
"""

from __future__ import annotations

from flask import Response

PUBLIC_MAX_AGE = 300


def set_cache_policy(
    response: Response, *, public: bool, max_age: int = PUBLIC_MAX_AGE
) -> Response:
    """`public, max-age=…` for published material that is the same for everyone, else
    `private, no-store`.

    Public material is still worded in the reader's language (from the session cookie or
    Accept-Language), so it varies on both: a cache keeps one copy per language.
    """
    if public:
        response.headers["Cache-Control"] = f"public, max-age={max_age}"
        response.vary.update(("Cookie", "Accept-Language"))
    else:
        response.headers["Cache-Control"] = "private, no-store"
    return response
