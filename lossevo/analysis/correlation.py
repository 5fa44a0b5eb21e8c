"""Paper 000 §3.1: do losses rank alike under different augmentations?

Kendall's tau between techniques over all losses and over the intersection of each pair's
best k (50 in the paper); average-linkage agglomerative clustering of the losses' fitness
profiles into clusters (4 in the paper).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from scipy import stats
from scipy.cluster import hierarchy


def kendall_matrix(
    scores: Mapping[str, Sequence[float]], best_k: int | None = None
) -> dict[tuple[str, str], float]:
    """Kendall's tau for every pair of techniques. `scores[t][i]` is loss i's fitness under
    technique t. With `best_k`, only losses in both techniques' best k count."""
    names = list(scores)
    arrays = {t: np.asarray(scores[t], float) for t in names}
    n = {len(a) for a in arrays.values()}
    if len(n) != 1:
        raise ValueError("every technique needs a score for every loss")
    out = {}
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            x, y = arrays[a], arrays[b]
            keep = np.ones(len(x), bool)
            if best_k is not None:
                top_a = set(np.argsort(-x, kind="stable")[:best_k])
                top_b = set(np.argsort(-y, kind="stable")[:best_k])
                keep = np.isin(np.arange(len(x)), sorted(top_a & top_b))
            tau = stats.kendalltau(x[keep], y[keep]).statistic if keep.sum() >= 2 else float("nan")
            out[(a, b)] = float(tau)
    return out


def cluster_losses(scores: Mapping[str, Sequence[float]], num_clusters: int = 4) -> np.ndarray:
    """Average-linkage agglomerative clustering of the losses' score vectors (one value per
    technique) into `num_clusters` flat clusters; returns labels 1..num_clusters."""
    profiles = np.stack([np.asarray(v, float) for v in scores.values()], axis=1)  # [losses, techniques]
    tree = hierarchy.linkage(profiles, method="average")
    return hierarchy.fcluster(tree, t=num_clusters, criterion="maxclust")
