"""Checks every text field shares: sizes, control characters, blank input.

Text is stored exactly as written (after trimming the ends) and escaped when shown; these
checks only refuse what no one can mean: control characters, empty or oversized values.
"""

from __future__ import annotations

import unicodedata

from flask_babel import gettext as _

_ALLOWED_CONTROLS = {"\n", "\t", "\r"}


def has_control_characters(text: str, *, multiline: bool) -> bool:
    allowed = _ALLOWED_CONTROLS if multiline else set()
    return any(unicodedata.category(ch) == "Cc" and ch not in allowed for ch in text)


def check_text(
    value: object,
    *,
    min_length: int,
    max_length: int,
    multiline: bool = False,
    min_message: str | None = None,
) -> tuple[str, list[str]]:
    """Trim and check one text field; returns the text and the list of problems found."""
    if value is None or not isinstance(value, str):
        return "", [_("Обязательное поле.")]
    text = value.strip()
    if multiline:
        text = text.replace("\r\n", "\n")
    if not text:
        return text, [_("Поле не может быть пустым.")]
    problems: list[str] = []
    if has_control_characters(text, multiline=multiline):
        problems.append(_("Текст содержит недопустимые управляющие символы."))
    if len(text) < min_length:
        problems.append(
            min_message or _("Слишком коротко: нужно не меньше %(n)s символов.", n=min_length)
        )
    if len(text) > max_length:
        problems.append(_("Слишком длинно: можно не больше %(n)s символов.", n=max_length))
    return text, problems
