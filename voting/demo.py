"""The flagship scenario for `flask demo` (filled in below)."""

from __future__ import annotations

from collections.abc import Callable


def demo_step(progress: Callable[[float, str], None]) -> None:
    progress(1.0, "polls")
