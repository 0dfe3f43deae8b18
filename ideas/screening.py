"""Screening of what residents write, by checks other packages register.

`ideas` does not know what the checks are (moderation owns them); it only asks, when an
idea or comment is written, whether any registered screener wants the item held for a
moderator. Each screener records its own findings.
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
    """Run every screener (all of them record findings); True if any wants the item held."""
    verdicts = [screener(target_type, target_id, project, text) for screener in _SCREENERS]
    return any(verdicts)
