"""The results file of one (model, benchmark) evaluation: settings, summary and per-item records.

Everything that determines the numbers is written next to them: the model (and checkpoint step
and policy), decoding, the prompt format, the extraction and scoring rules, the judge with its
prompt template, and which items were evaluated.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from zeroplay import __version__
from zeroplay.data.layout import write_json_atomic
from zeroplay.eval.items import Benchmark
from zeroplay.eval.judge_prompt import JUDGE_TEMPLATE, NO_ANSWER_NOTE, TAIL_CHARS
from zeroplay.eval.prompting import prompt_format
from zeroplay.eval.records import ItemRecord
from zeroplay.eval.scoring import ScoringSettings
from zeroplay.eval.summary import summarize

RESULTS_FORMAT = "zeroplay-eval-results"
RESULTS_VERSION = 1
EXTRACTION_RULE = (
    "last complete \\boxed{...} (nested braces allowed); without one: for multiple choice the "
    "last 'answer is X' / 'Answer: X' phrase, a response that is only a letter, or a last line "
    "equal to one option; for yes/no a response containing exactly one of the words yes/no; "
    "no fallback for other types"
)


class ResultsError(ValueError):
    """A file is not a readable zeroplay results file."""


def judge_block(description: dict[str, Any] | None) -> dict[str, Any] | None:
    """The judge's settings plus its prompt template, or None when no judge was used."""
    if description is None:
        return None
    return {
        **description,
        "prompt_template": JUDGE_TEMPLATE,
        "answer_shown": (
            "the extracted answer; without one, the last "
            f"{TAIL_CHARS} characters of the response after {NO_ANSWER_NOTE!r}"
        ),
        "verdict": "the first word CORRECT or INCORRECT in the reply (after any <think> block)",
    }


def results_document(
    benchmark: Benchmark,
    records: list[ItemRecord],
    *,
    model: dict[str, Any],
    decoding: dict[str, Any],
    scoring: ScoringSettings,
    judge: dict[str, Any] | None,
    limit: int | None,
    items_in_file: int,
) -> dict[str, Any]:
    """The JSON document of one evaluation (see the module docstring)."""
    return {
        "format": RESULTS_FORMAT,
        "version": RESULTS_VERSION,
        "zeroplay_version": __version__,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "model": model,
        "benchmark": {
            "name": benchmark.name,
            "source": benchmark.source,
            "format": benchmark.format,
            "items_in_file": items_in_file,
            "items_evaluated": len(records),
            "limit": limit,
        },
        "decoding": decoding,
        "prompt_format": prompt_format(),
        "scoring": {
            "extraction": EXTRACTION_RULE,
            "rel_tol": scoring.rel_tol,
            "abs_tol": scoring.abs_tol,
            "math": "MathRuler grade_answer, both directions, "
            f"{scoring.math_timeout_s:g} s per direction",
        },
        "judge": judge_block(judge),
        "summary": summarize(records),
        "items": [record.to_dict() for record in records],
    }


def write_results(path: Path, document: dict[str, Any]) -> None:
    """Write atomically (a reader never sees half a file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    write_json_atomic(path, document)


def read_results(path: Path) -> dict[str, Any]:
    """Load and sanity-check a results file; `ResultsError` with one line otherwise."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ResultsError(f"cannot read {str(path)!r}: {error.strerror or error}") from None
    except (ValueError, UnicodeDecodeError):
        raise ResultsError(f"{str(path)!r} is not JSON") from None
    if not isinstance(document, dict) or document.get("format") != RESULTS_FORMAT:
        raise ResultsError(f"{str(path)!r} is not a zeroplay eval results file")
    if document.get("version") != RESULTS_VERSION:
        raise ResultsError(f"{str(path)!r} has results version {document.get('version')!r}")
    for key in ("model", "benchmark", "summary", "items"):
        if key not in document:
            raise ResultsError(f"{str(path)!r} lacks {key!r}")
    return document
