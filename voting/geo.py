"""Moscow's okrug boundaries (© OpenStreetMap contributors, GIS-Lab; ODbL 1.0): which okrug
a point is in. Used by the demo to place location options and by the map."""

from __future__ import annotations

import json
import random
from functools import cache
from pathlib import Path

from app.districts import list_okrugs

GEOJSON = Path(__file__).with_name("data") / "moscow_okrugs.geojson"

Ring = list[tuple[float, float]]


@cache
def okrug_polygons() -> dict[str, list[list[Ring]]]:
    """Okrug code → polygons, each a list of rings of (lon, lat), the first being the outline."""
    data = json.loads(GEOJSON.read_text(encoding="utf-8"))
    by_okato = {o.okato: o.code for o in list_okrugs()}
    shapes: dict[str, list[list[Ring]]] = {}
    for feature in data["features"]:
        code = by_okato.get(feature["properties"].get("OKATO"))
        if code is None:
            continue
        geometry = feature["geometry"]
        polygons = (
            geometry["coordinates"]
            if geometry["type"] == "MultiPolygon"
            else [geometry["coordinates"]]
        )
        for polygon in polygons:
            shapes.setdefault(code, []).append(
                [[(float(x), float(y)) for x, y, *_ in ring] for ring in polygon]
            )
    return shapes


def _in_ring(lon: float, lat: float, ring: Ring) -> bool:
    inside = False
    j = len(ring) - 1
    for i in range(len(ring)):
        xi, yi = ring[i]
        xj, yj = ring[j]
        if (yi > lat) != (yj > lat) and lon < (xj - xi) * (lat - yi) / (yj - yi) + xi:
            inside = not inside
        j = i
    return inside


def okrug_at(lat: float, lon: float) -> str | None:
    """The code of the okrug containing the point, or None outside Moscow."""
    for code, polygons in okrug_polygons().items():
        for outline, *holes in polygons:
            if _in_ring(lon, lat, outline) and not any(_in_ring(lon, lat, h) for h in holes):
                return code
    return None


def point_in(code: str, rng: random.Random) -> tuple[float, float]:
    """A random point (lat, lon) inside the okrug, drawn from its bounding box."""
    points = [p for polygon in okrug_polygons()[code] for p in polygon[0]]
    lons, lats = [p[0] for p in points], [p[1] for p in points]
    while True:
        lat = rng.uniform(min(lats), max(lats))
        lon = rng.uniform(min(lons), max(lons))
        if okrug_at(lat, lon) == code:
            return round(lat, 5), round(lon, 5)
