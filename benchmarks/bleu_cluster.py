"""Benchmark: BLEU redundancy clustering of generated questions, zeroplay vs NLTK + scikit-learn.

Prints the time of `zeroplay.answers.diversity.bleu_cluster_labels` on 4096 questions (VisPlay's
batch: 512 images x 8 questions), and on a smaller batch the time of the reference pipeline
(pairwise NLTK `sentence_bleu` + `AgglomerativeClustering`), the speed-up ratio, and whether both
found the same clusters. Needs the dev extras (nltk, scikit-learn).

    python benchmarks/bleu_cluster.py [--size 4096] [--reference-size 384] [--threshold 0.5]
"""

from __future__ import annotations

import argparse
import random
import time

import numpy as np

from zeroplay.answers.diversity import bleu_cluster_labels

OBJECTS = [
    "bars",
    "red cubes",
    "blue spheres",
    "people",
    "cars",
    "trees",
    "lines",
    "slices",
    "points",
    "labels",
    "columns",
    "rows",
    "windows",
    "birds",
    "boats",
    "green cylinders",
]
PLACES = [
    "in the chart",
    "in the image",
    "on the table",
    "in the top row",
    "left of the legend",
    "behind the large cube",
    "in the second panel",
    "near the x-axis",
    "in the photo",
]
ATTRIBUTES = ["value", "height", "colour", "percentage", "difference", "ratio", "total", "average"]
FILLER = [
    "exactly",
    "visible",
    "shown",
    "labelled",
    "largest",
    "smallest",
    "combined",
    "each",
    "approximately",
    "first",
    "last",
    "other",
    "both",
    "all",
    "highest",
    "lowest",
]
TEMPLATES = [
    "How many {o} are {p}?",
    "How many {o} are {f} {p}?",
    "What is the {a} of the {f} {o} {p}?",
    "What is the {a} between the {f} {o} and the {o2} {p}?",
    "Which of the {o} {p} has the {f} {a}?",
    "Is the {a} of the {o} {p} greater than that of the {o2}?",
    "What is the {a} of all {o} {p} rounded to one decimal?",
    "If one of the {o} {p} is removed, what is the new {a} of the {o2}?",
]


def make_questions(count: int, seed: int = 0) -> list[str]:
    """Synthetic questioner output: templates over a small vocabulary, ~15 words, many repeats."""
    rng = random.Random(seed)
    questions: list[str] = []
    for _ in range(count):
        if questions and rng.random() < 0.1:
            questions.append(rng.choice(questions))  # verbatim repeats, as collapsed policies do
            continue
        text = rng.choice(TEMPLATES).format(
            o=rng.choice(OBJECTS),
            o2=rng.choice(OBJECTS),
            p=rng.choice(PLACES),
            a=rng.choice(ATTRIBUTES),
            f=rng.choice(FILLER),
        )
        questions.append(text)
    return questions


def reference_labels(texts: list[str], threshold: float) -> np.ndarray:
    """The released code's pipeline: NLTK BLEU for i < j, mirrored, then scikit-learn."""
    from nltk.translate.bleu_score import SmoothingFunction, sentence_bleu
    from sklearn.cluster import AgglomerativeClustering

    n = len(texts)
    smoothing = SmoothingFunction().method1
    distances = np.zeros((n, n))
    for i in range(n):
        for j in range(i + 1, n):
            score = sentence_bleu(
                [texts[j].split()], texts[i].split(), smoothing_function=smoothing
            )
            distances[i, j] = distances[j, i] = 1 - score
    clustering = AgglomerativeClustering(
        n_clusters=None, distance_threshold=threshold, metric="precomputed", linkage="average"
    )
    return clustering.fit_predict(distances)


def same_partition(a: list[int], b: list[int]) -> bool:
    """Whether two labelings describe the same clusters (up to renaming)."""
    forward: dict[int, int] = {}
    backward: dict[int, int] = {}
    return all(
        forward.setdefault(x, y) == y and backward.setdefault(y, x) == x
        for x, y in zip(a, b, strict=True)
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=4096)
    parser.add_argument("--reference-size", type=int, default=384)
    parser.add_argument("--threshold", type=float, default=0.5)
    args = parser.parse_args()

    texts = make_questions(args.size)
    words = np.mean([len(t.split()) for t in texts])
    start = time.perf_counter()
    labels = bleu_cluster_labels(texts, args.threshold)
    elapsed = time.perf_counter() - start
    print(
        f"zeroplay  n={args.size:5d} ({words:.1f} words/text): {elapsed:7.2f} s, "
        f"{len(set(labels))} clusters"
    )

    small = texts[: args.reference_size]
    start = time.perf_counter()
    ours = bleu_cluster_labels(small, args.threshold)
    ours_s = time.perf_counter() - start
    start = time.perf_counter()
    reference = reference_labels(small, args.threshold).tolist()
    reference_s = time.perf_counter() - start
    pairs_ratio = (args.size * (args.size - 1)) / (len(small) * (len(small) - 1))
    print(f"zeroplay  n={len(small):5d}: {ours_s:7.3f} s")
    print(f"reference n={len(small):5d}: {reference_s:7.3f} s (NLTK sentence_bleu + scikit-learn)")
    print(
        f"speed-up at n={len(small)}: {reference_s / ours_s:.0f}x; "
        f"same clusters: {same_partition(ours, reference)}"
    )
    print(
        f"reference extrapolated to n={args.size} (x{pairs_ratio:.0f} pairs): "
        f"{reference_s * pairs_ratio:.0f} s, i.e. {reference_s * pairs_ratio / elapsed:.0f}x"
    )


if __name__ == "__main__":
    main()
