"""Similarity of idea texts: pairwise paraphrase scores and a live "similar ideas" index.

Both use :class:`ml.IdeaVectorizer`, whose rows are built so that a dot product is
``word_weight * cos(lemma n-grams) + (1 - word_weight) * cos(character n-grams)``:
lemmas make «очередями» match «очередь», character n-grams make «очeредь с ашибкой»
still match. The score is in [0, 1]; 1 means the same words.
"""

from __future__ import annotations

import logging
from collections.abc import Hashable, Iterable, Sequence

import numpy as np
import scipy.sparse as sp
from sklearn.base import clone

from ml._normalize import NUM_TOKEN, normalize_texts
from ml._vectorize import IdeaVectorizer, similarity_vectorizer

logger = logging.getLogger(__name__)

#: Pending rows are merged into the main matrix when there are this many (or 2 % of it).
_MERGE_PENDING = 256
#: Score factor for two texts with numbers where none is shared: numbers are facts, so
#: «маршрут 12» and «маршрут 45», or «погибли 37» and «погибли 7», are different news.
NUMBER_MISMATCH_FACTOR = 0.8
#: How many best lexical matches a query re-ranks with the number factor.
_RERANK = 50


def numbers_of(normalized_text: str) -> frozenset[str]:
    """The ``_num_<digits>`` tokens of a normalized text."""
    return frozenset(
        word for word in normalized_text.split() if word.startswith(NUM_TOKEN) and word != NUM_TOKEN
    )


def number_factor(left: frozenset[str], right: frozenset[str]) -> float:
    """1, or :data:`NUMBER_MISMATCH_FACTOR` when numbers occur but none is shared."""
    if (left or right) and not (left & right):
        return NUMBER_MISMATCH_FACTOR
    return 1.0


def rowwise_dot(left: sp.csr_matrix, right: sp.csr_matrix, chunk: int = 10_000) -> np.ndarray:
    """Dot product of row i of ``left`` with row i of ``right``, clipped to [0, 1]."""
    out = np.empty(left.shape[0], dtype=np.float64)
    for start in range(0, left.shape[0], chunk):
        stop = start + chunk
        product = left[start:stop].multiply(right[start:stop])
        out[start:stop] = np.asarray(product.sum(axis=1)).ravel()
    return np.clip(out, 0.0, 1.0)


def pair_scores(
    texts_a: Sequence[str],
    texts_b: Sequence[str],
    *,
    normalized: bool = False,
    vectorizer: IdeaVectorizer | None = None,
) -> np.ndarray:
    """How likely ``texts_a[i]`` and ``texts_b[i]`` say the same thing, in [0, 1].

    The score is the weighted cosine of lemma and character n-gram TF-IDF vectors, times
    :data:`NUMBER_MISMATCH_FACTOR` when the texts have numbers but share none.
    Unsupervised: without a fitted ``vectorizer``, the IDF weights are learned from all
    the given texts together (more pairs give better weights; a single pair still gets
    a sensible score from its own words).
    """
    if len(texts_a) != len(texts_b):
        raise ValueError(f"got {len(texts_a)} texts_a but {len(texts_b)} texts_b")
    if not texts_a:
        return np.zeros(0)
    left = normalize_texts(texts_a, normalized=normalized)
    right = normalize_texts(texts_b, normalized=normalized)
    if vectorizer is None:
        vectorizer = similarity_vectorizer().fit(left + right)
    lexical = rowwise_dot(vectorizer.transform(left), vectorizer.transform(right))
    factors = [
        number_factor(numbers_of(a), numbers_of(b)) for a, b in zip(left, right, strict=True)
    ]
    return lexical * np.asarray(factors)


