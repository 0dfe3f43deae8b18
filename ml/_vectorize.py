"""Sparse TF-IDF vectors of normalized texts: lemma n-grams plus character n-grams.

Lemma unigrams and bigrams carry the meaning; character n-grams inside word boundaries
catch typos and words pymorphy3 does not know. Both blocks are L2-normalized and
weighted so that the dot product of two rows is
``word_weight * cos_words + (1 - word_weight) * cos_chars``, a similarity in [0, 1].
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction.text import HashingVectorizer, TfidfTransformer, TfidfVectorizer
from sklearn.preprocessing import normalize
from sklearn.utils.validation import check_is_fitted

from ml._normalize import strip_number_values

logger = logging.getLogger(__name__)

#: Below this many documents a document-frequency ceiling removes too much.
_MIN_DOCS_FOR_MAX_DF = 50


def split_words(text: str) -> list[str]:
    """Tokenizer for normalized text, which is already space-joined lemmas."""
    return text.split()


def similarity_vectorizer() -> IdeaVectorizer:
    """The settings shared by pair scores, duplicate groups and the similarity index.

    Lemma unigrams (word order rarely changes what an idea asks for, and bigrams made
    paraphrase ranking worse), numbers kept, and more weight on short character
    n-grams (2–4), which tie typos and related words («экспорт», «экспортировать») together
    in texts of a dozen words. Chosen among a handful of settings on the development
    paraphrase pairs; see docs/benchmarks.md.
    """
    return IdeaVectorizer(
        word_ngram_range=(1, 1), char_ngram_range=(2, 4), word_weight=0.3, keep_numbers=True
    )


class IdeaVectorizer(TransformerMixin, BaseEstimator):
    """TF-IDF of normalized texts: lemma 1–2-grams and hashed ``char_wb`` n-grams.

    Parameters
    ----------
    word_ngram_range, char_ngram_range:
        n-gram ranges of the two blocks.
    word_weight:
        Share of the lemma block in the dot product (0 = characters only, 1 = lemmas only).
    max_df:
        Lemma n-grams in more than this share of documents are dropped as generic
        (applied from 50 documents on; smaller sets keep everything).
    min_df:
        Lemma n-grams in fewer documents are dropped.
    char_features:
        Hash space of the character block (hashing needs no vocabulary in memory).
    keep_numbers:
        Keep the digits of ``_num_12`` tokens (duplicates: «маршрут 12» is not «маршрут
        45»); False maps them all to ``_num_`` (topics do not depend on house numbers).
    """

    def __init__(
        self,
        word_ngram_range: tuple[int, int] = (1, 2),
        char_ngram_range: tuple[int, int] = (3, 5),
        word_weight: float = 0.5,
        max_df: float = 0.5,
        min_df: int = 1,
        char_features: int = 2**20,
        keep_numbers: bool = True,
    ) -> None:
        self.word_ngram_range = word_ngram_range
        self.char_ngram_range = char_ngram_range
        self.word_weight = word_weight
        self.max_df = max_df
        self.min_df = min_df
        self.char_features = char_features
        self.keep_numbers = keep_numbers

    def fit(self, texts: Sequence[str], y: object = None) -> IdeaVectorizer:
        """Learn the lemma vocabulary and both IDF vectors from normalized texts."""
        self.fit_transform(texts)
        return self

    def fit_transform(self, texts: Sequence[str], y: object = None) -> sp.csr_matrix:
        """Fit and return the weighted, stacked TF-IDF rows of ``texts``."""
        texts = list(texts)
        if not texts:
            raise ValueError("IdeaVectorizer needs at least one text")
        if not 0.0 <= self.word_weight <= 1.0:
            raise ValueError(f"word_weight must be within [0, 1], got {self.word_weight}")
        n_docs = len(texts)
        max_df = self.max_df if n_docs >= _MIN_DOCS_FOR_MAX_DF else 1.0
        min_df = self.min_df if n_docs >= _MIN_DOCS_FOR_MAX_DF else 1
        self.word_vectorizer_ = TfidfVectorizer(
            tokenizer=split_words,
            token_pattern=None,
            lowercase=False,
            preprocessor=self._preprocessor(),
            ngram_range=self.word_ngram_range,
            sublinear_tf=True,
            max_df=max_df,
            min_df=min_df,
            dtype=np.float32,
        )
        try:
            words = self.word_vectorizer_.fit_transform(texts)
        except ValueError:
            # Only empty texts, or every lemma was too frequent: fall back to all lemmas.
            self.word_vectorizer_.set_params(max_df=1.0, min_df=1)
            try:
                words = self.word_vectorizer_.fit_transform(texts)
            except ValueError:
                self.word_vectorizer_ = None
                words = sp.csr_matrix((n_docs, 0), dtype=np.float32)
        self.char_hasher_ = self._char_hasher()
        self.char_idf_ = TfidfTransformer(sublinear_tf=True)
        chars = self.char_idf_.fit_transform(self.char_hasher_.transform(texts))
        self.n_features_out_ = words.shape[1] + chars.shape[1]
        logger.debug("vectorized %d texts: %d lemma n-grams", n_docs, words.shape[1])
        return self._stack(words, chars)

    def transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        """Vectorize normalized texts with the fitted vocabulary and IDF."""
        check_is_fitted(self, "char_idf_")
        texts = list(texts)
        if self.word_vectorizer_ is None:
            words = sp.csr_matrix((len(texts), 0), dtype=np.float32)
        else:
            words = self.word_vectorizer_.transform(texts)
        chars = self.char_idf_.transform(self.char_hasher_.transform(texts))
        return self._stack(words, chars)

    def word_block(self, matrix: sp.csr_matrix) -> sp.csr_matrix:
        """The lemma columns of a matrix returned by ``transform``."""
        n_words = self.n_words_
        return matrix[:, :n_words]

    @property
    def n_words_(self) -> int:
        """Number of lemma n-gram columns (they come first)."""
        check_is_fitted(self, "char_idf_")
        if self.word_vectorizer_ is None:
            return 0
        return len(self.word_vectorizer_.vocabulary_)

    def word_names(self) -> np.ndarray:
        """Lemma n-grams in column order."""
        if self.word_vectorizer_ is None:
            return np.array([], dtype=object)
        return self.word_vectorizer_.get_feature_names_out()

    def _preprocessor(self) -> Callable[[str], str] | None:
        return None if self.keep_numbers else strip_number_values

    def _char_hasher(self) -> HashingVectorizer:
        return HashingVectorizer(
            analyzer="char_wb",
            ngram_range=self.char_ngram_range,
            lowercase=False,
            preprocessor=self._preprocessor(),
            n_features=self.char_features,
            alternate_sign=False,
            norm=None,
            dtype=np.float32,
        )

    def _stack(self, words: sp.spmatrix, chars: sp.spmatrix) -> sp.csr_matrix:
        weight = float(self.word_weight)
        blocks = [
            _unit_rows(words) * np.float32(np.sqrt(weight)),
            _unit_rows(chars) * np.float32(np.sqrt(1.0 - weight)),
        ]
        return sp.hstack(blocks, format="csr", dtype=np.float32)


def _unit_rows(matrix: sp.spmatrix) -> sp.csr_matrix:
    """L2-normalize rows; empty rows and empty matrices stay as they are."""
    if matrix.shape[1] == 0:
        return sp.csr_matrix(matrix.shape, dtype=np.float32)
    return normalize(matrix.tocsr())
