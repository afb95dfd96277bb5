"""The redundancy share |C| / N of each question: its BLEU-cluster size over the pool it is in.

The paper clusters the G questions of one image (note §2.1); the code clusters every question of
the rollout batch (note §2.2, §9.2 item 10). Invalid questions enter the pool as empty strings, as
in the code: an empty text has BLEU 0 with everything, so it is a singleton that only counts in N.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from zeroplay.answers.diversity import bleu_cluster_sizes

from .config import DiversityScope


@dataclass(frozen=True)
class ClusterShare:
    """One question's cluster size and the number of questions clustered together."""

    cluster_size: int
    pool_size: int

    @property
    def share(self) -> float:
        return self.cluster_size / self.pool_size


def cluster_shares(
    groups: Sequence[Sequence[str]], scope: DiversityScope, distance_threshold: float
) -> list[list[ClusterShare]]:
    """Cluster shares for questions given per image (`groups[i][k]`), in the same layout.

    `scope="image"` clusters each group on its own; `scope="batch"` clusters all of them at once.
    """
    if scope == "image":
        return [_pool_shares(list(group), distance_threshold) for group in groups]
    flat = [text for group in groups for text in group]
    shares = _pool_shares(flat, distance_threshold)
    out: list[list[ClusterShare]] = []
    start = 0
    for group in groups:
        out.append(shares[start : start + len(group)])
        start += len(group)
    return out


def _pool_shares(texts: list[str], distance_threshold: float) -> list[ClusterShare]:
    if not texts:
        return []
    sizes = bleu_cluster_sizes(texts, distance_threshold)
    return [ClusterShare(size, len(texts)) for size in sizes]
