"""Batch-level Proposer penalties: BLEU-cluster redundancy and content-type over-representation.

Both range over all valid proposals of the batch (note §4.1 steps 8-9), never per GRPO group.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from zeroplay.answers.diversity import bleu_cluster_sizes
from zeroplay.games.mm_zero.config import MMZeroGameConfig


def text_diversity_penalties(
    captions: Sequence[str],
    easy_questions: Sequence[str],
    hard_questions: Sequence[str],
    config: MMZeroGameConfig,
) -> list[float]:
    """pen_i = clip(n W sum_f w_f (s_f,i - 1/n), -W, W), s_f,i = cluster size / n (note §4.1).

    With s = size / n this is clip(W sum_f w_f (size_f,i - 1), 0, W): a unique item gets 0, an
    item whose caption has k - 1 near-duplicates gets 0.45 W (k - 1) from the caption alone.
    """
    n = len(captions)
    if not (n == len(easy_questions) == len(hard_questions)):
        raise ValueError("captions and questions must have the same length")
    if n == 0:
        return []
    budget = config.diversity_budget
    per_field = [
        bleu_cluster_sizes(list(texts), config.bleu_distance_threshold)
        for texts in (captions, easy_questions, hard_questions)
    ]
    penalties: list[float] = []
    for i in range(n):
        raw = (
            n
            * budget
            * sum(
                weight * (sizes[i] / n - 1.0 / n)
                for weight, sizes in zip(config.diversity_weights, per_field, strict=True)
            )
        )
        penalties.append(min(budget, max(-budget, raw)))
    return penalties


def content_type_penalties(types: Sequence[str], config: MMZeroGameConfig) -> list[float]:
    """weight * (f - t) / (1 - t) for items of a type with share f > t, when >= 2 types occur.

    The note states 0.15 (f - 0.5) / 0.5 for the default t = 0.5, where (1 - t) and t coincide;
    (1 - t) is used so the penalty reaches `weight` when a type fills the whole batch.
    """
    counts = Counter(types)
    n = len(types)
    if n == 0 or len(counts) < 2:
        return [0.0] * n
    threshold = config.content_type_threshold
    penalties: list[float] = []
    for content_type in types:
        share = counts[content_type] / n
        over = share - threshold
        penalties.append(config.content_type_weight * over / (1.0 - threshold) if over > 0 else 0.0)
    return penalties
