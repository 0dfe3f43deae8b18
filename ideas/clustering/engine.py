"""The one place the clustering feature calls `ml`: plain lists in, plain results out."""

from __future__ import annotations

import hashlib
import platform
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version

from ml import OTHER, IdeaClusterer, find_duplicate_groups

ENGINE_PACKAGES = ("scikit-learn", "spacy", "pymorphy3", "pymorphy3-dicts-ru", "numpy", "scipy")


@dataclass(frozen=True)
class ClusterResult:
    number: int
    label: str
    terms: list[str]
    size: int
    support: int
    representative_ids: list[int]
    center: tuple[float, float]


@dataclass(frozen=True)
class EngineResult:
    clusters: list[ClusterResult]
    assignments: dict[int, int | None]  # idea id → cluster number, None for «other»
    coords: dict[int, tuple[float, float]]
    duplicates: list[list[int]]  # groups of idea ids
    params: dict[str, object]


def inputs_hash(ids: Sequence[int], texts: Sequence[str]) -> str:
    """Fingerprint of what a run saw: the same ideas with the same texts hash the same."""
    digest = hashlib.sha256()
    for idea_id, text in zip(ids, texts, strict=True):
        digest.update(f"{idea_id}\x1f{text}\x1e".encode())
    return digest.hexdigest()


def software_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for package in ENGINE_PACKAGES:
        try:
            versions[package] = version(package)
        except PackageNotFoundError:
            versions[package] = "not installed"
    return versions


def cluster_ideas(
    ids: Sequence[int],
    normalized_texts: Sequence[str],
    supports: Sequence[int],
    *,
    k: int | None,
    seed: int,
    progress: Callable[[float, str], None],
) -> EngineResult:
    """Cluster the ideas and find near-duplicate groups among them."""
    clusterer = IdeaClusterer(n_clusters=k, random_state=seed)
    clusterer.fit(
        list(normalized_texts),
        normalized=True,
        weights=[float(s) for s in supports],
        progress=lambda fraction, message: progress(0.9 * fraction, message),
    )
    progress(0.92, "duplicates")
    groups = find_duplicate_groups(list(normalized_texts), normalized=True)
    clusters = [
        ClusterResult(
            number=c.id,
            label=c.label,
            terms=list(c.terms),
            size=int(c.size),
            support=round(c.support),
            representative_ids=[int(ids[i]) for i in c.representatives],
            center=(float(c.center_2d[0]), float(c.center_2d[1])),
        )
        for c in clusterer.clusters_
    ]
    return EngineResult(
        clusters=clusters,
        assignments={
            int(ids[i]): (None if int(label) == OTHER else int(label))
            for i, label in enumerate(clusterer.labels_)
        },
        coords={int(ids[i]): (float(x), float(y)) for i, (x, y) in enumerate(clusterer.coords_2d_)},
        duplicates=[[int(ids[i]) for i in group] for group in groups],
        params=dict(clusterer.get_params()),
    )
