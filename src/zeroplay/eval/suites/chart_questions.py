"""Questions with exact answers over a chart spec (the JSON of `zeroplay.data.charts.spec`).

| family     | charts                      | example                                          | answer  |
|------------|-----------------------------|--------------------------------------------------|---------|
| value      | bar, grouped bar, line      | What value does the chart show for Mar?          | number  |
| extreme    | all but scatter; scatter    | Which category has the highest value?            | a label |
| difference | bar, grouped bar, line      | What is the difference between the values of ... | number  |
| compare    | bar, grouped bar, line, pie | Is the value of Apples greater than ...?         | yes/no  |
| share      | pie                         | What percentage of the whole is Wind?            | number  |
| count      | all                         | How many slices does the pie chart have?         | number  |

In a chart with several series the series is named: "... for Mar in the Oslo series?".
Values printed on bars, and pie percentages, are read exactly; other values are read off an
axis, so those items carry a tolerance of `READ_TOLERANCE` of the axis span (twice that for a
difference), written as the relative tolerance of the item. Extremes and comparisons are asked
only when the gap is at least `MIN_GAP` of the scale, so the answer is visible.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from zeroplay.eval.suites.common import distinct_questions

READ_TOLERANCE = 0.05  # share of the axis span a read-off value may be off by
MIN_GAP = 0.05  # least gap (share of the scale) between compared values or a max and runner-up
MIN_DIFFERENCE = 0.15  # least difference asked about (share of the axis span)
CATEGORICAL = ("bar", "grouped_bar", "line")

Spec = Mapping[str, Any]


@dataclass(frozen=True)
class Question:
    family: str
    text: str
    answer: str
    answer_type: str
    tolerance: float | None = None


Generator = Callable[[Spec, np.random.Generator], Question | None]


def format_value(value: float, decimals: int) -> str:
    """A value as the chart prints it: `decimals` places (none for whole numbers)."""
    return f"{value:.{max(decimals, 0)}f}"


def _span(spec: Spec) -> float:
    low, high = spec["value_limits"]
    return float(high - low)


def _series_clause(spec: Spec, series: int) -> str:
    return f" in the {spec['series'][series]['name']} series" if len(spec["series"]) > 1 else ""


def _relative(absolute: float, gold: float) -> float:
    return round(absolute / abs(gold), 6)


def _pick_series(spec: Spec, rng: np.random.Generator) -> int:
    return int(rng.integers(len(spec["series"])))


def _two_categories(spec: Spec, rng: np.random.Generator) -> tuple[int, int]:
    i, j = (int(k) for k in rng.choice(len(spec["categories"]), size=2, replace=False))
    return i, j


def ask_value(spec: Spec, rng: np.random.Generator) -> Question | None:
    if spec["chart_type"] not in CATEGORICAL:
        return None
    s = _pick_series(spec, rng)
    c = int(rng.integers(len(spec["categories"])))
    value = float(spec["series"][s]["values"][c])
    if value == 0:
        return None
    text = f"What value does the chart show for {spec['categories'][c]}{_series_clause(spec, s)}?"
    tolerance = None if spec["show_values"] else _relative(READ_TOLERANCE * _span(spec), value)
    return Question("value", text, format_value(value, spec["decimals"]), "number", tolerance)


def _unique_extreme(values: list[float], highest: bool, gap: float) -> int | None:
    """Index of the largest (smallest) value when it beats the runner-up by at least `gap`."""
    order = sorted(range(len(values)), key=lambda i: values[i], reverse=highest)
    if len(order) < 2 or abs(values[order[0]] - values[order[1]]) < gap:
        return None
    return order[0]


def ask_extreme(spec: Spec, rng: np.random.Generator) -> Question | None:
    highest = bool(rng.integers(2))
    word = "highest" if highest else "lowest"
    kind = spec["chart_type"]
    if kind == "scatter":
        if len(spec["series"]) < 2:
            return None
        peaks = [max(s["values"]) if highest else min(s["values"]) for s in spec["series"]]
        winner = _unique_extreme(peaks, highest, MIN_GAP * _span(spec))
        if winner is None:
            return None
        text = f"Which series has the single {word} point on the vertical axis?"
        return Question("extreme", text, spec["series"][winner]["name"], "text")
    if kind == "pie":
        values = [float(v) for v in spec["series"][0]["values"]]
        winner = _unique_extreme(values, highest, MIN_GAP * sum(values))
        if winner is None:
            return None
        size = "largest" if highest else "smallest"
        text = f"Which slice of the pie chart is the {size}?"
        return Question("extreme", text, spec["categories"][winner], "text")
    s = _pick_series(spec, rng)
    values = [float(v) for v in spec["series"][s]["values"]]
    winner = _unique_extreme(values, highest, MIN_GAP * _span(spec))
    if winner is None:
        return None
    text = f"Which category has the {word} value{_series_clause(spec, s)}?"
    return Question("extreme", text, spec["categories"][winner], "text")


def ask_difference(spec: Spec, rng: np.random.Generator) -> Question | None:
    if spec["chart_type"] not in CATEGORICAL:
        return None
    s = _pick_series(spec, rng)
    i, j = _two_categories(spec, rng)
    values = spec["series"][s]["values"]
    difference = round(abs(float(values[i]) - float(values[j])), max(spec["decimals"], 0))
    if difference < MIN_DIFFERENCE * _span(spec):
        return None
    a, b = spec["categories"][i], spec["categories"][j]
    text = f"What is the difference between the values of {a} and {b}{_series_clause(spec, s)}?"
    tolerance = None
    if not spec["show_values"]:
        tolerance = _relative(2 * READ_TOLERANCE * _span(spec), difference)
    return Question(
        "difference", text, format_value(difference, spec["decimals"]), "number", tolerance
    )


def ask_compare(spec: Spec, rng: np.random.Generator) -> Question | None:
    kind = spec["chart_type"]
    if kind not in (*CATEGORICAL, "pie"):
        return None
    s = 0 if kind == "pie" else _pick_series(spec, rng)
    i, j = _two_categories(spec, rng)
    values = [float(v) for v in spec["series"][s]["values"]]
    scale = sum(values) if kind == "pie" else _span(spec)
    if abs(values[i] - values[j]) < MIN_GAP * scale:
        return None
    a, b = spec["categories"][i], spec["categories"][j]
    if kind == "pie":
        text = f"Is the slice for {a} larger than the slice for {b}?"
    else:
        text = f"Is the value of {a} greater than the value of {b}{_series_clause(spec, s)}?"
    return Question("compare", text, "yes" if values[i] > values[j] else "no", "yesno")


def ask_share(spec: Spec, rng: np.random.Generator) -> Question | None:
    if spec["chart_type"] != "pie":
        return None
    values = [float(v) for v in spec["series"][0]["values"]]
    c = int(rng.integers(len(values)))
    # The pie labels each slice with 100 * value / total at max(decimals, 0) places.
    percent = format_value(100.0 * values[c] / sum(values), spec["decimals"])
    text = f"What percentage of the whole pie is {spec['categories'][c]}?"
    return Question("share", text, percent, "number")


def ask_count(spec: Spec, rng: np.random.Generator) -> Question:
    kind = spec["chart_type"]
    if kind == "pie":
        return Question(
            "count",
            "How many slices does the pie chart have?",
            str(len(spec["categories"])),
            "number",
        )
    if kind == "scatter":
        s = _pick_series(spec, rng)
        points = len(spec["series"][s]["values"])
        if len(spec["series"]) > 1:
            text = f"How many points does the {spec['series'][s]['name']} series have?"
        else:
            text = "How many points are plotted?"
        return Question("count", text, str(points), "number")
    if len(spec["series"]) > 1 and rng.random() < 0.5:
        return Question(
            "count", "How many series does the legend list?", str(len(spec["series"])), "number"
        )
    text = "How many categories does the horizontal axis show?"
    return Question("count", text, str(len(spec["categories"])), "number")


FAMILIES: dict[str, Generator] = {
    "value": ask_value,
    "extreme": ask_extreme,
    "difference": ask_difference,
    "compare": ask_compare,
    "share": ask_share,
    "count": ask_count,
}


def ask_about_chart(spec: Spec, rng: np.random.Generator, k: int) -> list[Question]:
    """Up to `k` distinct questions, from different families while families last."""
    return distinct_questions(FAMILIES, spec, rng, k)
