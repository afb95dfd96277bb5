"""Benchmarks in VLMEvalKit's TSV layout (the files it keeps under `$LMUData`), read offline.

Columns (anchors.md §4.2): `index` (the item id), `question`, `answer`, and an image as either
`image` (base64; a Python-style list of base64 strings for several images; or, when at most 64
characters, the `index` of another row whose image it shares) or `image_path` (a path relative
to the TSV's folder, or a list of them). Optional: option columns `A`, `B`, `C`, ... (an item
with options is multiple choice and its answer is a letter), `hint`, `category`, `choices` (a
list of option texts, as in MathVista, whose answer is then one option's text) and
`answer_type`. Empty cells and pandas' missing-value words ("nan", "None", ...) in option and
hint cells count as absent, as they do when VLMEvalKit reads the file with pandas. Every other
column is kept as item metadata.
"""

from __future__ import annotations

import ast
import csv
import string
from pathlib import Path
from typing import Any

from zeroplay.eval.answer_types import choice_gold, infer_answer_type
from zeroplay.eval.errors import BenchmarkError, check_unique_ids
from zeroplay.eval.images import base64_bytes
from zeroplay.eval.items import BenchItem, Benchmark, ImageRef

REQUIRED_COLUMNS = ("index", "question", "answer")
# pandas' default missing-value strings (read_csv na_values).
MISSING = frozenset(
    {"", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN"}
    | {"<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null"}
)
# VLMEvalKit stores an image once and lets other rows name its index in a short cell.
MAX_REFERENCE_CHARS = 64
# How VLMEvalKit-style `answer_type` / `question_type` values map onto ours.
TYPE_NAMES: dict[str, str] = {
    "integer": "number",
    "float": "number",
    "number": "number",
    "numeric": "number",
    "multi_choice": "choice",
    "choice": "choice",
    "yes/no": "yesno",
    "yesno": "yesno",
    "yorn": "yesno",
    "list": "math",
    "math": "math",
    "text": "text",
}
_CELL_LIMIT = 2**31 - 1  # base64 images are far longer than csv's default 128 KiB field limit


def _literal_list(cell: str) -> list[str] | None:
    """The strings of a cell holding a Python-style list ("['a', 'b']"), else None."""
    text = cell.strip()
    if not (text.startswith("[") and text.endswith("]")):
        return None
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return None
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return value
    return None


def _as_list(cell: str) -> list[str]:
    """A list cell as its strings; any other cell as a one-element list."""
    listed = _literal_list(cell)
    return listed if listed is not None else [cell]


def _present(row: dict[str, str], column: str) -> str | None:
    value = row.get(column)
    return None if value is None or value.strip() in MISSING else value


def _read_rows(path: Path) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    """The header and (row number, cells by column) of every non-blank data row."""
    csv.field_size_limit(_CELL_LIMIT)
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            reader = csv.reader(handle, delimiter="\t")
            header = next(reader, None)
            if header is None:
                raise BenchmarkError(f"{str(path)!r} is empty")
            header = [h.strip() for h in header]
            rows = []
            for number, cells in enumerate(reader, start=1):
                if not any(c.strip() for c in cells):
                    continue
                if len(cells) != len(header):
                    raise BenchmarkError(
                        f"{path.name} row {number}: {len(cells)} cells for {len(header)} columns"
                    )
                rows.append((number, dict(zip(header, cells, strict=True))))
    except OSError as error:
        raise BenchmarkError(f"cannot read {str(path)!r}: {error.strerror or error}") from None
    except UnicodeDecodeError:
        raise BenchmarkError(f"{str(path)!r} is not UTF-8 text") from None
    except csv.Error as error:
        raise BenchmarkError(f"{path.name}: malformed TSV ({error})") from None
    return header, rows


def _check_columns(header: list[str], path: Path) -> None:
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise BenchmarkError(
            f"{path.name}: missing column(s) {', '.join(missing)}; a VLMEvalKit TSV needs "
            f"{', '.join(REQUIRED_COLUMNS)} and an image or image_path column (has: "
            f"{', '.join(header[:12])})"
        )
    if "image" not in header and "image_path" not in header:
        raise BenchmarkError(f"{path.name}: needs an `image` (base64) or `image_path` column")


def _row_images(
    row: dict[str, str], images_by_index: dict[str, str], base: Path, where: str
) -> tuple[ImageRef, ...]:
    cell = _present(row, "image")
    if cell is not None:
        if len(cell.strip()) <= MAX_REFERENCE_CHARS:
            target = images_by_index.get(cell.strip())
            if target is None or len(target.strip()) <= MAX_REFERENCE_CHARS:
                raise BenchmarkError(
                    f"{where}: image refers to row {cell.strip()!r}, which has none"
                )
            cell = target
        refs = []
        for i, encoded in enumerate(_as_list(cell)):
            data = base64_bytes(encoded)
            if data is None:
                raise BenchmarkError(f"{where}: image {i} is not valid base64")
            refs.append(ImageRef(data=data))
        return tuple(refs)
    path_cell = _present(row, "image_path")
    if path_cell is None:
        return ()
    refs = []
    for name in _as_list(path_cell):
        path = Path(name).expanduser()
        path = path if path.is_absolute() else base / path
        if not path.is_file():
            raise BenchmarkError(f"{where}: image file {str(path)!r} does not exist")
        refs.append(ImageRef(path=path))
    return tuple(refs)


def _row_choices(row: dict[str, str], header: list[str], where: str) -> tuple[str, ...]:
    """Option texts: the option columns A, B, ... when filled, else a `choices` list cell."""
    letters = [c for c in string.ascii_uppercase if c in header]
    present = [c for c in letters if _present(row, c) is not None]
    if present:
        expected = list(string.ascii_uppercase[: len(present)])
        if present != expected:
            raise BenchmarkError(
                f"{where}: options {', '.join(present)} skip a letter; expected {', '.join(expected)}"
            )
        return tuple(row[c].strip() for c in present)
    listed = _present(row, "choices")
    options = _literal_list(listed) if listed is not None else None
    return tuple(o.strip() for o in options) if options else ()


def _row_item(
    row: dict[str, str],
    header: list[str],
    images_by_index: dict[str, str],
    base: Path,
    where: str,
) -> BenchItem:
    item_id = row["index"].strip()
    if not item_id:
        raise BenchmarkError(f"{where}: empty index")
    where = f"{where} (index {item_id!r})"
    answer = row["answer"].strip()
    if not answer:
        raise BenchmarkError(f"{where}: empty answer (a test split without ground truth?)")
    choices = _row_choices(row, header, where)
    if len(choices) > 26:
        raise BenchmarkError(f"{where}: at most 26 options are supported")
    declared = TYPE_NAMES.get((_present(row, "answer_type") or "").strip().lower())
    if choices:
        answer_type = "choice"
        letter = choice_gold(answer, choices)
        if letter is None:
            raise BenchmarkError(f"{where}: answer {answer!r} does not name one of the options")
        answer = letter
    elif declared in ("number", "yesno", "math"):
        answer_type = declared
    else:
        answer_type = infer_answer_type(answer, ())
    known = {"index", "question", "answer", "image", "image_path", "hint", "category", "choices"}
    known |= {"answer_type"} | set(string.ascii_uppercase)
    meta: dict[str, Any] = {k: v for k, v in row.items() if k not in known and v.strip()}
    return BenchItem(
        id=item_id,
        question=row["question"],
        answer=answer,
        answer_type=answer_type,
        images=_row_images(row, images_by_index, base, where),
        choices=choices,
        hint=(_present(row, "hint") or "").strip(),
        category=(_present(row, "category") or "").strip(),
        meta=meta,
    )


def load_tsv(path: Path, name: str | None = None) -> Benchmark:
    """Read a VLMEvalKit-layout TSV; every problem is a `BenchmarkError` naming row and index."""
    header, rows = _read_rows(path)
    _check_columns(header, path)
    if not rows:
        raise BenchmarkError(f"{str(path)!r} holds no items")
    check_unique_ids((row["index"].strip() for _, row in rows), path.name)
    images_by_index = {row["index"].strip(): row.get("image", "") for _, row in rows}
    items = tuple(
        _row_item(row, header, images_by_index, path.parent, f"{path.name} row {number}")
        for number, row in rows
    )
    return Benchmark(name or path.stem, items, str(path.resolve()), "tsv")
