"""Fixtures for ``ml`` tests: small hand-written Russian ideas, and the shared data folder."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

#: ``<repo>/../shared/data``: real appeals that must never be copied into the repository.
SHARED_DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"

THEMES: dict[str, list[str]] = {
    "queue": [
        "Сделать электронную очередь в поликлинике",
        "Электронная запись к врачу через интернет",
        "В поликлинике огромные очереди к терапевту",
        "Очереди в регистратуре поликлиники, нужна онлайн запись",
        "Запись к врачу по телефону невозможна, очередь в поликлинике",
    ],
    "park": [
        "Поставить скамейки и фонари в парке",
        "В парке нет освещения и лавочек",
        "Обустроить парк: дорожки, скамейки, урны",
        "Благоустройство парка у реки, посадить деревья",
        "Отремонтировать дорожки в городском парке",
    ],
    "bus": [
        "Пустить больше автобусов по маршруту 12",
        "Автобусы ходят редко, интервал движения большой",
        "Новый автобусный маршрут до вокзала",
        "Увеличить число автобусов в час пик",
        "Остановка автобуса без навеса, сделать павильон",
    ],
    "trash": [
        "Вывозить мусор из контейнеров чаще",
        "Переполненные мусорные баки во дворе",
        "Поставить контейнеры для раздельного сбора мусора",
        "Мусорные контейнеры не вывозят неделями",
        "Раздельный сбор отходов и вывоз мусора",
    ],
}


def themed_ideas(per_theme: int = 15, seed: int = 0) -> tuple[list[str], list[str]]:
    """Ideas and their theme names: each template with small variations."""
    rng = random.Random(seed)
    prefixes = ["", "Предлагаю: ", "Пожалуйста, ", "Очень нужно: ", "Жители просят: "]
    suffixes = ["", ".", "!", " Спасибо.", " Это важно для района."]
    texts: list[str] = []
    themes: list[str] = []
    for theme, templates in THEMES.items():
        for index in range(per_theme):
            base = templates[index % len(templates)]
            texts.append(rng.choice(prefixes) + base + rng.choice(suffixes))
            themes.append(theme)
    return texts, themes


@pytest.fixture(scope="session")
def ideas() -> tuple[list[str], list[str]]:
    """60 ideas on 4 themes (15 each) and their theme names."""
    return themed_ideas()


@pytest.fixture(scope="session")
def make_ideas():
    """The generator itself, for tests that need other sizes or seeds."""
    return themed_ideas


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip("shared/data is not beside the repository")
    return SHARED_DATA
