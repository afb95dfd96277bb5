"""What an MM-Zero run keeps outside `rollouts/` (the layout of `recipes/mm_zero/store.py`):
per-iteration data records, stored renders, and `coevolution.json`.

    data/iter_N/{codegen,solver}/proposals.jsonl   offline proposals (GeneratedProposal)
    data/iter_N/codegen/render_filter.jsonl        the render-rate filter (RenderFilterRecord)
    data/iter_N/solver/labels.jsonl                 Solver data (LabelRecord)
    data/iter_N/solver/renders/ID.png               every rendered Solver image
    data/iter_N/{proposer,codegen}/renders/step_S/ID_svgJ.png, codegen/renders/filter/...
    data/iter_N/coevolution.json                    the §8 metrics of the iteration
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from zeroplay.report.run_files import RolloutRecord, read_jsonl_lenient
from zeroplay.report.series import number

_ITER_DIR = re.compile(r"^iter_(\d+)$")
DATA_FILES = (
    "codegen/proposals.jsonl",
    "codegen/render_filter.jsonl",
    "solver/proposals.jsonl",
    "solver/labels.jsonl",
)


def iteration_dirs(root: Path) -> list[tuple[int, Path]]:
    """(iteration, folder) of every `data/iter_N`, in iteration order."""
    data = root / "data"
    if not data.is_dir():
        return []
    found = []
    for folder in data.iterdir():
        match = _ITER_DIR.match(folder.name)
        if match and folder.is_dir():
            found.append((int(match.group(1)), folder))
    return sorted(found)


def data_records(root: Path, problems: list[str]) -> list[RolloutRecord]:
    """The data phases' records (they are not in rollouts/), for the replay viewer and the
    co-evolution panels."""
    out = []
    for _, folder in iteration_dirs(root):
        for name in DATA_FILES:
            path = folder / name
            if not path.is_file():
                continue
            rel = path.relative_to(root).as_posix()
            for line, record in read_jsonl_lenient(path, problems, rel):
                out.append(RolloutRecord(record, rel, line))
    return out


def read_coevolution_files(root: Path, problems: list[str]) -> dict[int, dict[str, Any]]:
    """iteration -> the metrics in `data/iter_N/coevolution.json`."""
    out: dict[int, dict[str, Any]] = {}
    for iteration, folder in iteration_dirs(root):
        path = folder / "coevolution.json"
        if not path.is_file():
            continue
        try:
            value = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            problems.append(f"{path.relative_to(root).as_posix()} is not readable JSON")
            continue
        if isinstance(value, dict):
            out[iteration] = value
    return out


def stored_render(data: Mapping[str, Any], index: int) -> str | None:
    """The run-relative path where the recipe saved the render of SVG attempt `index` of a
    record (its position in `svgs`, or a CodeGen sample's `sample_index`), if it saves one.

    Only some renders are kept (`run.render_examples`); the caller checks that the file exists.
    """
    iteration = number(data.get("iteration"))
    proposal = data.get("proposal_id")
    phase = data.get("phase")
    if iteration is None or not isinstance(proposal, str) or not isinstance(phase, str):
        return None
    base = f"data/iter_{int(iteration)}"
    step = number(data.get("step"))
    kind = phase.rsplit(".", 1)[-1]
    if kind == "solver_data":
        return f"{base}/solver/renders/{proposal}.png"
    if kind == "codegen_data":
        return f"{base}/codegen/renders/filter/{proposal}_svg{index}.png"
    if kind in ("proposer", "codegen") and step is not None:
        return f"{base}/{kind}/renders/step_{int(step):06d}/{proposal}_svg{index}.png"
    return None
