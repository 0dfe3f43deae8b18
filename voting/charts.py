"""Charts drawn on the server as small SVG, and a map of Moscow's okrugs.

Hand-written SVG rather than a plotting library: a bar chart is a few rectangles, the output
is a few kilobytes, it needs no fonts or scripts, and it uses presentation attributes only
(no `style`), so it passes the Content-Security-Policy. Every chart has a text title for
screen readers and the page shows the same numbers in a table next to it.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any

from markupsafe import Markup, escape

from app.districts import list_okrugs

GEOJSON = Path(__file__).with_name("data") / "moscow_okrugs.geojson"
BRAND = "#0b4f8a"
MUTED = "#5c6670"
WITHHELD = "#d9dcdf"  # an okrug with too few voters to show («менее K»)


def _svg(width: int, height: int, title: str, body: list[str], ident: str) -> Markup:
    # Every piece of text in `body` went through `escape`; the rest is numbers we made.
    return Markup(  # noqa: S704
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="100%" role="img" aria-labelledby="{ident}-title" class="chart" '
        f'preserveAspectRatio="xMinYMin meet" font-family="system-ui, sans-serif">'
        f'<title id="{ident}-title">{escape(title)}</title>{"".join(body)}</svg>'
    )


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def bar_chart(items: Sequence[tuple[str, int, float]], title: str, ident: str) -> Markup:
    """Horizontal bars: (label, votes, share) per option."""
    width, label_w, bar_h, gap = 460, 160, 22, 10
    height = max(1, len(items)) * (bar_h + gap) + gap
    peak = max((v for _l, v, _s in items), default=0) or 1
    body = []
    for i, (label, votes, share) in enumerate(items):
        y = gap + i * (bar_h + gap)
        w = (width - label_w - 100) * votes / peak
        body.append(
            f'<text x="0" y="{y + 16}" font-size="13" fill="#212529">'
            f"{escape(_clip(label, 22))}</text>"
            f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="{BRAND}" rx="2"/>'
            f'<text x="{label_w + w + 6:.1f}" y="{y + 16}" font-size="13" fill="#212529">'
            f"{votes} ({share * 100:.1f}%)</text>"
        )
    return _svg(width, height, title, body, ident)


def column_chart(items: Sequence[tuple[str, int]], title: str, ident: str) -> Markup:
    """Vertical bars over time (label, count); labels shown for a few of them only."""
    width, height, bottom = 460, 180, 30
    n = max(1, len(items))
    step = (width - 40) / n
    peak = max((v for _l, v in items), default=0) or 1
    body = [
        f'<line x1="30" y1="{height - bottom}" x2="{width}" y2="{height - bottom}" '
        f'stroke="{MUTED}"/>'
    ]
    every = max(1, math.ceil(n / 6))
    for i, (label, value) in enumerate(items):
        h = (height - bottom - 20) * value / peak
        x = 35 + i * step
        body.append(
            f'<rect x="{x:.1f}" y="{height - bottom - h:.1f}" width="{max(1.0, step * 0.8):.1f}" '
            f'height="{h:.1f}" fill="{BRAND}"/>'
        )
        if i % every == 0:
            body.append(
                f'<text x="{x:.1f}" y="{height - 10}" font-size="11" fill="{MUTED}">'
                f"{escape(label)}</text>"
            )
    body.append(f'<text x="0" y="14" font-size="11" fill="{MUTED}">{peak}</text>')
    return _svg(width, height, title, body, ident)


# ---------------------------------------------------------------- the map

MAP_W = 560


@cache
def _geometry() -> dict[str, Any]:
    """Okrug outlines projected once to SVG paths (equirectangular, scaled by cos φ)."""
    data = json.loads(GEOJSON.read_text(encoding="utf-8"))
    by_okato = {o.okato: o for o in list_okrugs()}
    rings: list[tuple[str, list[list[tuple[float, float]]]]] = []
    for feature in data["features"]:
        okrug = by_okato.get(feature["properties"].get("OKATO"))
        geometry = feature["geometry"]
        polygons = (
            geometry["coordinates"]
            if geometry["type"] == "MultiPolygon"
            else [geometry["coordinates"]]
        )
        for polygon in polygons:
            rings.append((okrug.code if okrug else "", polygon))
    lons = [p[0] for _c, poly in rings for ring in poly for p in ring]
    lats = [p[1] for _c, poly in rings for ring in poly for p in ring]
    lat0 = math.radians((min(lats) + max(lats)) / 2)
    scale = MAP_W / ((max(lons) - min(lons)) * math.cos(lat0))
    height = (max(lats) - min(lats)) * scale
    box = (min(lons), max(lats), scale, math.cos(lat0))
    paths: dict[str, list[str]] = {}
    for code, polygon in rings:
        for ring in polygon:
            points: list[str] = []
            for lon, lat in ring:
                x, y = _project(lon, lat, box)
                point = f"{x:.0f},{y:.0f}"
                if not points or points[-1] != point:
                    points.append(point)
            if len(points) > 2:
                paths.setdefault(code, []).append("M" + "L".join(points) + "Z")
    return {"paths": {k: "".join(v) for k, v in paths.items()}, "height": height, "box": box}


def _project(lon: float, lat: float, box: tuple[float, float, float, float]) -> tuple[float, float]:
    lon0, lat_top, scale, cos0 = box
    return (lon - lon0) * cos0 * scale, (lat_top - lat) * scale


def _shade(value: int, peak: int) -> str:
    """From pale to the brand blue; pale enough for dark text at the low end."""
    t = value / peak if peak else 0.0
    low, high = (232, 240, 248), (11, 79, 138)
    r, g, b = (round(a + (c - a) * t) for a, c in zip(low, high, strict=True))
    return f"#{r:02x}{g:02x}{b:02x}"


def okrug_map(
    values: dict[str, int],
    title: str,
    ident: str,
    markers: Sequence[tuple[float, float, str, int]] = (),
    withheld: Mapping[str, str] | None = None,
) -> Markup:
    """Okrugs shaded by `values` (okrug code → count), with numbered markers (lat, lon,
    label, votes) for location options. Boundaries: © OpenStreetMap contributors, GIS-Lab.
    A `withheld` okrug (code → what to say instead, «менее K») is grey, with no number."""
    geo = _geometry()
    withheld = withheld or {}
    peak = max(values.values(), default=0)
    body = []
    for code, d in geo["paths"].items():
        value = values.get(code, 0)
        fill = WITHHELD if code in withheld else _shade(value, peak)
        label = withheld.get(code, str(value))
        body.append(
            f'<path d="{d}" fill="{fill}" stroke="#ffffff" stroke-width="1">'
            f"<title>{escape(_abbrev(code))}: {escape(label)}</title></path>"
        )
    for index, (lat, lon, label, votes) in enumerate(markers, start=1):
        x, y = _project(lon, lat, geo["box"])
        r = 7 + 9 * (votes / max(1, max(m[3] for m in markers)))
        body.append(
            f'<circle cx="{x:.0f}" cy="{y:.0f}" r="{r:.1f}" fill="#f5a623" stroke="#212529" '
            f'stroke-width="1"><title>{escape(label)}: {votes}</title></circle>'
            f'<text x="{x:.0f}" y="{y + 4:.0f}" font-size="11" text-anchor="middle" '
            f'fill="#212529">{index}</text>'
        )
    return _svg(MAP_W, math.ceil(geo["height"]), title, body, ident)


def _abbrev(code: str) -> str:
    return next((o.abbrev for o in list_okrugs() if o.code == code), "—")
