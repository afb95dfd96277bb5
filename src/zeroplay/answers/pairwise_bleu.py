"""All-pairs sentence BLEU of a list of texts, vectorised, equal to NLTK's pair-by-pair loop.

The reference code (visplay.md §2.4, mm_zero.md §4.1) fills the upper triangle with
`sentence_bleu([t_j.split()], t_i.split(), smoothing_function=method1)` for i < j: text i is the
hypothesis, text j the reference. That is 8.4 M calls (~19 CPU-minutes) at N = 4096.

Clipped matches. For order n, m_n(i, j) = sum over n-grams g of min(c_i(g), c_j(g)), which is
symmetric in i and j. Since min(a, b) = sum over t >= 1 of [a >= t][b >= t], the matches are
sum_t B_t B_t^T with binary matrices B_t = [count >= t]. N-grams found in one text only add to
the diagonal and are dropped first. Orders are packed into one product: the columns of order n
are scaled by base^(n-1) on one side, so the product holds sum_n base^(n-1) m_n, an exact integer
(base exceeds every m_n). Frequent n-grams go through a dense BLAS product, rare ones through a
sparse product.

Exact values. A pair's BLEU is BP(h, r) * P(h, m_1..m_4) (`bleu_exact`). P is evaluated once per
distinct (h, m) key and BP once per distinct length pair, both with NLTK's own float operations,
and their product is the same single rounding NLTK does, so every value is NLTK's float.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp

from zeroplay.answers.bleu_exact import MAX_ORDER, brevity_penalty, precision_mean

# An n-gram shared by at least this fraction of the texts goes into the dense product.
_DENSE_SHARE = 1 / 8
# Largest integers float32 / float64 products hold exactly.
_FLOAT32_EXACT = 2**24
_FLOAT64_EXACT = 2**53
# Keys below this size are made unique with a lookup table instead of a sort.
_TABLE_LIMIT = 2**25


def _condensed(square: np.ndarray, dtype: type) -> np.ndarray:
    """The strict upper triangle of a square matrix, row by row (scipy's condensed order)."""
    n = square.shape[0]
    out = np.empty(n * (n - 1) // 2, dtype=dtype)
    offset = 0
    for i in range(n - 1):
        width = n - 1 - i
        out[offset : offset + width] = square[i, i + 1 :]
        offset += width
    return out


def _shared_ngram_levels(token_lists: Sequence[list[str]], order: int) -> sp.csr_matrix:
    """Binary text x (n-gram, level t) matrix [count >= t], for n-grams found in 2+ texts."""
    ids: dict[tuple[str, ...], int] = {}
    rows: list[int] = []
    cols: list[int] = []
    for row, tokens in enumerate(token_lists):
        for start in range(len(tokens) - order + 1):
            rows.append(row)
            cols.append(ids.setdefault(tuple(tokens[start : start + order]), len(ids)))
    counts = sp.csr_matrix(
        (np.ones(len(rows), dtype=np.int64), (np.asarray(rows), np.asarray(cols, dtype=np.int64))),
        shape=(len(token_lists), len(ids)),
    )
    counts.sum_duplicates()
    shared = np.flatnonzero(np.bincount(counts.indices, minlength=len(ids)) >= 2)
    counts = counts[:, shared].tocsr()
    max_count = int(counts.data.max()) if counts.nnz else 0
    levels = []
    for level in range(1, max_count + 1):
        layer = counts.copy()
        layer.data = (layer.data >= level).astype(np.int64)
        layer.eliminate_zeros()
        levels.append(layer)
    if not levels:
        return sp.csr_matrix((len(token_lists), 0), dtype=np.int64)
    return sp.hstack(levels, format="csr")


def _packed_matches(
    token_lists: Sequence[list[str]], orders: Sequence[int], base: int, dtype: type
) -> np.ndarray:
    """Dense N x N matrix of sum over `orders` of base^k * m_order (k = position in `orders`)."""
    n = len(token_lists)
    scaled, plain = [], []
    for k, order in enumerate(orders):
        levels = _shared_ngram_levels(token_lists, order)
        plain.append(levels)
        scaled.append(levels * base**k)
    left = sp.hstack(scaled, format="csc")
    right = sp.hstack(plain, format="csc")
    frequency = np.diff(right.indptr)  # texts per column
    dense_min = max(2, int(n * _DENSE_SHARE))
    dense = np.flatnonzero(frequency >= dense_min)
    rare = np.flatnonzero(frequency < dense_min)
    packed = np.zeros((n, n), dtype=dtype)
    if dense.size:
        packed += left[:, dense].toarray().astype(dtype) @ right[:, dense].toarray().astype(dtype).T
    if rare.size:
        product = (left[:, rare].tocsr() @ right[:, rare].tocsr().T).tocoo()
        packed[product.row, product.col] += product.data.astype(dtype)
    return packed


def _order_groups(base: int) -> tuple[list[list[int]], type]:
    """Split orders 1..4 into as few packed products as stay exact, and their float type."""
    for size in (MAX_ORDER, 2, 1):
        for limit, dtype in ((_FLOAT32_EXACT, np.float32), (_FLOAT64_EXACT, np.float64)):
            if base**size <= limit:
                orders = list(range(1, MAX_ORDER + 1))
                return [orders[k : k + size] for k in range(0, MAX_ORDER, size)], dtype
    raise ValueError(f"texts too long for exact BLEU matching (base {base})")


def _unique_inverse(keys: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Sorted distinct keys (non-negative, < size) and each key's position among them."""
    if size <= _TABLE_LIMIT:
        present = np.zeros(size, dtype=bool)
        present[keys] = True
        distinct = np.flatnonzero(present)
        position = np.zeros(size, dtype=np.int64)
        position[distinct] = np.arange(distinct.size)
        return distinct, position[keys]
    distinct, inverse = np.unique(keys, return_inverse=True)
    return distinct, inverse.reshape(-1)


def condensed_bleu(texts: Sequence[str]) -> np.ndarray:
    """BLEU(hyp = texts[i], ref = texts[j]) for all i < j, in scipy's condensed order (float64).

    Whitespace tokens (`str.split()`), BLEU-4 with uniform weights and NLTK's method1 smoothing.
    """
    token_lists = [text.split() for text in texts]
    n = len(token_lists)
    if n < 2:
        return np.zeros(0, dtype=np.float64)
    lengths = np.array([len(tokens) for tokens in token_lists], dtype=np.int64)
    # A pair's matches never exceed the shorter text's length, so the second-longest text bounds
    # every m_n; base is one more.
    base = int(np.sort(lengths)[-2]) + 1
    groups, dtype = _order_groups(base)
    group_values = [
        _condensed(_packed_matches(token_lists, orders, base, dtype), np.int64) for orders in groups
    ]
    hyp_len = np.repeat(lengths[:-1], np.arange(n - 1, 0, -1))  # lengths[i] for pair (i, j)

    # P(h, m): key = h * base^4 + sum_n base^(n-1) m_n, made unique, evaluated once per key.
    max_len = int(lengths.max())
    if (max_len + 1) * base**MAX_ORDER < 2**63:
        key = hyp_len * base**MAX_ORDER
        for k, values in enumerate(group_values):
            key += values * base ** (k * len(groups[0]))
        distinct, inverse = _unique_inverse(key, (max_len + 1) * base**MAX_ORDER)
        decoded = [divmod(int(k), base**MAX_ORDER) for k in distinct]
    else:
        stacked = np.stack([hyp_len, *group_values], axis=1)
        rows, inverse = np.unique(stacked, axis=0, return_inverse=True)
        inverse = inverse.reshape(-1)
        group_span = base ** len(groups[0])
        decoded = [
            (int(row[0]), sum(int(v) * group_span**k for k, v in enumerate(row[1:])))
            for row in rows
        ]
    means = np.array(
        [
            precision_mean(h, [(packed // base**k) % base for k in range(MAX_ORDER)])
            for h, packed in decoded
        ],
        dtype=np.float64,
    )

    # BP(h, r) on the grid of distinct lengths.
    distinct_lengths, rank = np.unique(lengths, return_inverse=True)
    penalties = np.array(
        [[brevity_penalty(int(h), int(r)) for r in distinct_lengths] for h in distinct_lengths],
        dtype=np.float64,
    )
    hyp_rank = np.repeat(rank[:-1], np.arange(n - 1, 0, -1))
    ref_rank = _condensed(np.broadcast_to(rank, (n, n)), np.int64)
    return penalties[hyp_rank, ref_rank] * means[inverse]
