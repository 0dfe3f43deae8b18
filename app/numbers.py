"""Whole numbers typed into forms and query strings: ASCII digits only, within bounds.

`'²'.isdigit()` is true and `int('²')` raises; `int()` takes '٣' (an Arabic-Indic three),
' 7 ', '1_000' and twenty-digit numbers no database column holds. Pages read every number
a person types through `parse_int` (or `WholeNumberField`, which uses it), so that anything
but plain digits is refused the same way everywhere: a form error on a form, the filter
left out in a query string, never a 500. The JSON API has typed numbers (pydantic).
"""

from __future__ import annotations

import re
from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import IntegerField

from app.db import MAX_ID

_DIGITS = re.compile(r"[0-9]{1,10}")  # not \d, which takes any script's digits


def parse_int(value: object, *, minimum: int = 0, maximum: int = MAX_ID) -> int | None:
    """The number `value` spells with ASCII digits alone (no sign, space or underscore),
    if it lies within the bounds; otherwise None."""
    if not isinstance(value, str) or not _DIGITS.fullmatch(value):
        return None
    number = int(value)
    return number if minimum <= number <= maximum else None


def number_or_text(value: str) -> int | str:
    """A number typed in plain digits as an int; anything else as it came, for a service
    that checks its arguments to refuse with its own message."""
    number = parse_int(value)
    return value if number is None else number


class WholeNumberField(IntegerField):
    """A form's number field read with `parse_int`; anything else is a field error (the
    services judge the range)."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        if not valuelist:
            return
        self.data = parse_int(valuelist[0])
        if self.data is None:
            raise ValueError(str(_l("Введите целое число цифрами 0–9.")))
