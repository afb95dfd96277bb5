"""Responses saved as they are generated, so an interrupted evaluation resumes where it stopped.

The file is JSON Lines: a header with a fingerprint of everything that shapes a response (model,
policy, decoding, prompt format), then one line per item id. A header that does not match starts
the file afresh; a line whose prompt hash no longer matches its item is generated again.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Generated:
    """The model's response to one item (`error` is set when the item could not be asked)."""

    response: str
    finish_reason: str
    num_tokens: int
    error: str | None = None


def prompt_hash(prompt: str, image_descriptions: list[str]) -> str:
    """A short hash of an item's prompt text and image references."""
    digest = hashlib.sha256(json.dumps([prompt, image_descriptions]).encode())
    return digest.hexdigest()[:16]


class ResponseCache:
    """Append-only store of responses for one (model, benchmark) evaluation."""

    def __init__(self, path: Path, fingerprint: dict[str, Any]) -> None:
        self.path = path
        self.fingerprint = json.loads(json.dumps(fingerprint))
        self._entries: dict[str, tuple[str, Generated]] = {}
        self._load_or_reset()

    def _load_or_reset(self) -> None:
        text = ""
        if self.path.is_file():
            text = self.path.read_text(encoding="utf-8", errors="replace")
        lines = text.splitlines()
        header = _json_or_none(lines[0]) if lines else None
        if not isinstance(header, dict) or header.get("fingerprint") != self.fingerprint:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.path.write_text(json.dumps({"fingerprint": self.fingerprint}) + "\n")
            return
        if not text.endswith("\n"):
            # A crash cut the last line short: end it so the next entry starts on its own line.
            with self.path.open("a", encoding="utf-8") as handle:
                handle.write("\n")
        for line in lines[1:]:
            entry = _json_or_none(line)  # a line cut short by a crash is skipped
            if not isinstance(entry, dict):
                continue
            try:
                generated = Generated(**entry["generated"])
                self._entries[str(entry["id"])] = (str(entry["prompt_hash"]), generated)
            except (KeyError, TypeError):
                continue

    def get(self, item_id: str, expected_hash: str) -> Generated | None:
        """The saved response for `item_id` if it was made from the same prompt."""
        entry = self._entries.get(item_id)
        return entry[1] if entry is not None and entry[0] == expected_hash else None

    def put(self, item_id: str, hash_: str, generated: Generated) -> None:
        """Save one response (appended and flushed at once)."""
        self._entries[item_id] = (hash_, generated)
        line = {"id": item_id, "prompt_hash": hash_, "generated": asdict(generated)}
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(line) + "\n")

    def remove(self) -> None:
        """Delete the file (after the final results are written)."""
        self.path.unlink(missing_ok=True)


def _json_or_none(line: str) -> Any:
    try:
        return json.loads(line)
    except ValueError:
        return None
