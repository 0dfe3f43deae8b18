"""Moscow's administrative division: 12 okrugs, 125 districts and 21 settlements.

The data is static (it changes by city law, not by users), so it lives in `moscow.json`
and is loaded once; the database stores district codes only.
"""

from app.districts.registry import (
    District,
    Okrug,
    find_district,
    find_okrug,
    get_district,
    get_okrug,
    list_okrugs,
)

__all__ = [
    "District",
    "Okrug",
    "find_district",
    "find_okrug",
    "get_district",
    "get_okrug",
    "list_okrugs",
]
