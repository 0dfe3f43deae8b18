"""find_duplicate_groups on small Russian examples, on both the exact and blocked paths."""

from __future__ import annotations

import pytest

from ml import find_duplicate_groups, get_normalizer

TEXTS = [
    "Сделать электронную очередь в поликлинике",  # 0
    "Электронная очередь в поликлиниках",  # 1: other word forms
    "Сделать электронную очередь в поликлиникe!",  # 2: Latin «e», punctuation
    "Починить лавочки в сквере",  # 3
    "Починить лавочки в сквере у школы",  # 4
    "Вывозить мусор из контейнеров чаще",  # 5
    "Пустить больше автобусов по маршруту 12",  # 6
    "😀",  # 7
    "",  # 8
    "Больше автобусов на маршруте 12 пустить",  # 9: word order
]
EXPECTED = [[0, 1, 2], [3, 4], [6, 9]]


@pytest.mark.parametrize("exact_below", [5_000, 0], ids=["exact", "blocked"])
def test_groups_paraphrases_and_typos(exact_below: int) -> None:
    assert find_duplicate_groups(TEXTS, exact_below=exact_below) == EXPECTED


def test_threshold_controls_strictness() -> None:
    strict = find_duplicate_groups(TEXTS, threshold=0.99)
    # Same lemmas (word order is ignored); the Latin «e» of text 2 costs a little.
    assert strict == [[0, 1], [6, 9]]
    related = [*TEXTS, "Запись к врачу в поликлинике"]  # shares one lemma with 0-2
    assert find_duplicate_groups(related) == EXPECTED
    loose = find_duplicate_groups(related, threshold=0.1)
    assert [0, 1, 2, len(TEXTS)] in loose


def test_normalized_input_gives_the_same_groups() -> None:
    normalized = get_normalizer().normalize_many(TEXTS)
    assert find_duplicate_groups(normalized, normalized=True) == EXPECTED


def test_blocked_path_at_a_few_thousand_texts(make_ideas) -> None:
    texts, _ = make_ideas(per_theme=300, seed=1)
    groups = find_duplicate_groups(texts, exact_below=0)
    grouped = sorted(i for group in groups for i in group)
    assert len(grouped) == len(set(grouped))
    assert len(groups) >= 20  # each template repeats with small changes


def test_edge_cases() -> None:
    assert find_duplicate_groups([]) == []
    assert find_duplicate_groups(["одна идея"]) == []
    assert find_duplicate_groups(["", "", "😀"]) == []
    assert find_duplicate_groups(["парк"] * 3) == [[0, 1, 2]]
    with pytest.raises(ValueError, match="threshold"):
        find_duplicate_groups(["а", "б"], threshold=0)


def test_different_numbers_are_different_ideas() -> None:
    texts = [
        "Пустить больше автобусов по маршруту 12",
        "Пустить больше автобусов по маршруту 45",
        "Пустить больше автобусов по маршруту № 12!",
    ]
    assert find_duplicate_groups(texts, threshold=0.85) == [[0, 2]]
