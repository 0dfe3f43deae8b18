"""pair_scores and SimilarityIndex: morphology, typos, updates, score range."""

from __future__ import annotations

import numpy as np
import pytest

from ml import IdeaVectorizer, SimilarityIndex, get_normalizer, pair_scores

IDEAS = {
    "queue": "Сделать электронную очередь в поликлинике",
    "bench": "Поставить скамейки в сквере у школы",
    "bus": "Пустить больше автобусов по маршруту 12",
    "trash": "Вывозить мусор из контейнеров чаще",
    "light": "Установить фонари на пешеходной дорожке",
    "dogs": "Сделать площадку для выгула собак",
}


@pytest.fixture
def index() -> SimilarityIndex:
    return SimilarityIndex().fit(list(IDEAS), list(IDEAS.values()))


def test_pair_scores_rank_paraphrase_above_unrelated() -> None:
    scores = pair_scores(
        ["Электронная очередь в поликлиниках", "Электронная очередь в поликлиниках", "парк"],
        ["Сделать электронную очередь в поликлинике", "Вывозить мусор чаще", "Парки"],
    )
    assert scores.shape == (3,)
    assert np.all((scores >= 0) & (scores <= 1))
    assert scores[0] > 0.8
    assert scores[1] < 0.2
    assert scores[2] == pytest.approx(1.0)


def test_pair_scores_see_through_morphology_and_yo() -> None:
    (same,) = pair_scores(["Ёлки у новой школы"], ["ёлка новый школа"])
    assert same == pytest.approx(1.0, abs=1e-4)


def test_pair_scores_edge_cases() -> None:
    assert pair_scores([], []).shape == (0,)
    assert pair_scores(["😀"], ["😀"])[0] == 0.0
    with pytest.raises(ValueError, match="texts_b"):
        pair_scores(["а"], [])


def test_pair_scores_accept_normalized_input_and_a_fitted_vectorizer() -> None:
    raw_a, raw_b = ["Очереди в поликлиниках"], ["очередь в поликлинике"]
    norm_a = get_normalizer().normalize_many(raw_a)
    norm_b = get_normalizer().normalize_many(raw_b)
    vectorizer = IdeaVectorizer().fit(norm_a + norm_b + ["парк", "автобус"])
    raw = pair_scores(raw_a, raw_b, vectorizer=vectorizer)
    warm = pair_scores(norm_a, norm_b, normalized=True, vectorizer=vectorizer)
    np.testing.assert_allclose(raw, warm)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("электронные очереди в поликлиниках", "queue"),  # other word forms
        ("электроная очерет в паликлинике", "queue"),  # typos
        ("скамеек в скверах", "bench"),
        ("автобусы по маршрутам", "bus"),
        ("выгул собак", "dogs"),
        ("ФОНАРИ НА ДОРОЖКЕ!!!", "light"),
    ],
)
def test_query_is_robust_to_forms_and_typos(
    index: SimilarityIndex, query: str, expected: str
) -> None:
    results = index.query(query, limit=3)
    assert results[0][0] == expected
    assert all(0.0 <= score <= 1.0 for _, score in results)
    assert [score for _, score in results] == sorted((s for _, s in results), reverse=True)


def test_query_limit_and_exclude(index: SimilarityIndex) -> None:
    assert len(index.query("сделать", limit=2)) <= 2
    assert index.query("очередь", limit=0) == []
    results = index.query("очередь в поликлинике", exclude=["queue"])
    assert "queue" not in [idea_id for idea_id, _ in results]


def test_add_remove_and_replace(index: SimilarityIndex) -> None:
    index.add("pool", "Построить бассейн в микрорайоне")
    assert "pool" in index
    assert index.query("бассейны", limit=1)[0][0] == "pool"
    assert index.remove("pool") is True
    assert index.remove("pool") is False
    assert "pool" not in [idea_id for idea_id, _ in index.query("бассейн")]
    index.add("bus", "Построить бассейн")  # an edit replaces the old text
    assert index.query("бассейн", limit=1)[0][0] == "bus"
    assert "bus" not in [idea_id for idea_id, _ in index.query("маршрут 12 автобусы")]
    assert len(index) == len(IDEAS)


def test_many_adds_merge_and_keep_answers() -> None:
    index = SimilarityIndex().fit([], [])
    assert index.query("что угодно") == []
    for number in range(600):
        index.add(number, f"идея номер {number} про парк {'скамейка' if number % 2 else 'фонтан'}")
    for number in range(0, 600, 3):
        index.remove(number)
    index.add("target", "Сделать электронную очередь в поликлинике")
    assert index.query("очереди в поликлиниках", limit=1)[0][0] == "target"
    assert len(index) == 600 - 200 + 1
    removed = set(range(0, 600, 3))
    found = {idea_id for idea_id, _ in index.query("парк фонтан скамейка", limit=50)}
    assert not found & removed


def test_fit_validates_ids() -> None:
    with pytest.raises(ValueError, match="unique"):
        SimilarityIndex().fit([1, 1], ["а", "б"])
    with pytest.raises(ValueError, match="ids"):
        SimilarityIndex().fit([1], ["а", "б"])


def test_normalized_input(index: SimilarityIndex) -> None:
    normalized = get_normalizer().normalize("электронная очередь")
    assert index.query(normalized, normalized=True)[0][0] == "queue"


def test_numbers_words_and_abbreviations_count() -> None:
    same, different = pair_scores(
        ["Погибли семь человек, ущерб 5 млн руб.", "Маршрут 12"],
        ["Погибли 7 человек, ущерб 5 миллионов рублей", "Маршрут 45"],
    )
    assert same == pytest.approx(1.0, abs=1e-4)
    assert different < 0.85


def test_query_prefers_the_matching_number(index: SimilarityIndex) -> None:
    index.add("bus45", "Пустить больше автобусов по маршруту 45")
    assert index.query("автобусы маршрута 45", limit=1)[0][0] == "bus45"
    assert index.query("автобусы маршрута 12", limit=1)[0][0] == "bus"
