"""Benchmarks as JSON Lines: one JSON object per line.

Fields of a line:

- `id` (string or integer, unique), `question` (string), `answer` (string, number or boolean);
- `image`: a path (relative to the file's folder, or absolute), base64 text or a data URI, or a
  list of those; `images` is accepted as a synonym; both may be absent for text-only items;
- optional `choices` (list of option texts, lettered A, B, ...; the answer is then a letter or
  one option's text), `answer_type` (choice, yesno, number, text, math; inferred when absent),
  `accept` (other correct answers), `tolerance` (relative, for numbers), `hint`, `category`;
- any other key is kept as item metadata (`meta` merges in as is).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from zeroplay.eval.answer_types import choice_gold, infer_answer_type
from zeroplay.eval.errors import BenchmarkError, check_unique_ids
from zeroplay.eval.images import base64_bytes, looks_like_base64
from zeroplay.eval.items import ANSWER_TYPES, BenchItem, Benchmark, ImageRef

KNOWN_KEYS = frozenset(
    {"id", "question", "answer", "image", "images", "choices", "answer_type", "accept"}
    | {"tolerance", "hint", "category", "meta"}
)


def _text(value: Any) -> str | None:
    """Strings as they are; numbers and booleans as JSON writes them (True -> "true")."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return json.dumps(value)
    return None


def image_ref(value: Any, base: Path, where: str) -> ImageRef:
    """One image field value as a reference: base64 / data URI, else a path that must exist."""
    if not isinstance(value, str) or not value.strip():
        raise BenchmarkError(f"{where}: an image must be a non-empty string (path or base64)")
    if looks_like_base64(value):
        data = base64_bytes(value)
        if data is None:
            raise BenchmarkError(f"{where}: image is neither a file nor valid base64")
        return ImageRef(data=data)
    path = Path(value).expanduser()
    path = path if path.is_absolute() else base / path
    if not path.is_file():
        raise BenchmarkError(f"{where}: image file {str(path)!r} does not exist")
    return ImageRef(path=path)


def item_from_record(record: dict[str, Any], base: Path, where: str) -> BenchItem:
    """A `BenchItem` from one parsed line (`where` prefixes error messages)."""
    item_id = record.get("id")
    if isinstance(item_id, bool) or not isinstance(item_id, str | int) or str(item_id) == "":
        raise BenchmarkError(f"{where}: needs an `id` (string or integer)")
    item_id = str(item_id)
    where = f"{where} (id {item_id!r})"
    question = record.get("question")
    if not isinstance(question, str):
        raise BenchmarkError(f"{where}: needs a `question` string")
    answer = _text(record.get("answer"))
    if answer is None or not answer.strip():
        raise BenchmarkError(f"{where}: needs an `answer` (string or number)")
    raw_images = record.get("image", record.get("images"))
    if raw_images is None:
        raw_images = []
    elif not isinstance(raw_images, list):
        raw_images = [raw_images]
    images = tuple(image_ref(v, base, f"{where} image {i}") for i, v in enumerate(raw_images))
    choices_raw = record.get("choices") or []
    if not isinstance(choices_raw, list) or not all(_text(c) is not None for c in choices_raw):
        raise BenchmarkError(f"{where}: `choices` must be a list of strings")
    choices = tuple(str(_text(c)) for c in choices_raw)
    if len(choices) > 26:
        raise BenchmarkError(f"{where}: at most 26 choices are supported")
    answer_type = record.get("answer_type") or infer_answer_type(answer, choices)
    if answer_type not in ANSWER_TYPES:
        raise BenchmarkError(f"{where}: unknown answer_type {answer_type!r}; use {ANSWER_TYPES}")
    if (answer_type == "choice") != bool(choices):
        raise BenchmarkError(f"{where}: `choices` go with answer_type 'choice' and only with it")
    if answer_type == "choice":
        letter = choice_gold(answer, choices)
        if letter is None:
            raise BenchmarkError(
                f"{where}: answer {answer!r} is neither an option letter nor one option's text"
            )
        answer = letter
    accept_raw = record.get("accept") or []
    if not isinstance(accept_raw, list) or any(_text(a) is None for a in accept_raw):
        raise BenchmarkError(f"{where}: `accept` must be a list of strings")
    tolerance = record.get("tolerance")
    if tolerance is not None and (
        isinstance(tolerance, bool) or not isinstance(tolerance, int | float) or tolerance < 0
    ):
        raise BenchmarkError(f"{where}: `tolerance` must be a number >= 0")
    meta = {k: v for k, v in record.items() if k not in KNOWN_KEYS}
    if isinstance(record.get("meta"), dict):
        meta.update(record["meta"])
    return BenchItem(
        id=item_id,
        question=question,
        answer=answer.strip(),
        answer_type=answer_type,
        images=images,
        choices=choices,
        accept=tuple(str(_text(a)) for a in accept_raw),
        tolerance=float(tolerance) if tolerance is not None else None,
        hint=str(_text(record.get("hint")) or ""),
        category=str(_text(record.get("category")) or ""),
        meta=meta,
    )


def _parse_line(line: str, where: str, base: Path) -> BenchItem:
    try:
        record = json.loads(line)
    except ValueError:
        raise BenchmarkError(f"{where}: not valid JSON") from None
    if not isinstance(record, dict):
        raise BenchmarkError(f"{where}: each line must be a JSON object")
    return item_from_record(record, base, where)


def load_jsonl(path: Path, name: str | None = None) -> Benchmark:
    """Read a JSONL benchmark; every problem is a `BenchmarkError` naming the line and id."""
    items: list[BenchItem] = []
    try:
        handle = path.open(encoding="utf-8")
    except OSError as error:
        raise BenchmarkError(f"cannot read {str(path)!r}: {error.strerror or error}") from None
    with handle:
        try:
            for number, line in enumerate(handle, start=1):
                if line.strip():
                    items.append(_parse_line(line, f"{path.name}:{number}", path.parent))
        except UnicodeDecodeError:
            raise BenchmarkError(f"{str(path)!r} is not UTF-8 text") from None
    if not items:
        raise BenchmarkError(f"{str(path)!r} holds no items")
    check_unique_ids((item.id for item in items), path.name)
    return Benchmark(name or path.stem, tuple(items), str(path.resolve()), "jsonl")
