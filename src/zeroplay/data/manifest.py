"""The folder manifest: which generator made a pair folder and with what settings.

Written once when a folder is created and checked on every later run, so that resuming with
different settings (which would mix two datasets in one folder) fails with a clear message.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from zeroplay.data.layout import write_json_atomic

MANIFEST_NAME = "zeroplay_data.json"
FORMAT = "zeroplay-pairs"
VERSION = 1


class ManifestMismatch(ValueError):
    """The folder was made by another generator or with other settings."""


def read_manifest(folder: Path) -> dict[str, Any] | None:
    """The manifest of `folder`, or None when there is none or it cannot be parsed."""
    path = folder / MANIFEST_NAME
    try:
        value = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return value if isinstance(value, dict) and value.get("format") == FORMAT else None


def ensure_manifest(folder: Path, domain: str, settings: dict[str, Any]) -> None:
    """Create the manifest, or check that an existing one has the same domain and settings."""
    folder.mkdir(parents=True, exist_ok=True)
    wanted = {"format": FORMAT, "version": VERSION, "domain": domain, "settings": settings}
    # Round-trip through JSON so tuples and lists compare equal.
    wanted = json.loads(json.dumps(wanted))
    existing = read_manifest(folder)
    if existing is None:
        if (folder / MANIFEST_NAME).exists():
            raise ManifestMismatch(f"{folder / MANIFEST_NAME} is not a zeroplay data manifest")
        write_json_atomic(folder / MANIFEST_NAME, wanted)
        return
    if existing.get("domain") != domain:
        raise ManifestMismatch(
            f"{folder} holds {existing.get('domain')} pairs; use another --out for {domain} pairs"
        )
    if existing.get("settings") != wanted["settings"]:
        changed = sorted(
            key
            for key in set(existing.get("settings", {})) | set(wanted["settings"])
            if existing.get("settings", {}).get(key) != wanted["settings"].get(key)
        )
        raise ManifestMismatch(
            f"{folder} was made with other settings ({', '.join(changed)} differ); "
            "rerun with the same settings to resume, or use another --out"
        )
