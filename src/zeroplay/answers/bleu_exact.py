"""NLTK's sentence-BLEU arithmetic, bit for bit, from match counts instead of token lists.

For one hypothesis and one reference, NLTK's `sentence_bleu(..., smoothing_function=method1)`
with the default uniform 4-gram weights depends only on the hypothesis length h, the reference
length r and the clipped n-gram matches m_1..m_4:

    p_n  = m_n / d_n                    with d_n = max(1, h - n + 1) (hypothesis n-gram count)
    p_n  = 0.1 / d_n                    when m_n = 0 (method1 adds epsilon = 0.1 to the numerator)
    BP   = 1 if h > r else exp(1 - r/h)
    BLEU = BP * exp(fsum(0.25 * log p_n))   and BLEU = 0 when m_1 = 0

A hypothesis shorter than n has no n-grams, so m_n = 0 and d_n = 1. Every operation below is the
one NLTK performs, in the same order and precision (int/int true division, `math.log`,
`math.fsum`, `math.exp`, one final product), so the result is the identical float.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

MAX_ORDER = 4
WEIGHT = 0.25  # uniform BLEU-4 weights
EPSILON = 0.1  # SmoothingFunction().method1 default


def ngram_count(length: int, order: int) -> int:
    """NLTK's precision denominator for this order: the hypothesis n-gram count, at least 1."""
    return max(1, length - order + 1)


def brevity_penalty(hyp_len: int, ref_len: int) -> float:
    """BLEU's brevity penalty for one hypothesis and one reference (0.0 for an empty hypothesis)."""
    if hyp_len > ref_len:
        return 1.0
    if hyp_len == 0:
        return 0.0
    return math.exp(1 - ref_len / hyp_len)


def precision_mean(hyp_len: int, matches: Sequence[int]) -> float:
    """exp(fsum(0.25 * log p_n)) with method1 smoothing; 0.0 when no unigram matches."""
    if matches[0] == 0:
        return 0.0
    log_terms = []
    for order, matched in enumerate(matches, start=1):
        denominator = ngram_count(hyp_len, order)
        precision = matched / denominator if matched else EPSILON / denominator
        log_terms.append(WEIGHT * math.log(precision))
    return math.exp(math.fsum(log_terms))


def bleu_from_counts(hyp_len: int, ref_len: int, matches: Sequence[int]) -> float:
    """Sentence BLEU-4 with method1 smoothing from lengths and clipped matches per order."""
    return brevity_penalty(hyp_len, ref_len) * precision_mean(hyp_len, matches)