class SimilarityIndex:
    """Find the ideas most similar to a text, while ideas come and go.

    ``fit`` builds the index from all ideas; ``add`` and ``remove`` update it without a
    rebuild (new words outside the fitted lemma vocabulary still match through their
    character n-grams, so refit now and then, e.g. nightly). Queries score against every
    stored idea through an inverted index (columns of a CSC matrix), which costs only
    the postings of the query's own n-grams.

    Scores are those of :func:`ml.pair_scores`. Not thread-safe: guard updates and
    queries with one lock, or keep one index per worker process.

    Parameters
    ----------
    vectorizer:
        An unfitted :class:`ml.IdeaVectorizer` to use instead of the default settings.
    """

    def __init__(self, vectorizer: IdeaVectorizer | None = None) -> None:
        self.vectorizer = vectorizer

    def fit(
        self, ids: Sequence[Hashable], texts: Sequence[str], *, normalized: bool = False
    ) -> SimilarityIndex:
        """Index ``texts`` under ``ids`` (unique, hashable: e.g. database primary keys)."""
        ids = list(ids)
        if len(ids) != len(texts):
            raise ValueError(f"got {len(ids)} ids for {len(texts)} texts")
        if len(set(ids)) != len(ids):
            raise ValueError("ids must be unique")
        normalized_texts = normalize_texts(texts, normalized=normalized)
        self.vectorizer_ = (
            similarity_vectorizer() if self.vectorizer is None else clone(self.vectorizer)
        )
        matrix = self.vectorizer_.fit_transform(normalized_texts or [""])[: len(ids)]
        self._postings = matrix.tocsc()
        self._pending: list[sp.csr_matrix] = []
        self._pending_matrix: sp.csr_matrix | None = None
        self._ids: list[Hashable] = ids
        self._rows: dict[Hashable, int] = {idea_id: row for row, idea_id in enumerate(ids)}
        self._alive = np.ones(len(ids), dtype=bool)
        self._numbers: list[frozenset[str]] = [numbers_of(text) for text in normalized_texts]
        logger.info("similarity index built over %d texts", len(ids))
        return self

    def __len__(self) -> int:
        return len(self._rows)

    def __contains__(self, idea_id: object) -> bool:
        return idea_id in self._rows

    def add(self, idea_id: Hashable, text: str, *, normalized: bool = False) -> None:
        """Add one idea (or replace the text of an existing id)."""
        if idea_id in self._rows:
            self.remove(idea_id)
        normalized_text = normalize_texts([text], normalized=normalized)
        row = self.vectorizer_.transform(normalized_text)
        self._numbers.append(numbers_of(normalized_text[0]))
        self._pending.append(row)
        self._pending_matrix = None
        self._rows[idea_id] = len(self._ids)
        self._ids.append(idea_id)
        self._alive = np.append(self._alive, True)
        if len(self._pending) >= max(_MERGE_PENDING, self._postings.shape[0] // 50):
            self._merge_pending()

    def remove(self, idea_id: Hashable) -> bool:
        """Forget an idea; returns False if the id was not indexed."""
        row = self._rows.pop(idea_id, None)
        if row is None:
            return False
        self._alive[row] = False
        return True

    def query(
        self,
        text: str,
        limit: int = 5,
        *,
        normalized: bool = False,
        exclude: Iterable[Hashable] = (),
    ) -> list[tuple[Hashable, float]]:
        """The ``limit`` most similar ideas as ``(id, score)``, best first, score in [0, 1]."""
        if limit <= 0 or not self._rows:
            return []
        normalized_text = normalize_texts([text], normalized=normalized)
        vector = self.vectorizer_.transform(normalized_text)
        scores = self.scores(vector)
        for idea_id in exclude:
            row = self._rows.get(idea_id)
            if row is not None:
                scores[row] = -1.0
        candidates = np.flatnonzero(scores > 0)
        shortlist = max(limit, _RERANK)
        if candidates.size > shortlist:
            top = np.argpartition(-scores[candidates], shortlist - 1)[:shortlist]
            candidates = candidates[top]
        query_numbers = numbers_of(normalized_text[0])
        final = np.array(
            [scores[row] * number_factor(query_numbers, self._numbers[row]) for row in candidates]
        )
        order = np.lexsort((candidates, -final))[:limit]
        return [(self._ids[candidates[i]], float(min(1.0, final[i]))) for i in order]

    def scores(self, vector: sp.csr_matrix) -> np.ndarray:
        """Similarity of one vectorized text to every stored row (-1 for removed rows)."""
        columns = vector.indices
        values = vector.data.astype(np.float32)
        main = np.asarray(self._postings[:, columns] @ values).ravel()
        if self._pending:
            if self._pending_matrix is None:
                self._pending_matrix = sp.vstack(self._pending, format="csr")
            extra = np.asarray(self._pending_matrix @ vector.T.toarray()).ravel()
            main = np.concatenate([main, extra])
        return np.where(self._alive, main, -1.0)

    def _merge_pending(self) -> None:
        merged = sp.vstack([self._postings.tocsr(), *self._pending], format="csr")
        if (~self._alive).sum() > 0.2 * self._alive.size:
            keep = np.flatnonzero(self._alive)
            merged = merged[keep]
            self._ids = [self._ids[row] for row in keep]
            self._numbers = [self._numbers[row] for row in keep]
            self._rows = {idea_id: row for row, idea_id in enumerate(self._ids)}
            self._alive = np.ones(len(self._ids), dtype=bool)
        self._postings = merged.tocsc()
        self._pending = []
        self._pending_matrix = None
        logger.debug("similarity index merged, %d rows", self._postings.shape[0])
