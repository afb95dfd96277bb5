"""BLEU clustering equals the NLTK + scikit-learn reference exactly, on awkward corpora too."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from nltk.translate.bleu_score import SmoothingFunction, sentence_bleu
from sklearn.cluster import AgglomerativeClustering

from zeroplay.answers import pairwise_bleu
from zeroplay.answers.bleu_exact import bleu_from_counts
from zeroplay.answers.diversity import bleu_cluster_labels, bleu_cluster_sizes
from zeroplay.answers.pairwise_bleu import condensed_bleu

_SMOOTHING = SmoothingFunction().method1


def _reference_distances(texts: list[str]) -> np.ndarray:
    """The released code's matrix: 1 - BLEU(hyp = t_i, ref = t_j) for i < j, mirrored."""
    n = len(texts)
    distances = np.zeros((n, n))
    for i in range(n):
        for j in range(i + 1, n):
            score = sentence_bleu(
                [texts[j].split()], texts[i].split(), smoothing_function=_SMOOTHING
            )
            distances[i, j] = distances[j, i] = 1 - score
    return distances


def _reference_labels(texts: list[str], threshold: float) -> list[int]:
    clustering = AgglomerativeClustering(
        n_clusters=None, distance_threshold=threshold, metric="precomputed", linkage="average"
    )
    return clustering.fit_predict(_reference_distances(texts)).tolist()


def _same_partition(a: list[int], b: list[int]) -> bool:
    forward: dict[int, int] = {}
    backward: dict[int, int] = {}
    return len(a) == len(b) and all(
        forward.setdefault(x, y) == y and backward.setdefault(y, x) == x
        for x, y in zip(a, b, strict=True)
    )


def _assert_matches_reference(texts: list[str], threshold: float) -> None:
    reference = _reference_distances(texts)
    upper = np.triu_indices(len(texts), k=1)
    assert np.array_equal(1.0 - condensed_bleu(texts), reference[upper])  # bit-identical
    assert _same_partition(
        bleu_cluster_labels(texts, threshold), _reference_labels(texts, threshold)
    )


def test_bleu_by_hand() -> None:
    # Identical 2-token texts: p1 = p2 = 1, p3 = p4 = 0.1 / 1 (smoothed), BP = 1.
    assert bleu_from_counts(2, 2, [2, 1, 0, 0]) == pytest.approx(0.1**0.5)
    # 4 tokens all matching a longer 8-token reference: precisions 1, BP = exp(1 - 8/4).
    assert bleu_from_counts(4, 8, [4, 3, 2, 1]) == pytest.approx(math.exp(-1))
    # No unigram match means 0 whatever the rest.
    assert bleu_from_counts(5, 5, [0, 0, 0, 0]) == 0.0
    # Longer hypothesis: BP = 1; p = (3/4, 1/3, 0.1/2, 0.1/1).
    expected = math.exp((math.log(3 / 4) + math.log(1 / 3) + math.log(0.05) + math.log(0.1)) / 4)
    assert bleu_from_counts(4, 3, [3, 1, 0, 0]) == pytest.approx(expected)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.sampled_from("abcd"), max_size=9),
    st.lists(st.sampled_from("abcd"), max_size=9),
)
def test_single_pair_equals_nltk_exactly(hyp: list[str], ref: list[str]) -> None:
    texts = [" ".join(hyp), " ".join(ref)]
    expected = sentence_bleu([ref], hyp, smoothing_function=_SMOOTHING)
    assert condensed_bleu(texts).tolist() == [float(expected)]


def test_awkward_corpus() -> None:
    texts = [
        "How many bars are in the chart?",
        "How many bars are in the chart?",
        "How many bars are shown in the chart?",
        "",
        "",
        "bars",
        "bars",
        "What is the value of the tallest bar in the chart?",
        "the the the the the",
        "the the",
        "a  b\tc\nd",
        "a b c d",
    ]
    for threshold in (0.25, 0.5, 0.75, 1.0):
        _assert_matches_reference(texts, threshold)
    labels = bleu_cluster_labels(texts, 0.5)
    assert labels[:3] == [0, 0, 0]  # the note's example: one cluster of 3 (BLEU 0.515)
    assert labels[7] not in labels[:3]
    assert len(set(labels[3:5] + labels[5:7])) == 4  # empty and 1-word texts stay apart


def test_merge_exactly_at_the_threshold_does_not_happen() -> None:
    # Disjoint texts are at distance exactly 1.0; scikit-learn merges only below the threshold.
    assert bleu_cluster_labels(["a b", "c d"], 1.0) == [0, 1]
    assert bleu_cluster_labels(["a b", "c d"], 1.0 + 1e-12) == [0, 0]


def test_small_inputs_and_bad_threshold() -> None:
    assert bleu_cluster_labels([], 0.5) == []
    assert bleu_cluster_labels(["only"], 0.5) == [0]
    with pytest.raises(ValueError):
        bleu_cluster_labels(["a", "b"], -0.1)


