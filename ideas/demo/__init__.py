"""The `flask demo` step of the ideas package (filled in by `ideas.demo.generator`)."""

from __future__ import annotations

from collections.abc import Callable


def demo_step(progress: Callable[[float, str], None]) -> None:
    from ideas.demo.generator import fill_demo

    fill_demo(progress)
