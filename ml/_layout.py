"""2-D coordinates of documents and cluster centers for an "idea map".

Cluster centers are placed by a PCA of the centroids (so similar clusters sit close);
each document sits at the similarity-weighted mean of its nearest centers, spread a
little by its own position relative to its centroid. This is linear in the number of
documents, deterministic, and keeps clusters visually apart, unlike a PCA of all
documents, where 100 topics collapse into one blob.
"""

from __future__ import annotations

import numpy as np
from sklearn.decomposition import PCA

#: Higher values pull documents closer to their single nearest center.
_SHARPNESS = 12.0
#: Spread of documents around their center, relative to the typical gap between centers.
_SPREAD = 0.35
_NEAREST_CENTERS = 3


def layout_2d(
    embedding: np.ndarray, centroids: np.ndarray, labels: np.ndarray, random_state: int | None
) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(doc_coords (n, 2), center_coords (k, 2))`` scaled into [-1, 1]."""
    n_docs = embedding.shape[0]
    n_centers = centroids.shape[0]
    if n_docs == 0:
        return np.zeros((0, 2)), np.zeros((n_centers, 2))
    if n_centers < 3:
        coords = _pca_2d(embedding, random_state)
        centers = np.array(
            [
                coords[labels == c].mean(axis=0) if np.any(labels == c) else np.zeros(2)
                for c in range(n_centers)
            ]
        ).reshape(n_centers, 2)
        return _scale(coords, centers)
    centers = _pca_2d(centroids, random_state)
    gaps = np.linalg.norm(centers[:, None, :] - centers[None, :, :], axis=2)
    gaps[np.diag_indices_from(gaps)] = np.inf
    typical_gap = float(np.median(gaps.min(axis=1)))
    coords = np.empty((n_docs, 2))
    local = _local_axes(embedding, centroids, labels, random_state)
    for start in range(0, n_docs, 10_000):
        block = embedding[start : start + 10_000]
        sims = block @ centroids.T
        nearest = np.argsort(-sims, axis=1)[:, :_NEAREST_CENTERS]
        top = np.take_along_axis(sims, nearest, axis=1)
        weights = np.exp(_SHARPNESS * (top - top[:, :1]))
        weights /= weights.sum(axis=1, keepdims=True)
        coords[start : start + 10_000] = np.einsum("nk,nkd->nd", weights, centers[nearest])
    coords += _SPREAD * typical_gap * local
    return _scale(coords, centers)


def _local_axes(
    embedding: np.ndarray, centroids: np.ndarray, labels: np.ndarray, random_state: int | None
) -> np.ndarray:
    """Each document's offset from its centroid on the two main within-cluster axes."""
    own = np.where(labels >= 0, labels, 0)
    residual = embedding - centroids[own]
    residual[labels < 0] = 0.0
    if residual.shape[0] < 3 or not np.any(residual):
        return np.zeros((residual.shape[0], 2))
    projected = _pca_2d(residual, random_state)
    scale = np.abs(projected).max(axis=0)
    scale[scale == 0] = 1.0
    return projected / scale


def _pca_2d(points: np.ndarray, random_state: int | None) -> np.ndarray:
    if points.shape[0] >= 2 and np.ptp(points, axis=0).max(initial=0.0) == 0.0:
        return np.zeros((points.shape[0], 2))  # all points equal: PCA would divide by zero
    if points.shape[0] < 2 or points.shape[1] < 2:
        out = np.zeros((points.shape[0], 2))
        if points.shape[0] >= 2:
            out[:, 0] = points[:, 0] - points[:, 0].mean()
        return out
    n_components = min(2, points.shape[0], points.shape[1])
    projected = PCA(n_components=n_components, random_state=random_state).fit_transform(
        points.astype(np.float64)
    )
    if n_components < 2:
        projected = np.hstack([projected, np.zeros((points.shape[0], 1))])
    return projected


def _scale(coords: np.ndarray, centers: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    extent = float(np.abs(coords).max()) if coords.size else 0.0
    if extent == 0.0 or not np.isfinite(extent):
        return coords, centers
    return coords / extent, centers / extent
