"""The fixed text the embedded tiny tokenizers are trained on.

It is generated from built-in word lists (no file, no download) so the tokenizer is byte-identical
across builds. The words are the ones zeroplay's games and tests use (colours, shapes, players,
boxed answers, SVG tags), so common words become single tokens and tiny-model tests stay short.
"""

from __future__ import annotations

import itertools

COLOURS = ("gray", "red", "blue", "green", "brown", "purple", "cyan", "yellow", "black", "white")
SHAPES = ("cube", "sphere", "cylinder", "square", "circle", "triangle", "bar", "line", "pie")
MATERIALS = ("rubber", "metal", "shiny", "matte")
SIZES = ("small", "large", "big", "tiny")
NUMBERS = ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")
ROLES = ("spy", "civilian", "player", "observer", "questioner", "reasoner", "proposer", "solver")

SENTENCES = (
    "The {c} {s} is next to the {c2} {s2}.",
    "I see a {z} {m} {c} {s} on the left.",
    "Player {d} is the spy because the clue about the {c} {s} was wrong.",
    "My clue: \\boxed{{There is a {c} {s} behind the {s2}.}}",
    "The answer is \\boxed{{{d}}}.",
    "The answer is \\boxed{{{c}}}.",
    "<think>Count the {c} objects: there are {n}.</think> \\boxed{{{d}}}",
    "<type>numerical</type><question>How many {c} {s}s are there?</question><answer>{d}</answer>",
    '<svg width="{d}0" height="{d}0"><rect x="{d}" y="{d}" fill="{c}"/><text>{s}</text></svg>',
    "Question: what colour is the {z} {s}? Answer: {c}",
    "{c}",
    "{c} {s}",
    "N/A",
)


def corpus_lines() -> list[str]:
    """Every line of the corpus, in a fixed order."""
    lines: list[str] = []
    combos = itertools.product(range(len(COLOURS)), range(len(SHAPES)))
    for k, (ci, si) in enumerate(combos):
        values = {
            "c": COLOURS[ci],
            "s": SHAPES[si],
            "c2": COLOURS[(ci + 3) % len(COLOURS)],
            "s2": SHAPES[(si + 2) % len(SHAPES)],
            "m": MATERIALS[k % len(MATERIALS)],
            "z": SIZES[k % len(SIZES)],
            "n": NUMBERS[k % len(NUMBERS)],
            "d": str(k % 10),
        }
        lines.extend(template.format(**values) for template in SENTENCES)
    lines.extend(f"You are the {role}." for role in ROLES)
    lines.extend(NUMBERS)
    return lines


def corpus_text() -> str:
    """The corpus as one string."""
    return "\n".join(corpus_lines())
