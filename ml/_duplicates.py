"""Groups of near-duplicate ideas: the same idea in other words, word forms or with typos.

Two texts are near-duplicates when their :func:`ml.pair_scores` similarity reaches the
threshold; groups are the connected components of that relation. Comparing all pairs
costs n², so above ``exact_below`` texts candidates come from blocking: LSA vectors are
split into about √n coarse k-means cells, each text joins its two nearest cells, and
within a cell every text keeps its ``n_candidates`` most similar cell-mates. Only those
candidate pairs are scored exactly on the sparse TF-IDF rows.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp
from sklearn.cluster import MiniBatchKMeans
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from threadpoolctl import threadpool_limits

from ml._normalize import normalize_texts
from ml._reduce import LsaReducer
from ml._similarity import number_factor, numbers_of, rowwise_dot
from ml._vectorize import similarity_vectorizer

logger = logging.getLogger(__name__)

#: Default similarity for "the same idea"; see docs/benchmarks.md for how it behaves.
DEFAULT_DUPLICATE_THRESHOLD = 0.6
_EXACT_CHUNK = 2_000
_CELLS_PROBED = 2


def find_duplicate_groups(
    texts: Sequence[str],
    threshold: float = DEFAULT_DUPLICATE_THRESHOLD,
    *,
    normalized: bool = False,
    n_candidates: int = 5,
    exact_below: int = 2_000,
    random_state: int | None = 0,
    threads: int | None = 1,
) -> list[list[int]]:
    """Return groups (lists of indices into ``texts``) of near-duplicate texts.

    Each group has at least two members, is sorted, and groups are sorted by their first
    index. Texts that normalize to nothing (emoji, punctuation) never match. ``threads``
    limits BLAS/OpenMP threads as in :class:`ml.IdeaClusterer`.
    """
    if not 0.0 < threshold <= 1.0:
        raise ValueError(f"threshold must be within (0, 1], got {threshold}")
    normalized_texts = normalize_texts(texts, normalized=normalized)
    if len(normalized_texts) < 2:
        return []
    matrix = similarity_vectorizer().fit_transform(normalized_texts)
    with threadpool_limits(limits=threads):
        if matrix.shape[0] <= exact_below:
            left, right, scores = _exact_pairs(matrix, threshold)
        else:
            left, right = _blocked_candidates(matrix, n_candidates, random_state)
            scores = _pair_scores_by_chunks(matrix, left, right)
    numbers = [numbers_of(text) for text in normalized_texts]
    factors = np.array(
        [number_factor(numbers[i], numbers[j]) for i, j in zip(left, right, strict=True)]
    )
    keep = scores * factors >= threshold if factors.size else np.zeros(0, dtype=bool)
    return _components(matrix.shape[0], left[keep], right[keep])


def _pair_scores_by_chunks(
    matrix: sp.csr_matrix, left: np.ndarray, right: np.ndarray, chunk: int = 10_000
) -> np.ndarray:
    """Exact scores of candidate pairs, gathering a bounded number of rows at a time."""
    scores = np.empty(left.size, dtype=np.float64)
    for start in range(0, left.size, chunk):
        stop = start + chunk
        scores[start:stop] = rowwise_dot(matrix[left[start:stop]], matrix[right[start:stop]])
    return scores


def _exact_pairs(
    matrix: sp.csr_matrix, threshold: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """All pairs i < j with similarity ≥ threshold and their scores, by chunked products."""
    transposed = matrix.T.tocsc()
    lefts: list[np.ndarray] = []
    rights: list[np.ndarray] = []
    scores: list[np.ndarray] = []
    for start in range(0, matrix.shape[0], _EXACT_CHUNK):
        block = (matrix[start : start + _EXACT_CHUNK] @ transposed).tocoo()
        rows = block.row + start
        keep = (block.data >= threshold) & (block.col > rows)
        lefts.append(rows[keep])
        rights.append(block.col[keep])
        scores.append(block.data[keep])
    return np.concatenate(lefts), np.concatenate(rights), np.concatenate(scores)


def _blocked_candidates(
    matrix: sp.csr_matrix, n_candidates: int, random_state: int | None
) -> tuple[np.ndarray, np.ndarray]:
    """Candidate pairs (i < j, unique) from coarse LSA cells."""
    rng = check_random_state(random_state)
    embedding = LsaReducer(n_components=64, random_state=rng.randint(2**31 - 1)).fit_transform(
        matrix
    )
    n_docs = embedding.shape[0]
    n_cells = max(2, int(np.sqrt(n_docs)))
    with warnings.catch_warnings():
        # Many identical texts leave fewer distinct points than cells; that is harmless here.
        warnings.simplefilter("ignore", ConvergenceWarning)
        cells = MiniBatchKMeans(
            n_clusters=n_cells, n_init=1, batch_size=4096, random_state=rng.randint(2**31 - 1)
        ).fit(embedding)
    centers = cells.cluster_centers_.astype(np.float32)
    nearest = np.empty((n_docs, _CELLS_PROBED), dtype=np.int64)
    for start in range(0, n_docs, 20_000):
        sims = embedding[start : start + 20_000] @ centers.T
        nearest[start : start + 20_000] = np.argsort(-sims, axis=1)[:, :_CELLS_PROBED]
    members = [[] for _ in range(n_cells)]
    for probe in range(_CELLS_PROBED):
        order = np.argsort(nearest[:, probe], kind="stable")
        bounds = np.searchsorted(nearest[order, probe], np.arange(n_cells + 1))
        for cell in range(n_cells):
            members[cell].append(order[bounds[cell] : bounds[cell + 1]])
    pairs: list[np.ndarray] = []
    for cell in range(n_cells):
        docs = np.unique(np.concatenate(members[cell]))
        if docs.size < 2:
            continue
        sims = embedding[docs] @ embedding[docs].T
        np.fill_diagonal(sims, -np.inf)
        top = min(n_candidates, docs.size - 1)
        best = np.argpartition(-sims, top - 1, axis=1)[:, :top]
        left = np.repeat(docs, top)
        right = docs[best.ravel()]
        pairs.append(np.stack([np.minimum(left, right), np.maximum(left, right)], axis=1))
    if not pairs:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty
    unique = np.unique(np.concatenate(pairs), axis=0)
    logger.debug("duplicate blocking: %d candidate pairs for %d texts", len(unique), n_docs)
    return unique[:, 0], unique[:, 1]


def _components(n_docs: int, left: np.ndarray, right: np.ndarray) -> list[list[int]]:
    if left.size == 0:
        return []
    graph = sp.coo_matrix((np.ones(left.size), (left, right)), shape=(n_docs, n_docs))
    _, component = sp.csgraph.connected_components(graph, directed=False)
    sizes = np.bincount(component)
    groups: dict[int, list[int]] = {}
    for doc in np.flatnonzero(sizes[component] > 1):
        groups.setdefault(int(component[doc]), []).append(int(doc))
    return sorted(groups.values(), key=lambda group: group[0])
