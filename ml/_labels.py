"""Readable cluster labels from class-based TF-IDF over lemma n-grams.

A term describes a cluster when many of its documents contain it and few others do. We
score each term by ``p_in * log(p_in / p_all)``, where ``p_in`` is the share of the
cluster's documents containing the term and ``p_all`` the share in the whole collection:
frequent-in-cluster terms win, generic terms (``p_in ≈ p_all``) score near zero.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pymorphy3
import scipy.sparse as sp

from ml._normalize import PLACEHOLDER_TOKENS

LABEL_SEPARATOR = " · "
#: Label of the group of ideas that fit no cluster.
OTHER_LABEL = "Другое"


def cluster_terms(
    word_matrix: sp.csr_matrix,
    labels: np.ndarray,
    names: np.ndarray,
    n_clusters: int,
    n_terms: int = 8,
) -> list[list[str]]:
    """Top distinctive lemma n-grams per cluster id ``0..n_clusters-1``.

    ``word_matrix`` holds the lemma block of the TF-IDF rows (any positive value means
    "the document contains the term"); rows labelled -1 count only in the background.
    """
    if word_matrix.shape[1] == 0 or n_clusters == 0:
        return [[] for _ in range(n_clusters)]
    present = word_matrix.copy().tocsr()
    present.data = np.ones_like(present.data)
    n_docs = present.shape[0]
    p_all = np.asarray(present.sum(axis=0)).ravel() / max(n_docs, 1)
    usable = np.array([not _is_placeholder(name) for name in names])
    result: list[list[str]] = []
    for cluster in range(n_clusters):
        members = np.flatnonzero(labels == cluster)
        if members.size == 0:
            result.append([])
            continue
        counts = np.asarray(present[members].sum(axis=0)).ravel()
        p_in = counts / members.size
        with np.errstate(divide="ignore", invalid="ignore"):
            score = np.where(counts > 0, p_in * np.log(p_in / p_all), 0.0)
        # A term seen once in a big cluster is an accident, not a theme.
        score[(counts < 2) & (members.size > 2)] = 0.0
        score[~usable] = 0.0
        order = np.argsort(-score, kind="stable")[: n_terms * 3]
        result.append([str(names[i]) for i in order if score[i] > 0][:n_terms])
    return result


@cache
def _morph() -> pymorphy3.MorphAnalyzer:
    return pymorphy3.MorphAnalyzer()


def readable(term: str) -> str:
    """Make an «adjective noun» lemma pair agree: «электронный очередь» → «электронная очередь».

    Lemmas are masculine singular adjectives; a label reads better in agreement with its
    noun. Anything else is returned unchanged.
    """
    words = term.split()
    if len(words) != 2:
        return term
    morph = _morph()
    adjective, noun = morph.parse(words[0])[0], morph.parse(words[1])[0]
    if adjective.tag.POS != "ADJF" or noun.tag.POS != "NOUN":
        return term
    gender = noun.tag.gender
    wanted = (
        {"nomn", "plur"} if ("Pltm" in noun.tag or gender is None) else {"nomn", "sing", gender}
    )
    inflected = adjective.inflect(wanted)
    if inflected is None:
        return term
    return f"{inflected.word.replace('ё', 'е')} {words[1]}"


def compose_label(terms: list[str], max_parts: int = 3) -> str:
    """Join the top terms (made readable), skipping a term whose words the label has."""
    parts: list[str] = []
    covered: set[str] = set()
    for term in terms:
        words = set(term.split())
        if words <= covered:
            continue
        parts.append(readable(term))
        covered |= words
        if len(parts) == max_parts:
            break
    return LABEL_SEPARATOR.join(parts) if parts else OTHER_LABEL


def _is_placeholder(name: str) -> bool:
    return any(word in PLACEHOLDER_TOKENS for word in name.split())
