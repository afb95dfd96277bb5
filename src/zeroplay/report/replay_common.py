"""Pieces every replay viewer uses: which episodes to show, typed reads of untrusted record
fields, the images a record names, and the selectable group of episodes."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from zeroplay.report.html_parts import esc, figure, image_tag, json_block, note, tag
from zeroplay.report.images import ThumbnailCache, find_image_refs
from zeroplay.report.run_files import RolloutRecord
from zeroplay.report.series import number

T = TypeVar("T")


@dataclass(frozen=True)
class Episode:
    """One replay: a plain-text title (shown in the selector) and its HTML body."""

    title: str
    body: str


def select_evenly(items: Sequence[T], count: int) -> list[T]:
    """`count` items spread evenly from first to last (all when there are fewer), in order.

    Evenly spaced picks show how play changed over the run; the choice is deterministic.
    """
    n = len(items)
    if count <= 0 or n == 0:
        return []
    if n <= count:
        return list(items)
    if count == 1:
        return [items[0]]
    picks = sorted({round(i * (n - 1) / (count - 1)) for i in range(count)})
    return [items[i] for i in picks]


def as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def dicts(value: Any) -> list[dict[str, Any]]:
    """The mappings of a list field (anything else is ignored)."""
    return [v for v in as_list(value) if isinstance(v, dict)]


def as_int(value: Any) -> int | None:
    v = number(value)
    return int(v) if v is not None and not isinstance(value, bool) and v == int(v) else None


def where(record: RolloutRecord) -> list[str]:
    """Short "step 3", "iteration 2" tags locating a record in the run."""
    parts = []
    if record.iteration is not None:
        parts.append(f"iteration {record.iteration}")
    if record.step is not None:
        parts.append(f"step {record.step}")
    phase = record.data.get("phase")
    if isinstance(phase, str) and phase:
        parts.append(phase)
    return parts


def images_row(
    refs: Sequence[tuple[str, str]],
    cache: ThumbnailCache,
    caption: Callable[[str, str], str] = lambda key, ref: f"{key}: {ref}",
) -> str:
    """The images side by side, each with a caption; a missing file is said, not hidden."""
    if not refs:
        return ""
    cells = []
    for key, ref in refs:
        uri = cache.uri(ref)
        text = caption(key, ref)
        if uri is None:
            cells.append(figure(tag("div", esc("image not available"), class_="noimg"), text))
        else:
            cells.append(figure(image_tag(uri, text, "thumb"), text))
    return tag("div", "".join(cells), class_="images")


def record_images(record: Mapping[str, Any], cache: ThumbnailCache) -> str:
    return images_row(find_image_refs(record), cache)


def source_line(record: RolloutRecord) -> str:
    return tag("p", esc(f"from {record.source}, line {record.line}"), class_="source")


def generic_episode(record: RolloutRecord, cache: ThumbnailCache, title: str) -> Episode:
    """Any record: its images and its JSON (for kinds the report does not know)."""
    body = record_images(record.data, cache) + json_block(record.data) + source_line(record)
    return Episode(title, body)


def replay_group(group_id: str, title: str, episodes: Sequence[Episode], total: int) -> str:
    """A titled group of episodes with a selector; the inline script shows one at a time
    (without scripts every episode is shown, one after the other)."""
    if not episodes:
        return ""
    options = "".join(
        tag("option", esc(f"{i + 1}. {e.title}"), value=str(i)) for i, e in enumerate(episodes)
    )
    picker = tag(
        "label",
        esc("episode ") + tag("select", options, class_="episode-select", data_group=group_id),
        class_="picker",
    )
    shown = f"{len(episodes)} of {total} records, spread evenly over the run"
    bodies = "".join(
        tag(
            "article",
            tag("h4", esc(e.title)) + e.body,
            class_="episode",
            data_group=group_id,
            data_index=str(i),
        )
        for i, e in enumerate(episodes)
    )
    return tag(
        "div",
        tag("h3", esc(title)) + note(shown) + picker + bodies,
        class_="replay-group",
        id=f"replay-{group_id}",
    )
