"""The static list of Moscow's okrugs and districts, and lookups by code or name."""

from __future__ import annotations

from app.districts import find_district, find_okrug, list_okrugs


def test_twelve_okrugs_with_125_districts_and_21_settlements():
    okrugs = list_okrugs()
    assert len(okrugs) == 12
    districts = [d for o in okrugs for d in o.districts]
    assert sum(d.kind == "district" for d in districts) == 125
    assert sum(d.kind == "settlement" for d in districts) == 21
    assert len({d.code for d in districts}) == len(districts)


def test_district_found_by_code_name_case_and_yo():
    assert find_district("teplyy-stan").name == "Тёплый Стан"
    assert find_district("тёплый стан").code == "teplyy-stan"
    assert find_district("ТЕПЛЫЙ СТАН").code == "teplyy-stan"
    assert find_district("Марьина роща").okrug_code == "svao"


def test_unknown_or_empty_district_is_none():
    assert find_district("Нарния") is None
    assert find_district("") is None
    assert find_district("   ") is None


def test_okrug_by_code_or_abbreviation():
    assert find_okrug("ЗелАО").code == "zelao"
    assert find_okrug("yuzao").abbrev == "ЮЗАО"
    assert find_okrug("XYZ") is None
