"""Checks on the shared development data (read at run time, never copied; skipped if absent).

These guard the quality claims in docs/benchmarks.md against regressions. They use the
files' labels only to score, never to fit.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from ml import evaluate_clustering, evaluate_pairs, find_duplicate_groups, get_normalizer


def read_rows(path: Path) -> list[dict[str, str]]:
    if not path.is_file():
        pytest.skip(f"{path.name} is not in the shared data folder")
    with path.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_kursk_topics_beat_both_baselines(shared_data: Path) -> None:
    rows = read_rows(shared_data / "kursk_appeals_topic.csv")
    scores = {
        score.method: score.nmi
        for score in evaluate_clustering([r["text"] for r in rows], [r["label"] for r in rows])
    }
    assert scores["ours"] > max(scores["tfidf-words"], scores["tfidf-char3-5"]) + 0.05


def test_paraphrases_beat_both_baselines(shared_data: Path) -> None:
    rows = read_rows(shared_data / "paraphraser_pairs.csv")
    results = evaluate_pairs(
        [r["text_a"] for r in rows],
        [r["text_b"] for r in rows],
        [int(r["is_duplicate"]) for r in rows],
    )
    auc = {score.method: score.roc_auc for score in results}
    assert auc["ours"] > max(auc["tfidf-words"], auc["tfidf-char3-5"]) + 0.01
    assert auc["ours"] > 0.92


def test_blocked_duplicates_find_most_exact_pairs(shared_data: Path) -> None:
    rows = read_rows(shared_data / "spb_appeals_reason.csv")[:4000]
    normalized = get_normalizer().normalize_many([r["text"] for r in rows])
    exact = find_duplicate_groups(normalized, normalized=True, exact_below=10_000)
    blocked = find_duplicate_groups(normalized, normalized=True, exact_below=0)
    in_exact = {i for group in exact for i in group}
    in_blocked = {i for group in blocked for i in group}
    assert in_exact
    assert len(in_exact & in_blocked) >= 0.85 * len(in_exact)
    assert in_blocked <= in_exact  # blocking only drops candidates, it never invents pairs


def test_naughty_strings_survive_every_entry_point(shared_data: Path) -> None:
    import json

    from ml import IdeaClusterer, SimilarityIndex, pair_scores

    path = shared_data / "naughty_strings.json"
    if not path.is_file():
        pytest.skip("naughty_strings.json is not in the shared data folder")
    strings = json.loads(path.read_text(encoding="utf-8"))
    model = IdeaClusterer(random_state=0).fit(strings)
    assert model.labels_.shape == (len(strings),)
    index = SimilarityIndex().fit(range(len(strings)), strings)
    for text in strings[:50]:
        assert all(0.0 <= score <= 1.0 for _, score in index.query(text))
    scores = pair_scores(strings, strings[::-1])
    assert ((scores >= 0) & (scores <= 1)).all()
    assert isinstance(find_duplicate_groups(strings), list)