def test_sizes() -> None:
    texts = ["one two three four five", "one two three four five", "six seven eight nine ten"]
    assert bleu_cluster_sizes(texts, 0.5) == [2, 2, 1]


def test_random_corpora_with_ties() -> None:
    rng = random.Random(7)
    vocab = [f"w{k}" for k in range(10)]
    for _ in range(25):
        texts: list[str] = []
        for _ in range(rng.randint(2, 30)):
            roll = rng.random()
            if roll < 0.1:
                texts.append("")
            elif roll < 0.25 and texts:
                texts.append(rng.choice(texts))
            elif roll < 0.35:
                texts.append(rng.choice(vocab))
            else:
                words = vocab[: rng.randint(2, 10)]
                texts.append(" ".join(rng.choice(words) for _ in range(rng.randint(1, 12))))
        _assert_matches_reference(texts, rng.choice([0.25, 0.5, 0.75]))


def test_long_texts_use_float64_and_sorted_keys() -> None:
    # base 71: 71^4 > 2^24 needs float64 products; the key space exceeds the lookup table.
    rng = random.Random(3)
    texts = [" ".join(rng.choice("abc") for _ in range(70)) for _ in range(4)] + ["a b"]
    assert pairwise_bleu._order_groups(71) == ([[1, 2, 3, 4]], np.float64)
    _assert_matches_reference(texts, 0.5)


def test_very_long_texts_use_split_products() -> None:
    # 10 001 tokens: base^4 exceeds float64's exact range, so orders are packed two by two and
    # the key no longer fits in int64.
    rng = random.Random(5)
    texts = [" ".join(rng.choice("abcdefgh") for _ in range(10_001)) for _ in range(3)]
    assert pairwise_bleu._order_groups(10_002)[0] == [[1, 2], [3, 4]]
    _assert_matches_reference(texts, 0.5)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.lists(st.sampled_from(["x", "y", "z", "x y"]), max_size=7).map(" ".join),
        min_size=2,
        max_size=12,
    ),
    st.sampled_from([0.25, 0.5, 0.9]),
)
def test_property_equals_reference(texts: list[str], threshold: float) -> None:
    _assert_matches_reference(texts, threshold)


@given(st.lists(st.text(max_size=30), max_size=8), st.floats(0, 2))
def test_never_raises_on_any_text(texts: list[str], threshold: float) -> None:
    labels = bleu_cluster_labels(texts, threshold)
    assert len(labels) == len(texts)
    assert sorted(set(labels)) == list(range(len(set(labels))))


def _template_questions(count: int, seed: int) -> list[str]:
    """Questioner-like texts: a few templates over a small vocabulary, with verbatim repeats."""
    rng = random.Random(seed)
    templates = [
        "How many {o} are {p}?",
        "What is the {a} of the {o} {p}?",
        "Which of the {o} {p} has the largest {a}?",
        "Is the {a} of the {o} {p} greater than that of the {o2}?",
    ]
    objects = ["bars", "red cubes", "people", "cars", "green cylinders", "labels"]
    places = ["in the chart", "in the image", "left of the legend", "near the x-axis"]
    attributes = ["value", "height", "ratio", "total"]
    texts: list[str] = []
    for _ in range(count):
        if texts and rng.random() < 0.1:
            texts.append(rng.choice(texts))
        else:
            texts.append(
                rng.choice(templates).format(
                    o=rng.choice(objects),
                    o2=rng.choice(objects),
                    p=rng.choice(places),
                    a=rng.choice(attributes),
                )
            )
    return texts


def test_medium_corpus_uses_dense_and_sparse_products() -> None:
    # 100 texts: n-grams shared by >= 12 texts go dense, rarer shared ones sparse.
    _assert_matches_reference(_template_questions(100, seed=1), 0.5)


@pytest.mark.slow
def test_full_batch_matches_nltk_pairs_and_sklearn_clusters() -> None:
    texts = _template_questions(4096, seed=2)
    bleu = condensed_bleu(texts)
    rng = np.random.default_rng(0)
    n = len(texts)
    for _ in range(3000):
        i, j = sorted(rng.choice(n, size=2, replace=False).tolist())
        position = n * i - i * (i + 1) // 2 + (j - i - 1)  # condensed index of (i, j)
        expected = sentence_bleu(
            [texts[j].split()], texts[i].split(), smoothing_function=_SMOOTHING
        )
        assert bleu[position] == expected
    square = np.zeros((n, n))
    upper = np.triu_indices(n, k=1)
    square[upper] = 1.0 - bleu
    square.T[upper] = 1.0 - bleu
    clustering = AgglomerativeClustering(
        n_clusters=None, distance_threshold=0.5, metric="precomputed", linkage="average"
    )
    assert _same_partition(bleu_cluster_labels(texts, 0.5), clustering.fit_predict(square).tolist())
