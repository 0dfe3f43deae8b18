"""The comment rate limit: one setting, one counter per person for the page form and the API.

`COMMENT_RATE_LIMIT` (app/config.py) counts the comments a person has written; refused
attempts (a typo, a closed stage) use up nothing. Over the limit the API answers 429
problem+json and the page shows the message under the form, with the text kept.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Response, current_app
from flask_babel import gettext as _
from flask_limiter import RequestLimit

from app.auth.limits import user_key
from app.extensions import limiter

#: Both routes draw on this one counter, so switching between page and API gains nothing.
SCOPE = "comments"


def comment_limit() -> str:
    return str(current_app.config["COMMENT_RATE_LIMIT"])


def written(response: Response) -> bool:
    """Only comments written count towards the limit."""
    return response.status_code < 400


def limit_message() -> str:
    return _("Вы пишете комментарии слишком часто. Подождите немного и попробуйте снова.")


def limit_comments(
    on_breach: Callable[[RequestLimit], Response | None] | None = None,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorate a route that writes comments; `on_breach` may build the page's own answer."""
    return limiter.shared_limit(
        comment_limit,
        scope=SCOPE,
        key_func=user_key,
        methods=["POST"],
        deduct_when=written,
        error_message=limit_message,
        on_breach=on_breach,
    )
