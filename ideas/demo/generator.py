"""Demo content generator (placeholder until the phrase material lands)."""

from __future__ import annotations

from collections.abc import Callable


def fill_demo(progress: Callable[[float, str], None]) -> None:
    progress(1.0, "")
