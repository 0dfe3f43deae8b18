"""Bar charts for the results page, drawn server-side as SVG by matplotlib (no script, no CDN)."""

from __future__ import annotations

import io
from collections.abc import Sequence

import matplotlib

matplotlib.use("Agg")

from matplotlib import pyplot as plt

BAR_COLOUR = "#0b4f8a"


def bar_chart_svg(
    labels: Sequence[str], values: Sequence[float], *, title: str, xlabel: str
) -> bytes:
    """Horizontal bars, largest first at the top; each bar labelled with its value."""
    height = max(2.5, 0.38 * len(labels) + 1.2)
    figure, axes = plt.subplots(figsize=(8, height), dpi=100)
    try:
        positions = list(range(len(labels)))[::-1]
        axes.barh(positions, values, color=BAR_COLOUR)
        axes.set_yticks(positions, [label[:45] for label in labels], fontsize=9)
        for y, value in zip(positions, values, strict=True):
            axes.annotate(
                f"{value:g}",
                (value, y),
                xytext=(3, 0),
                textcoords="offset points",
                va="center",
                fontsize=8,
            )
        axes.set_title(title, fontsize=11)
        axes.set_xlabel(xlabel, fontsize=9)
        for side in ("top", "right"):
            axes.spines[side].set_visible(False)
        buffer = io.BytesIO()
        figure.savefig(buffer, format="svg", bbox_inches="tight")
        return buffer.getvalue()
    finally:
        plt.close(figure)
