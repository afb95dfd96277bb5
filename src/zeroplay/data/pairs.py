"""Loading image pairs: our generated folders and the public Vision-Zero datasets alike.

Both use `<base>_original.<ext>` next to `<base>_modified.<ext>`. Ours add `<base>_diff.json`
(what changed, with pixel boxes) and, for scenes and charts, `<base>_original.json` /
`<base>_modified.json`. Vision-Zero's datasets have only the images (their scene files are in a
separate folder and never read by its training code).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from zeroplay.data.images import IMAGE_SUFFIXES
from zeroplay.data.manifest import read_manifest

DOMAINS: tuple[str, ...] = ("clevr", "chart", "photo", "unknown")
ORIGINAL_TAG = "_original"
MODIFIED_TAG = "_modified"


@dataclass(frozen=True)
class ImagePair:
    """One original/modified image pair; `diff` is the parsed diff JSON when there is one."""

    id: str
    original: Path
    modified: Path
    domain: str
    diff: dict[str, Any] | None = None
    original_json: Path | None = None
    modified_json: Path | None = None

    @property
    def edit(self) -> str | None:
        value = self.diff.get("edit") if self.diff else None
        return value if isinstance(value, str) else None

    @property
    def boxes(self) -> list[tuple[int, int, int, int]]:
        """Pixel boxes of the edited regions (empty when unknown)."""
        raw = self.diff.get("boxes") if self.diff else None
        if not isinstance(raw, list):
            return []
        return [
            (int(b[0]), int(b[1]), int(b[2]), int(b[3]))
            for b in raw
            if isinstance(b, list | tuple)
            and len(b) == 4
            and all(isinstance(v, int | float) and math.isfinite(v) for v in b)
        ]


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        value = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return value if isinstance(value, dict) else None


def _domain_from_spec(spec: dict[str, Any] | None) -> str | None:
    """Recognise a CLEVR scene JSON or a chart spec."""
    if spec is None:
        return None
    if isinstance(spec.get("objects"), list):
        return "clevr"
    if isinstance(spec.get("chart_type"), str):
        return "chart"
    return None


def _find_partner(folder: Path, base: str, suffix: str) -> Path | None:
    preferred = folder / f"{base}{MODIFIED_TAG}{suffix}"
    if preferred.is_file():
        return preferred
    for other in sorted(IMAGE_SUFFIXES):
        candidate = folder / f"{base}{MODIFIED_TAG}{other}"
        if candidate.is_file():
            return candidate
    return None


def load_pairs(root: Path | str, domain: str | None = None) -> list[ImagePair]:
    """Every complete pair under `root` (searched recursively), sorted by id.

    In a folder we generated (it has a manifest) a pair counts only once its diff JSON exists,
    so half-written pairs of an interrupted run are left out. `domain` names the domain of
    pairs that carry no JSON (for example a public Vision-Zero dataset); otherwise those are
    "unknown".
    """
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"not a folder: {root}")
    if domain is not None and domain not in DOMAINS:
        raise ValueError(f"unknown domain {domain!r}; expected one of {DOMAINS}")
    pairs: list[ImagePair] = []
    manifests: dict[Path, dict[str, Any] | None] = {}
    for original in root.rglob(f"*{ORIGINAL_TAG}.*"):
        if original.suffix.lower() not in IMAGE_SUFFIXES or not original.is_file():
            continue
        folder = original.parent
        base = original.stem[: -len(ORIGINAL_TAG)]
        modified = _find_partner(folder, base, original.suffix)
        if modified is None:
            continue
        if folder not in manifests:
            manifests[folder] = read_manifest(folder)
        manifest = manifests[folder]
        diff_path = folder / f"{base}_diff.json"
        diff = _read_json(diff_path) if diff_path.is_file() else None
        if manifest is not None and diff is None:
            continue
        original_json = folder / f"{base}{ORIGINAL_TAG}.json"
        modified_json = folder / f"{base}{MODIFIED_TAG}.json"
        pair_domain = (
            (diff or {}).get("domain")
            or (manifest or {}).get("domain")
            or (_domain_from_spec(_read_json(original_json)) if original_json.is_file() else None)
            or domain
            or "unknown"
        )
        relative = folder.relative_to(root) / base
        pairs.append(
            ImagePair(
                id=relative.as_posix(),
                original=original,
                modified=modified,
                domain=pair_domain if pair_domain in DOMAINS else "unknown",
                diff=diff,
                original_json=original_json if original_json.is_file() else None,
                modified_json=modified_json if modified_json.is_file() else None,
            )
        )
    return sorted(pairs, key=lambda pair: pair.id)
