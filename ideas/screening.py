"""Screening of what residents write, by checks other packages register.

`ideas` does not know what the checks are (moderation owns them); it only asks, when an
idea or comment is written or its text is edited, whether any registered screener wants the
item held for a moderator. Each screener records its own findings, and on a second call for
the same item replaces them: findings always describe the text as it is now.
"""

from __future__ import annotations

from collections.abc import Callable

from ideas.models import Project

# (target type "idea" or "comment", target id, project, text) → hold the item for a moderator?
Screener = Callable[[str, int, Project, str], bool]
_SCREENERS: list[Screener] = []


def register_screener(screener: Screener) -> None:
    if screener not in _SCREENERS:
        _SCREENERS.append(screener)


def screen(target_type: str, target_id: int, project: Project, text: str) -> bool:
    """Run every screener on an item's current text (all of them record findings, replacing
    earlier ones for the item); True if any wants the item held."""
    verdicts = [screener(target_type, target_id, project, text) for screener in _SCREENERS]
    return any(verdicts)
