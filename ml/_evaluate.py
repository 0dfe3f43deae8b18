"""Quality checks against labelled data, with two plain TF-IDF baselines in the same run.

Clustering: our :class:`ml.IdeaClusterer` with k = number of labels versus k-means on
TF-IDF of raw lowercase words and on TF-IDF of character 3–5-grams (same k, same seed).
Pairs: ROC-AUC and best F1 of :func:`ml.pair_scores` versus the cosine of the same two
TF-IDF representations. The baselines are here so every figure has a reference.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass

import numpy as np
from sklearn.cluster import KMeans
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import (
    adjusted_rand_score,
    normalized_mutual_info_score,
    precision_recall_curve,
    roc_auc_score,
    v_measure_score,
)
from sklearn.preprocessing import normalize

from ml._cluster import IdeaClusterer
from ml._similarity import pair_scores, rowwise_dot

OURS = "ours"
BASELINE_WORDS = "tfidf-words"
BASELINE_CHARS = "tfidf-char3-5"


@dataclass(frozen=True)
class ClusteringScore:
    """Agreement of one method's clusters with the reference labels."""

    method: str
    nmi: float
    ari: float
    v_measure: float
    n_other: int
    seconds: float

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass(frozen=True)
class PairScore:
    """How well one method's scores separate duplicate from non-duplicate pairs."""

    method: str
    roc_auc: float
    best_f1: float
    best_threshold: float
    seconds: float

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def _baseline_vectorizer(kind: str) -> TfidfVectorizer:
    if kind == BASELINE_WORDS:
        return TfidfVectorizer(lowercase=True)
    return TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), lowercase=True)


def evaluate_clustering(
    texts: Sequence[str], labels: Sequence[str], random_state: int = 0
) -> list[ClusteringScore]:
    """Score ours and both baselines with k = the number of distinct labels."""
    texts = list(texts)
    if len(texts) != len(labels):
        raise ValueError("texts and labels differ in length")
    k = len(set(labels))
    if k < 2:
        raise ValueError("evaluation needs at least two distinct labels")

    def ours() -> np.ndarray:
        return IdeaClusterer(n_clusters=k, random_state=random_state).fit(texts).labels_

    def baseline(kind: str) -> Callable[[], np.ndarray]:
        def run() -> np.ndarray:
            matrix = _baseline_vectorizer(kind).fit_transform(texts)
            return KMeans(n_clusters=k, random_state=random_state).fit_predict(matrix)

        return run

    results = []
    for method, run in (
        (OURS, ours),
        (BASELINE_WORDS, baseline(BASELINE_WORDS)),
        (BASELINE_CHARS, baseline(BASELINE_CHARS)),
    ):
        started = time.perf_counter()
        predicted = run()
        results.append(
            ClusteringScore(
                method=method,
                nmi=float(normalized_mutual_info_score(labels, predicted)),
                ari=float(adjusted_rand_score(labels, predicted)),
                v_measure=float(v_measure_score(labels, predicted)),
                n_other=int(np.sum(predicted < 0)),
                seconds=time.perf_counter() - started,
            )
        )
    return results


def evaluate_pairs(
    texts_a: Sequence[str], texts_b: Sequence[str], is_duplicate: Sequence[int]
) -> list[PairScore]:
    """Score ours and both baselines on labelled pairs (1 = same meaning)."""
    truth = np.asarray(is_duplicate, dtype=int)
    if len(set(truth.tolist())) < 2:
        raise ValueError("evaluation needs both duplicate and non-duplicate pairs")

    def baseline(kind: str) -> Callable[[], np.ndarray]:
        def run() -> np.ndarray:
            vectorizer = _baseline_vectorizer(kind).fit(list(texts_a) + list(texts_b))
            left = normalize(vectorizer.transform(texts_a))
            right = normalize(vectorizer.transform(texts_b))
            return rowwise_dot(left, right)

        return run

    results = []
    for method, run in (
        (OURS, lambda: pair_scores(texts_a, texts_b)),
        (BASELINE_WORDS, baseline(BASELINE_WORDS)),
        (BASELINE_CHARS, baseline(BASELINE_CHARS)),
    ):
        started = time.perf_counter()
        scores = run()
        f1, threshold = best_f1(truth, scores)
        results.append(
            PairScore(
                method=method,
                roc_auc=float(roc_auc_score(truth, scores)),
                best_f1=f1,
                best_threshold=threshold,
                seconds=time.perf_counter() - started,
            )
        )
    return results


def best_f1(truth: np.ndarray, scores: np.ndarray) -> tuple[float, float]:
    """The highest F1 over all thresholds, and the threshold that reaches it."""
    precision, recall, thresholds = precision_recall_curve(truth, scores)
    with np.errstate(divide="ignore", invalid="ignore"):
        f1 = np.where(precision + recall > 0, 2 * precision * recall / (precision + recall), 0.0)
    best = int(np.argmax(f1[:-1])) if thresholds.size else 0
    threshold = float(thresholds[best]) if thresholds.size else 0.0
    return float(f1[best]), threshold
