"""BLEU-based redundancy clusters of generated texts (VisPlay's and MM-Zero's diversity penalty).

The reference algorithm (visplay.md §2.4, mm_zero.md §4.1 step 8): whitespace tokens; distance
d(i, j) = 1 - sentence_bleu([t_j], t_i) with NLTK's method1 smoothing and uniform 4-gram weights,
computed for i < j and mirrored; average-linkage agglomerative clustering of the precomputed
distances, stopped at `distance_threshold` (VisPlay 0.5, MM-Zero 0.25). Clusters are identical to
scikit-learn's `AgglomerativeClustering(n_clusters=None, distance_threshold=t,
metric="precomputed", linkage="average")`: it builds the same scipy average-linkage tree and keeps
the merges below the threshold: with k = #(merge distances >= t) + 1 clusters it keeps the first
n - k merges of the tree, so a merge at exactly t does not happen. Labels are renamed in order of
first appearance (item 0 has label 0).

Note: identical texts shorter than 4 tokens are not at distance 0 (their 3- and 4-gram precisions
are smoothed to 0.1), e.g. two copies of a 2-token text are at distance 1 - 0.1**0.5 = 0.68.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

import numpy as np
from scipy.cluster.hierarchy import linkage

from zeroplay.answers.pairwise_bleu import condensed_bleu


def _find(parent: list[int], item: int) -> int:
    root = item
    while parent[root] != root:
        root = parent[root]
    while parent[item] != root:  # path compression
        parent[item], item = root, parent[item]
    return root


def bleu_cluster_labels(texts: Sequence[str], distance_threshold: float) -> list[int]:
    """Cluster label of every text (first-appearance numbering, see module doc)."""
    if math.isnan(distance_threshold) or distance_threshold < 0:
        raise ValueError(f"distance_threshold must be >= 0, got {distance_threshold}")
    n = len(texts)
    if n < 2:
        return [0] * n
    distances = 1.0 - condensed_bleu(texts)
    tree = linkage(distances, method="average")
    n_clusters = int(np.count_nonzero(tree[:, 2] >= distance_threshold)) + 1
    # Node n + k is the k-th merge; replay the first n - n_clusters merges with union-find.
    parent = list(range(2 * n - 1))
    for k, (left, right) in enumerate(tree[: n - n_clusters, :2].astype(np.int64).tolist()):
        parent[left] = n + k
        parent[right] = n + k
    renamed: dict[int, int] = {}
    return [renamed.setdefault(_find(parent, item), len(renamed)) for item in range(n)]


def bleu_cluster_sizes(texts: Sequence[str], distance_threshold: float) -> list[int]:
    """Size of each text's BLEU cluster (share = size / len(texts) in the reference rewards)."""
    labels = bleu_cluster_labels(texts, distance_threshold)
    sizes = Counter(labels)
    return [sizes[label] for label in labels]
