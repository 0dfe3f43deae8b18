"""Latent semantic analysis: sparse TF-IDF rows → short dense unit vectors.

Clustering and the 2-D map need dense vectors where cosine similarity reflects topic
rather than exact wording. The SVD basis is learned on a sample of at most
``max_fit_docs`` rows (randomized SVD cost grows with the number of stored values, and a
basis from 20,000 documents is as good as one from 100,000), then applied to all rows.
"""

from __future__ import annotations

import logging

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.decomposition import TruncatedSVD
from sklearn.preprocessing import normalize
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

logger = logging.getLogger(__name__)


class LsaReducer(TransformerMixin, BaseEstimator):
    """TruncatedSVD on the informative columns, followed by L2 normalization.

    Parameters
    ----------
    n_components:
        Target dimension (lowered automatically for small inputs).
    min_df:
        Columns present in fewer sample rows are ignored: they cannot link documents.
    max_fit_docs:
        Rows sampled to learn the basis.
    n_iter:
        Power iterations of the randomized SVD (2 is enough for clustering).
    random_state:
        Seed for the sample and the SVD.
    """

    def __init__(
        self,
        n_components: int = 100,
        min_df: int = 2,
        max_fit_docs: int = 20_000,
        n_iter: int = 2,
        random_state: int | None = 0,
    ) -> None:
        self.n_components = n_components
        self.min_df = min_df
        self.max_fit_docs = max_fit_docs
        self.n_iter = n_iter
        self.random_state = random_state

    def fit(self, matrix: sp.spmatrix, y: object = None) -> LsaReducer:
        """Learn the column subset and the SVD basis."""
        matrix = sp.csr_matrix(matrix)
        n_rows = matrix.shape[0]
        if n_rows == 0:
            raise ValueError("LsaReducer needs at least one row")
        rng = check_random_state(self.random_state)
        if n_rows > self.max_fit_docs:
            rows = np.sort(rng.choice(n_rows, self.max_fit_docs, replace=False))
            sample = matrix[rows]
        else:
            sample = matrix
        columns, counts = np.unique(sample.indices, return_counts=True)
        kept = columns[counts >= self.min_df]
        if kept.size < 2:
            kept = columns
        self.columns_ = kept
        sample = sample[:, kept]
        n_components = min(self.n_components, sample.shape[0] - 1, sample.shape[1] - 1)
        if n_components < 1:
            # One row or one column: there is nothing to reduce, keep the columns as they are.
            self.svd_ = None
            self.n_components_ = int(kept.size)
            return self
        svd = TruncatedSVD(
            n_components=n_components,
            n_iter=self.n_iter,
            random_state=rng.randint(np.iinfo(np.int32).max),
        )
        # Identical rows have zero variance: only the (unused) explained_variance_ratio_
        # divides by it, so the warning is noise.
        with np.errstate(divide="ignore", invalid="ignore"):
            self.svd_ = svd.fit(sample)
        self.n_components_ = n_components
        logger.debug("LSA: %d components from %d rows x %d columns", n_components, *sample.shape)
        return self

    def transform(self, matrix: sp.spmatrix) -> np.ndarray:
        """Project rows and scale them to unit length (zero rows stay zero)."""
        return self.transform_with_norms(matrix)[0]

    def transform_with_norms(self, matrix: sp.spmatrix) -> tuple[np.ndarray, np.ndarray]:
        """Unit-length projections and the length of each projection before scaling.

        For unit-length input rows the length says how much of a document the LSA
        space captures: near 0 for a text made of words no other text uses.
        """
        check_is_fitted(self, "columns_")
        reduced = sp.csr_matrix(matrix)[:, self.columns_]
        if self.svd_ is None:
            dense = reduced.toarray()
        else:
            dense = np.asarray(reduced @ self.svd_.components_.T.astype(np.float32))
        dense = dense.astype(np.float32, copy=False)
        if dense.shape[1] == 0:
            # Nothing was learned (every text empty): one zero column keeps shapes usable.
            dense = np.zeros((dense.shape[0], 1), dtype=np.float32)
        norms = np.linalg.norm(dense, axis=1)
        return normalize(dense), norms
