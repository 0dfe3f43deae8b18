"""IdeaClusterer: topics, the «other» group, labels, weights, progress, determinism, edges."""

from __future__ import annotations

import time

import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score

from ml import OTHER, OTHER_LABEL, IdeaClusterer, get_normalizer


def test_finds_the_themes(ideas) -> None:
    texts, themes = ideas
    model = IdeaClusterer(n_clusters=4, random_state=0).fit(texts)
    assert model.labels_.shape == (len(texts),)
    assert adjusted_rand_score(themes, model.labels_) > 0.6
    assert sum(cluster.size for cluster in model.clusters_) + model.other_size_ == len(texts)


def test_labels_are_readable_lemmas_of_the_theme(ideas) -> None:
    texts, _ = ideas
    model = IdeaClusterer(n_clusters=4, random_state=0).fit(texts)
    all_terms = {term for cluster in model.clusters_ for term in cluster.terms}
    assert {"мусор", "автобус", "парк"} & all_terms
    for cluster in model.clusters_:
        assert cluster.label
        assert cluster.label != OTHER_LABEL
        assert " · " in cluster.label or len(cluster.terms) == 1
        assert not any("_num_" in term for term in cluster.terms)
        members = set(np.flatnonzero(model.labels_ == cluster.id).tolist())
        assert set(cluster.representatives) <= members
        assert len(cluster.representatives) == min(5, cluster.size)


def test_same_seed_same_result_and_clusters_sorted_by_size(ideas) -> None:
    texts, _ = ideas
    first = IdeaClusterer(random_state=7).fit(texts)
    second = IdeaClusterer(random_state=7).fit(texts)
    np.testing.assert_array_equal(first.labels_, second.labels_)
    np.testing.assert_allclose(first.coords_2d_, second.coords_2d_)
    assert first.clusters_ == second.clusters_
    sizes = [cluster.size for cluster in first.clusters_]
    assert sizes == sorted(sizes, reverse=True)


def test_automatic_k_is_sensible(make_ideas) -> None:
    texts, _ = make_ideas(per_theme=25)
    model = IdeaClusterer().fit(texts)
    assert 2 <= model.n_clusters_ <= 15


def test_stray_ideas_go_to_other(ideas) -> None:
    texts, _ = ideas
    strays = ["Квантовая хромодинамика глюонов", "Рецепт борща со сметаной", "🙂🙂🙂", ""]
    model = IdeaClusterer(n_clusters=4, random_state=0).fit([*texts, *strays])
    assert list(model.labels_[-len(strays) :]) == [OTHER] * len(strays)
    assert model.other_size_ >= len(strays)
    assert model.other_label_ == OTHER_LABEL


def test_min_cluster_size_dissolves_small_clusters(ideas) -> None:
    texts, _ = ideas
    model = IdeaClusterer(n_clusters=4, min_cluster_size=16, random_state=0).fit(texts)
    assert all(cluster.size >= 16 for cluster in model.clusters_)
    big = IdeaClusterer(n_clusters=4, min_cluster_size=100, random_state=0).fit(texts)
    assert big.clusters_ == []
    assert set(big.labels_) == {OTHER}


def test_weights_are_summed_as_support(ideas) -> None:
    texts, _ = ideas
    weights = np.arange(len(texts), dtype=float)
    model = IdeaClusterer(n_clusters=4, random_state=0).fit(texts, weights=weights)
    for cluster in model.clusters_:
        assert cluster.support == pytest.approx(weights[model.labels_ == cluster.id].sum())
    assert model.other_support_ == pytest.approx(weights[model.labels_ == OTHER].sum())


def test_progress_is_reported_in_order(ideas) -> None:
    texts, _ = ideas
    calls: list[tuple[float, str]] = []
    IdeaClusterer(n_clusters=4).fit(texts, progress=lambda f, m: calls.append((f, m)))
    fractions = [fraction for fraction, _ in calls]
    assert fractions == sorted(fractions)
    assert fractions[-1] == 1.0
    assert len(calls) >= 5
    assert all(isinstance(message, str) and message for _, message in calls)


