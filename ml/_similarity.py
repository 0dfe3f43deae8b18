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

from ml._normalize import normalize_texts
from ml._vectorize import IdeaVectorizer

logger = logging.getLogger(__name__)

#: Pending rows are merged into the main matrix when there are this many (or 2 % of it).
_MERGE_PENDING = 256


def rowwise_dot(left: sp.csr_matrix, right: sp.csr_matrix, chunk: int = 50_000) -> np.ndarray:
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
        vectorizer = IdeaVectorizer().fit(left + right)
    return rowwise_dot(vectorizer.transform(left), vectorizer.transform(right))


class SimilarityIndex:
    """Find the ideas most similar to a text, while ideas come and go.

    ``fit`` builds the index from all ideas; ``add`` and ``remove`` update it without a
    rebuild (new words outside the fitted lemma vocabulary still match through their
    character n-grams, so refit now and then, e.g. nightly). Queries score against every
    stored idea through an inverted index (columns of a CSC matrix), which costs only
    the postings of the query's own n-grams.

    Parameters
    ----------
    word_weight, max_df:
        Passed to :class:`ml.IdeaVectorizer`.
    """

    def __init__(self, word_weight: float = 0.5, max_df: float = 0.5) -> None:
        self.word_weight = word_weight
        self.max_df = max_df

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
        self.vectorizer_ = IdeaVectorizer(word_weight=self.word_weight, max_df=self.max_df)
        matrix = self.vectorizer_.fit_transform(normalized_texts or [""])[: len(ids)]
        self._postings = matrix.tocsc()
        self._pending: list[sp.csr_matrix] = []
        self._pending_matrix: sp.csr_matrix | None = None
        self._ids: list[Hashable] = ids
        self._rows: dict[Hashable, int] = {idea_id: row for row, idea_id in enumerate(ids)}
        self._alive = np.ones(len(ids), dtype=bool)
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
        row = self.vectorizer_.transform(normalize_texts([text], normalized=normalized))
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
        vector = self.vectorizer_.transform(normalize_texts([text], normalized=normalized))
        scores = self.scores(vector)
        for idea_id in exclude:
            row = self._rows.get(idea_id)
            if row is not None:
                scores[row] = -1.0
        candidates = np.flatnonzero(scores > 0)
        if candidates.size > limit:
            top = np.argpartition(-scores[candidates], limit - 1)[:limit]
            candidates = candidates[top]
        order = candidates[np.lexsort((candidates, -scores[candidates]))]
        return [(self._ids[row], float(min(1.0, scores[row]))) for row in order]

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
            self._rows = {idea_id: row for row, idea_id in enumerate(self._ids)}
            self._alive = np.ones(len(self._ids), dtype=bool)
        self._postings = merged.tocsc()
        self._pending = []
        self._pending_matrix = None
        logger.debug("similarity index merged, %d rows", self._postings.shape[0])
