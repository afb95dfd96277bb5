"""The `chart-qa` suite: random charts from the data layer and questions answered from their specs.

Chart i is drawn from the stream (seed, i): its type uniformly among the data layer's chart
types, then a spec from `sample_spec`, drawn with `draw_chart` and stored with its spec JSON.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from zeroplay.data.charts.render import draw_chart
from zeroplay.data.charts.spec import CHART_TYPES, sample_spec
from zeroplay.data.layout import write_json_atomic, write_png_atomic
from zeroplay.data.seeding import pair_rng
from zeroplay.eval.suites.chart_questions import ask_about_chart
from zeroplay.eval.suites.common import (
    Progress,
    SuiteOptions,
    relative,
    start_suite,
    suite_meta,
    write_suite,
)

NAME = "chart-qa"
DEFAULT_SIZE = (480, 360)


def make_chart_qa(options: SuiteOptions, out: Path, progress: Progress | None = None) -> int:
    """Write the suite to `out` (JSONL) and its files beside it; returns the item count."""
    folder = start_suite(out)
    width, height = options.width or DEFAULT_SIZE[0], options.height or DEFAULT_SIZE[1]
    items: list[dict[str, Any]] = []
    index = 0
    # Every chart has a count question, so every chart adds at least one item.
    while len(items) < options.n:
        rng = pair_rng(options.seed, index)
        chart_type = CHART_TYPES[int(rng.integers(len(CHART_TYPES)))]
        spec = sample_spec(rng, chart_type, width, height)
        png = folder / f"chart_{index:06d}.png"
        spec_path = folder / f"chart_{index:06d}.json"
        # Questions are asked from exactly what is stored (tuples become lists in JSON).
        spec_json = json.loads(json.dumps(spec.to_json()))
        write_png_atomic(png, draw_chart(spec))
        write_json_atomic(spec_path, spec_json)
        wanted = min(options.questions_per_image, options.n - len(items))
        questions = ask_about_chart(spec_json, rng, wanted)
        for number, question in enumerate(questions):
            item: dict[str, Any] = {
                "id": f"{NAME}-{index:06d}-{number}",
                "image": relative(png, out),
                "question": question.text,
                "answer": question.answer,
                "answer_type": question.answer_type,
                "category": question.family,
                "meta": suite_meta(
                    NAME, options, spec=relative(spec_path, out), chart_type=chart_type
                ),
            }
            if question.tolerance is not None:
                item["tolerance"] = question.tolerance
            items.append(item)
        if progress:
            progress(len(questions))
        index += 1
    write_suite(out, items)
    return len(items)
