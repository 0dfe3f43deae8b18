"""What a check reports."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Finding:
    """One thing a check noticed: `kind` (profanity, personal_data, link, spam, duplicate),
    `detail` (e.g. phone, passport, the matched root), a masked `excerpt` that is safe to show
    moderators, and for duplicates the idea it resembles and how much."""

    kind: str
    detail: str
    excerpt: str = ""
    ref_id: int | None = None
    score: float | None = None

    def as_dict(self) -> dict[str, Any]:
        return {key: value for key, value in asdict(self).items() if value not in (None, "")}


def mask(value: str, keep: int = 2) -> str:
    """Hide all but the last `keep` digits or letters, so findings never repeat the data."""
    visible = 0
    out = []
    for char in reversed(value):
        if char.isalnum() and visible < keep:
            out.append(char)
            visible += 1
        elif char.isalnum():
            out.append("•")
        else:
            out.append(char)
    return "".join(reversed(out))
