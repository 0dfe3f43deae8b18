"""The 2-D map of a run: every idea a dot coloured by its cluster, labels at the centres.

Drawn server-side by matplotlib as SVG, so it needs no script, no tile server and no CDN.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import matplotlib

matplotlib.use("Agg")  # no display on servers

from matplotlib import pyplot as plt

OTHER_COLOUR = "#b8b8b8"


def cluster_map_svg(
    points: Sequence[tuple[float, float, int | None]],
    centres: Sequence[tuple[float, float, str, int]],
    *,
    title: str,
    max_labels: int = 25,
) -> bytes:
    """`points`: (x, y, cluster index or None); `centres`: (x, y, label, size)."""
    figure, axes = plt.subplots(figsize=(9, 7), dpi=100)
    try:
        palette = plt.get_cmap("tab20")
        others = [(x, y) for x, y, c in points if c is None]
        if others:
            axes.scatter(*zip(*others, strict=True), s=4, c=OTHER_COLOUR, linewidths=0)
        placed = [(x, y, c) for x, y, c in points if c is not None]
        if placed:
            xs, ys, clusters = zip(*placed, strict=True)
            axes.scatter(xs, ys, s=6, c=[palette(c % 20) for c in clusters], linewidths=0)
        for x, y, label, _size in sorted(centres, key=lambda c: -c[3])[:max_labels]:
            axes.annotate(
                label[:40],
                (x, y),
                fontsize=8,
                ha="center",
                va="center",
                bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "#555555", "alpha": 0.85},
            )
        axes.set_title(title, fontsize=11)
        axes.set_xticks([])
        axes.set_yticks([])
        for side in axes.spines.values():
            side.set_visible(False)
        buffer = io.BytesIO()
        figure.savefig(buffer, format="svg", bbox_inches="tight")
        return buffer.getvalue()
    finally:
        plt.close(figure)
