"""Lookups over the static list of Moscow okrugs and districts."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

_DATA_FILE = Path(__file__).with_name("moscow.json")


@dataclass(frozen=True)
class District:
    code: str
    name: str
    kind: str  # "district" (район) or "settlement" (поселение)
    okrug_code: str


@dataclass(frozen=True)
class Okrug:
    code: str
    abbrev: str
    name: str
    okato: str | None
    districts: tuple[District, ...]


def _fold(text: str) -> str:
    """Case- and ё-insensitive key, so «савелки» finds «Савёлки»."""
    return " ".join(text.lower().replace("ё", "е").replace("-", " ").split())


@cache
def list_okrugs() -> tuple[Okrug, ...]:
    raw = json.loads(_DATA_FILE.read_text(encoding="utf-8"))
    return tuple(
        Okrug(
            code=item["code"],
            abbrev=item["abbrev"],
            name=item["name"],
            okato=item.get("okato"),
            districts=tuple(
                District(code=d["code"], name=d["name"], kind=d["kind"], okrug_code=item["code"])
                for d in item["districts"]
            ),
        )
        for item in raw["okrugs"]
    )


@cache
def _index() -> tuple[dict[str, District], dict[str, District], dict[str, Okrug]]:
    by_code: dict[str, District] = {}
    by_name: dict[str, District] = {}
    okrugs: dict[str, Okrug] = {}
    for okrug in list_okrugs():
        okrugs[okrug.code] = okrug
        okrugs[_fold(okrug.abbrev)] = okrug
        for district in okrug.districts:
            by_code[district.code] = district
            by_name[_fold(district.name)] = district
    return by_code, by_name, okrugs


def get_district(code: str | None) -> District | None:
    """The district with this exact code, or None."""
    if not code:
        return None
    return _index()[0].get(code)


def find_district(code_or_name: str | None) -> District | None:
    """A district by code or by name, ignoring case, ё/е and hyphens."""
    if not code_or_name or not code_or_name.strip():
        return None
    by_code, by_name, _ = _index()
    value = code_or_name.strip()
    return by_code.get(value.lower()) or by_name.get(_fold(value))


def find_okrug(code_or_abbrev: str | None) -> Okrug | None:
    """An okrug by its Latin code (`cao`) or Russian abbreviation (`ЦАО`)."""
    if not code_or_abbrev:
        return None
    okrugs = _index()[2]
    value = code_or_abbrev.strip()
    return okrugs.get(value.lower()) or okrugs.get(_fold(value))


def get_okrug(code: str) -> Okrug | None:
    return _index()[2].get(code)
