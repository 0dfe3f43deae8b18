"""Framework-free Russian text → vectors → clusters, labels, duplicates, similarity.

Plain data in, plain data out; nothing here imports Flask, SQLAlchemy or the app.

What the app calls:

- on write: ``get_normalizer().normalize(text)`` → store the normalized text;
- similar ideas: ``SimilarityIndex().fit(ids, normalized_texts, normalized=True)``,
  then ``add`` / ``remove`` / ``query(text, limit)``;
- clustering job: ``IdeaClusterer().fit(texts, normalized=True, weights=supports,
  progress=callback)`` → ``labels_``, ``clusters_``, ``coords_2d_``;
- duplicates: ``find_duplicate_groups(texts, normalized=True)``;
- a single pair: ``pair_scores([a], [b])[0]``.
"""

from ml._cluster import OTHER, Cluster, IdeaClusterer
from ml._duplicates import DEFAULT_DUPLICATE_THRESHOLD, find_duplicate_groups
from ml._evaluate import ClusteringScore, PairScore, evaluate_clustering, evaluate_pairs
from ml._labels import OTHER_LABEL
from ml._normalize import (
    NUM_TOKEN,
    URL_TOKEN,
    NormalFormLemmatizer,
    RussianNormalizer,
    get_normalizer,
    normalize_texts,
)
from ml._progress import ProgressCallback
from ml._reduce import LsaReducer
from ml._similarity import SimilarityIndex, pair_scores
from ml._stopwords import DOMAIN_STOP_WORDS, STOP_WORDS
from ml._vectorize import IdeaVectorizer

__all__ = [
    "DEFAULT_DUPLICATE_THRESHOLD",
    "DOMAIN_STOP_WORDS",
    "NUM_TOKEN",
    "OTHER",
    "OTHER_LABEL",
    "STOP_WORDS",
    "URL_TOKEN",
    "Cluster",
    "ClusteringScore",
    "IdeaClusterer",
    "IdeaVectorizer",
    "LsaReducer",
    "NormalFormLemmatizer",
    "PairScore",
    "ProgressCallback",
    "RussianNormalizer",
    "SimilarityIndex",
    "evaluate_clustering",
    "evaluate_pairs",
    "find_duplicate_groups",
    "get_normalizer",
    "normalize_texts",
    "pair_scores",
]
