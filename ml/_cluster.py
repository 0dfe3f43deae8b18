"""Topic clustering of ideas: normalize → TF-IDF → LSA → spherical k-means → labels.

Each step is a small private function or estimator, so the recipe in
:meth:`IdeaClusterer.fit` reads top to bottom. Ideas that fit no cluster well (low
similarity to every centroid, or in a cluster too small to be a theme) are labelled -1
("other") rather than forced into a topic.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.cluster import KMeans, MiniBatchKMeans
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import silhouette_score
from sklearn.preprocessing import normalize
from sklearn.utils import check_random_state
from threadpoolctl import threadpool_limits

from ml._labels import OTHER_LABEL, cluster_terms, compose_label
from ml._layout import layout_2d
from ml._normalize import get_normalizer
from ml._progress import Progress, ProgressCallback
from ml._reduce import LsaReducer
from ml._vectorize import IdeaVectorizer

logger = logging.getLogger(__name__)

OTHER = -1
#: Above this many documents, k-means runs in mini-batches.
_FULL_KMEANS_MAX_DOCS = 30_000
#: Documents used to compare candidate numbers of clusters by silhouette.
_SILHOUETTE_SAMPLE = 2_000
_NORMALIZE_BATCH = 2_000


@dataclass(frozen=True)
class Cluster:
    """One topic found by :class:`IdeaClusterer`.

    ``representatives`` are indices into the fitted texts, most central first;
    ``support`` is the sum of the ``weights`` given to ``fit`` (the size without weights).
    """

    id: int
    label: str
    terms: list[str]
    size: int
    support: float
    representatives: list[int]
    center_2d: tuple[float, float]


class IdeaClusterer(BaseEstimator):
    """Group ideas by topic and name each group with its distinctive lemmas.

    Parameters
    ----------
    n_clusters:
        Number of k-means clusters, or None to choose among 0.5, 1 and 1.5 times
        ``sqrt(n / 2)`` by silhouette on a sample of 2,000 texts.
    max_clusters:
        Upper bound for the automatic choice.
    min_cluster_size:
        Smaller clusters are dissolved into "other"; None means 2 below 200 texts, else
        up to 5 (grows with the collection).
    min_similarity:
        Texts less similar than this to their cluster's centroid go to "other"
        (similarity = LSA cosine times the share of the text's TF-IDF vector that the
        LSA space captures).
    n_components:
        LSA dimension.
    word_weight, char_ngram_range, max_df:
        Passed to :class:`ml.IdeaVectorizer`.
    n_init:
        k-means restarts (each seeded from ``random_state``).
    n_terms, n_representatives:
        How many top terms and central texts each cluster reports.
    threads:
        BLAS/OpenMP threads for the numeric steps; None keeps the libraries' default.
        One thread is the default because the app runs this in a background worker on
        a small shared machine, where oversubscribed threads made a 5,500-text run about
        4× slower (measured: 2.5 s with one thread, 10–13 s with two under load).
    random_state:
        Seed; equal seeds and inputs give equal results.
    """

    def __init__(
        self,
        n_clusters: int | None = None,
        *,
        max_clusters: int = 120,
        min_cluster_size: int | None = None,
        min_similarity: float = 0.15,
        n_components: int = 64,
        word_weight: float = 0.5,
        char_ngram_range: tuple[int, int] = (3, 5),
        max_df: float = 0.5,
        n_init: int = 4,
        n_terms: int = 8,
        n_representatives: int = 5,
        threads: int | None = 1,
        random_state: int | None = 0,
    ) -> None:
        self.n_clusters = n_clusters
        self.max_clusters = max_clusters
        self.min_cluster_size = min_cluster_size
        self.min_similarity = min_similarity
        self.n_components = n_components
        self.word_weight = word_weight
        self.char_ngram_range = char_ngram_range
        self.max_df = max_df
        self.n_init = n_init
        self.n_terms = n_terms
        self.n_representatives = n_representatives
        self.threads = threads
        self.random_state = random_state

    def fit(
        self,
        texts: Sequence[str],
        *,
        normalized: bool = False,
        weights: Sequence[float] | None = None,
        progress: ProgressCallback | None = None,
    ) -> IdeaClusterer:
        """Cluster ``texts`` (raw, or output of :class:`ml.RussianNormalizer` if ``normalized``).

        ``weights`` (e.g. supports per idea) are summed per cluster into ``support``;
        ``progress(fraction, message)`` is called at each stage.
        """
        texts = list(texts)
        self._validate(texts, weights)
        with threadpool_limits(limits=self.threads):
            return self._fit(texts, normalized, weights, progress)

    def _fit(
        self,
        texts: list[str],
        normalized: bool,
        weights: Sequence[float] | None,
        progress: ProgressCallback | None,
    ) -> IdeaClusterer:
        report = Progress(progress)
        rng = check_random_state(self.random_state)
        self.normalized_texts_ = self._normalize(texts, normalized, report)

        report(0.35, "vectorizing")
        self.vectorizer_ = IdeaVectorizer(
            word_weight=self.word_weight,
            char_ngram_range=self.char_ngram_range,
            max_df=self.max_df,
            keep_numbers=False,
        )
        tfidf = self.vectorizer_.fit_transform(self.normalized_texts_)
        has_words = np.diff(tfidf.indptr) > 0

        report(0.5, "reducing dimensions")
        self.reducer_ = LsaReducer(
            n_components=self.n_components, random_state=rng.randint(np.iinfo(np.int32).max)
        ).fit(tfidf[has_words] if has_words.any() else tfidf)
        self.embedding_, self._captured = self.reducer_.transform_with_norms(tfidf)
        valid = np.flatnonzero(has_words & (np.abs(self.embedding_).sum(axis=1) > 0))

        report(0.6, "choosing the number of clusters")
        k = self._choose_k(self.embedding_[valid], rng)

        report(0.7, "clustering")
        raw_labels, centroids = _spherical_kmeans(
            self.embedding_[valid], k, self.n_init, rng, self.n_clusters is None
        )
        labels = np.full(len(texts), OTHER, dtype=int)
        labels[valid] = raw_labels
        labels, centroids = self._dissolve_outliers(labels, centroids, len(texts))
        self.labels_ = labels
        self.cluster_centers_ = centroids
        self.n_clusters_ = centroids.shape[0]

        report(0.85, "labelling clusters")
        terms = cluster_terms(
            self.vectorizer_.word_block(tfidf),
            labels,
            self.vectorizer_.word_names(),
            self.n_clusters_,
            self.n_terms,
        )

        report(0.92, "laying out the map")
        self.coords_2d_, self.cluster_centers_2d_ = layout_2d(
            self.embedding_, centroids, labels, self.random_state
        )
        weight_array = np.ones(len(texts)) if weights is None else np.asarray(weights, dtype=float)
        self.clusters_ = [
            self._describe(cluster, terms[cluster], weight_array)
            for cluster in range(self.n_clusters_)
        ]
        self.other_label_ = OTHER_LABEL
        self.other_size_ = int(np.sum(labels == OTHER))
        self.other_support_ = float(weight_array[labels == OTHER].sum())
        report(1.0, "done")
        logger.info(
            "clustered %d texts into %d clusters, %d in other",
            len(texts),
            self.n_clusters_,
            self.other_size_,
        )
        return self

    def fit_predict(
        self,
        texts: Sequence[str],
        *,
        normalized: bool = False,
        weights: Sequence[float] | None = None,
        progress: ProgressCallback | None = None,
    ) -> np.ndarray:
        """Fit and return ``labels_``."""
        return self.fit(texts, normalized=normalized, weights=weights, progress=progress).labels_

    # -- steps ---------------------------------------------------------------------------

    def _validate(self, texts: list[str], weights: Sequence[float] | None) -> None:
        if not texts:
            raise ValueError("IdeaClusterer.fit needs at least one text, got none")
        if self.n_clusters is not None and self.n_clusters < 1:
            raise ValueError(f"n_clusters must be None or >= 1, got {self.n_clusters}")
        if weights is not None and len(weights) != len(texts):
            raise ValueError(f"got {len(weights)} weights for {len(texts)} texts")

    def _normalize(self, texts: list[str], normalized: bool, report: Progress) -> list[str]:
        if normalized:
            return [text or "" for text in texts]
        normalizer = get_normalizer()
        result: list[str] = []
        for start in range(0, len(texts), _NORMALIZE_BATCH):
            report(0.3 * start / len(texts), "normalizing texts")
            result.extend(normalizer.normalize_many(texts[start : start + _NORMALIZE_BATCH]))
        return result

    def _choose_k(self, vectors: np.ndarray, rng: np.random.RandomState) -> int:
        n_distinct = _count_distinct(vectors)
        if n_distinct == 0:
            return 0
        if self.n_clusters is not None:
            return min(self.n_clusters, n_distinct)
        base = np.sqrt(vectors.shape[0] / 2.0)
        candidates = sorted(
            {int(np.clip(round(base * factor), 2, self.max_clusters)) for factor in (0.5, 1.0, 1.5)}
        )
        candidates = [k for k in candidates if k < n_distinct]
        if not candidates:
            return 1
        if len(candidates) == 1:
            return candidates[0]
        sample = vectors
        if vectors.shape[0] > _SILHOUETTE_SAMPLE:
            sample = vectors[rng.choice(vectors.shape[0], _SILHOUETTE_SAMPLE, replace=False)]
        scores = []
        for k in candidates:
            labels, _ = _spherical_kmeans(sample, k, 1, rng, True)
            if len(np.unique(labels)) < 2:
                scores.append(-1.0)
                continue
            scores.append(float(silhouette_score(sample, labels, metric="euclidean")))
        best = candidates[int(np.argmax(scores))]
        logger.debug("silhouette per k: %s -> %d", dict(zip(candidates, scores, strict=True)), best)
        return best

    def _dissolve_outliers(
        self, labels: np.ndarray, centroids: np.ndarray, n_docs: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """Move poorly fitting texts and tiny clusters to OTHER; renumber by size."""
        if centroids.shape[0] == 0:
            return labels, centroids
        assigned = labels >= 0
        similarity = np.zeros(n_docs)
        # Cosine to the centroid, times the share of the text the LSA space captures:
        # a text of words nobody else uses has a tiny projection whose direction is noise.
        similarity[assigned] = self._captured[assigned] * np.einsum(
            "nd,nd->n", self.embedding_[assigned], centroids[labels[assigned]]
        )
        labels = labels.copy()
        labels[assigned & (similarity < self.min_similarity)] = OTHER
        min_size = self._min_cluster_size(n_docs)
        sizes = np.bincount(labels[labels >= 0], minlength=centroids.shape[0])
        keep = np.flatnonzero(sizes >= min_size)
        keep = keep[np.argsort(-sizes[keep], kind="stable")]
        remap = np.full(centroids.shape[0], OTHER)
        remap[keep] = np.arange(keep.size)
        labels = np.where(labels >= 0, remap[np.maximum(labels, 0)], OTHER)
        new_centroids = np.zeros((keep.size, self.embedding_.shape[1]), dtype=np.float32)
        for new_id in range(keep.size):
            new_centroids[new_id] = self.embedding_[labels == new_id].mean(axis=0)
        if keep.size == 0:
            return labels, new_centroids
        return labels, normalize(new_centroids)

    def _min_cluster_size(self, n_docs: int) -> int:
        if self.min_cluster_size is not None:
            return self.min_cluster_size
        if n_docs < 200:
            return 2
        return int(min(5, 2 + n_docs // 1000))

    def _describe(self, cluster: int, terms: list[str], weights: np.ndarray) -> Cluster:
        members = np.flatnonzero(self.labels_ == cluster)
        closeness = self.embedding_[members] @ self.cluster_centers_[cluster]
        central = members[np.argsort(-closeness, kind="stable")[: self.n_representatives]]
        center = self.cluster_centers_2d_[cluster]
        return Cluster(
            id=cluster,
            label=compose_label(terms),
            terms=terms,
            size=int(members.size),
            support=float(weights[members].sum()),
            representatives=[int(i) for i in central],
            center_2d=(float(center[0]), float(center[1])),
        )


def _count_distinct(vectors: np.ndarray, cap: int = 10_000) -> int:
    """Number of distinct rows (up to ``cap``; exact counting beyond is not needed)."""
    if vectors.shape[0] == 0:
        return 0
    rounded = np.round(vectors[: cap * 2], 4)
    return (
        int(min(cap, np.unique(rounded, axis=0).shape[0])) if vectors.shape[0] <= cap * 2 else cap
    )


def _spherical_kmeans(
    vectors: np.ndarray, k: int, n_init: int, rng: np.random.RandomState, allow_minibatch: bool
) -> tuple[np.ndarray, np.ndarray]:
    """k-means on unit vectors with unit-length centroids (cosine geometry)."""
    n_docs = vectors.shape[0]
    if k <= 0 or n_docs == 0:
        return np.zeros(n_docs, dtype=int), np.zeros((0, vectors.shape[1]), dtype=np.float32)
    if k == 1:
        centroid = normalize(vectors.mean(axis=0, keepdims=True))
        return np.zeros(n_docs, dtype=int), centroid.astype(np.float32)
    seed = rng.randint(np.iinfo(np.int32).max)
    if n_docs > _FULL_KMEANS_MAX_DOCS and allow_minibatch:
        model = MiniBatchKMeans(
            n_clusters=k, n_init=max(1, n_init), batch_size=4096, random_state=seed
        )
    else:
        model = KMeans(n_clusters=k, n_init=max(1, n_init), random_state=seed)
    with warnings.catch_warnings():
        # Near-identical texts can leave fewer distinct points than k; k-means then
        # warns and returns duplicate centroids, which the size filter later dissolves.
        warnings.simplefilter("ignore", ConvergenceWarning)
        # float64: scikit-learn's distances on float32 go through a slow upcasting path.
        labels = model.fit_predict(vectors.astype(np.float64))
    return labels.astype(int), normalize(model.cluster_centers_).astype(np.float32)