def test_warm_and_cold_inputs_agree(ideas) -> None:
    texts, _ = ideas
    normalized = get_normalizer().normalize_many(texts)
    cold = IdeaClusterer(n_clusters=4, random_state=3).fit(texts)
    warm = IdeaClusterer(n_clusters=4, random_state=3).fit(normalized, normalized=True)
    np.testing.assert_array_equal(cold.labels_, warm.labels_)


def test_map_coordinates(ideas) -> None:
    texts, _ = ideas
    model = IdeaClusterer(n_clusters=4, random_state=0).fit(texts)
    assert model.coords_2d_.shape == (len(texts), 2)
    assert np.all(np.isfinite(model.coords_2d_))
    assert np.abs(model.coords_2d_).max() <= 1.0 + 1e-9
    assert model.cluster_centers_2d_.shape == (model.n_clusters_, 2)
    # Members sit closer to their own center than to the average other center.
    for cluster in model.clusters_:
        members = model.coords_2d_[model.labels_ == cluster.id]
        own = np.linalg.norm(members - np.array(cluster.center_2d), axis=1).mean()
        others = [
            np.linalg.norm(members - np.array(other.center_2d), axis=1).mean()
            for other in model.clusters_
            if other.id != cluster.id
        ]
        assert own < np.mean(others)


def test_no_texts_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="at least one text"):
        IdeaClusterer().fit([])


def test_weights_of_wrong_length_are_refused() -> None:
    with pytest.raises(ValueError, match="weights"):
        IdeaClusterer().fit(["а", "б"], weights=[1.0])


@pytest.mark.parametrize(
    "texts",
    [
        ["Сделать электронную очередь"],
        ["Починить лавочки в парке"] * 30,
        ["парк", "автобус", "мусор", "очередь", "парк", "автобус"],
        ["Please fix the bus schedule", "More trees in the park", "Bus lane on main street"] * 5,
        ["🙂", "🎉🎉", "!!!"] * 4,
        ["", "", ""],
        ["Очереди в поликлинике " * 5000, "Парк и скамейки " * 6000, "Очереди к врачу"],
    ],
    ids=["one", "identical", "one-word", "english", "emoji", "empty", "huge"],
)
def test_edge_cases_finish_quickly(texts: list[str]) -> None:
    started = time.perf_counter()
    model = IdeaClusterer(random_state=0).fit(texts)
    assert time.perf_counter() - started < 10
    assert model.labels_.shape == (len(texts),)
    assert model.coords_2d_.shape == (len(texts), 2)
    assert np.all(np.isfinite(model.coords_2d_))
    assert sum(c.size for c in model.clusters_) + model.other_size_ == len(texts)


def test_identical_texts_form_one_cluster() -> None:
    model = IdeaClusterer(n_clusters=5, random_state=0).fit(["Починить лавочки в парке"] * 30)
    assert model.n_clusters_ == 1
    assert model.clusters_[0].size == 30


def test_fit_predict_and_unknown_k() -> None:
    model = IdeaClusterer(n_clusters=0)
    with pytest.raises(ValueError, match="n_clusters"):
        model.fit(["а"])
    labels = IdeaClusterer(n_clusters=2).fit_predict(["парк скамейка", "парк лавочка", "автобус"])
    assert labels.shape == (3,)


def test_label_phrases_agree_in_gender() -> None:
    from ml._labels import compose_label, readable

    assert readable("электронный очередь") == "электронная очередь"
    assert readable("уличный освещение") == "уличное освещение"
    assert readable("пешеходный переход") == "пешеходный переход"
    assert readable("управлять компания") == "управлять компания"  # not an adjective
    assert compose_label(["очередь", "электронный очередь", "запись", "врач"]) == (
        "очередь · электронная очередь · запись"
    )
    assert compose_label([]) == OTHER_LABEL
