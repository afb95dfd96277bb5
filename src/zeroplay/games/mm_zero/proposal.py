"""The Proposer's output: a visual spec with an easy and a hard question, and its two parsers.

Reward-time parsing is strict (note §2.1): whitespace around `<`, `>` and `/` is deleted, then the
first `<tag>...</tag>` of each of the five required tags is taken; a missing one makes the
proposal invalid (reward -1). Offline generation parses leniently: per field a closed tag, an
unclosed tag, a `field: value` line or a `field: <value>` line, case-insensitively; only caption,
easy question and easy answer are required. Both parsers are linear-time and never raise.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any

from zeroplay.answers.parsed import Parsed
from zeroplay.answers.tags import collapse_tag_spacing, first_tag

CONTENT_TYPES: tuple[str, ...] = (
    "data_chart",
    "diagram",
    "geometry",
    "timeline",
    "map",
    "table",
    "other",
)
REQUIRED_TAGS: tuple[str, ...] = (
    "caption",
    "easy_question",
    "easy_answer",
    "hard_question",
    "hard_answer",
)
LENIENT_REQUIRED: tuple[str, ...] = ("caption", "easy_question", "easy_answer")

# Caption keywords for proposals whose declared type is "other" (note §2.1), most specific
# first: the first class with a matching word wins.
_CAPTION_KEYWORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("timeline", ("timeline", "time line", "milestone", "chronolog", "gantt")),
    ("map", ("floor plan", "floorplan", "map", "route", "compass", "street", "layout of")),
    ("table", ("table", "spreadsheet", "matrix of", "grid of values", "schedule")),
    (
        "diagram",
        (
            "flowchart",
            "flow chart",
            "diagram",
            "org chart",
            "organisation chart",
            "organization chart",
            "hierarchy",
            "network",
            "tree",
            "venn",
            "pipeline",
            "schematic",
            "circuit",
            "cycle",
        ),
    ),
    (
        "geometry",
        (
            "angle",
            "triangle",
            "polygon",
            "circle",
            "radius",
            "diameter",
            "perpendicular",
            "tangent",
            "bisector",
            "geometr",
            "hexagon",
            "square",
            "rectangle",
        ),
    ),
    (
        "data_chart",
        (
            "bar chart",
            "line chart",
            "pie chart",
            "scatter",
            "histogram",
            "chart",
            "graph",
            "plot",
            "axis",
            "series",
            "bars",
        ),
    ),
)


@dataclass(frozen=True)
class Proposal:
    """A parsed visual spec. `content_type` is the declared type normalised to the 7 classes."""

    caption: str
    easy_question: str
    easy_answer: str
    hard_question: str
    hard_answer: str
    content_type: str = "other"

    @property
    def effective_content_type(self) -> str:
        """The declared type, or the caption-keyword guess when it is "other" (for diversity)."""
        if self.content_type != "other":
            return self.content_type
        return content_type_from_caption(self.caption)

    def to_record(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_record(cls, data: dict[str, Any]) -> Proposal:
        fields = {name: str(data.get(name) or "") for name in REQUIRED_TAGS}
        return cls(**fields, content_type=normalize_content_type(data.get("content_type")))


def normalize_content_type(raw: str | None) -> str:
    """Lower-case, spaces to underscores; anything outside the 7 classes becomes "other"."""
    if not raw:
        return "other"
    value = "_".join(raw.strip().lower().split())
    return value if value in CONTENT_TYPES else "other"


def _keyword_pattern() -> re.Pattern[str]:
    """One zero-width pattern that, at every word start, captures the keyword found there.

    Keywords are listed in type-priority order, so at one position the alternation reports the
    highest-priority type whose keyword starts there; the lookahead keeps matches zero-width so
    keywords starting inside another keyword's text are still seen.
    """
    words = [word for _type, type_words in _CAPTION_KEYWORDS for word in type_words]
    return re.compile(r"\b(?=(" + "|".join(re.escape(word) for word in words) + "))")


_KEYWORD = _keyword_pattern()
_TYPE_OF_KEYWORD = {
    word: rank for rank, (_t, words) in enumerate(_CAPTION_KEYWORDS) for word in words
}


def content_type_from_caption(caption: str) -> str:
    """Guess the content type from caption keywords; "other" when nothing matches.

    The first type (in `_CAPTION_KEYWORDS` order) with a keyword at the start of a word wins.
    One pass over the caption: searching once per keyword (55 passes) took 1-2.5 s per MB.
    """
    best = len(_CAPTION_KEYWORDS)
    for match in _KEYWORD.finditer(caption.lower()):
        best = min(best, _TYPE_OF_KEYWORD[match.group(1)])
        if best == 0:
            break
    return _CAPTION_KEYWORDS[best][0] if best < len(_CAPTION_KEYWORDS) else "other"


def parse_proposal_strict(text: str) -> Parsed[Proposal]:
    """Reward-time parse: all five tags present and non-empty, else invalid (reward -1).

    An empty tag counts as missing: an empty question cannot be judged.
    """
    collapsed = collapse_tag_spacing(text)
    fields: dict[str, str] = {}
    for tag in REQUIRED_TAGS:
        found = first_tag(collapsed, tag, collapse_spacing=False)
        if not found.ok or not found.value:
            return Parsed.invalid(f"missing <{tag}>" if not found.ok else f"empty <{tag}>")
        fields[tag] = found.value
    declared = first_tag(collapsed, "content_type", collapse_spacing=False)
    content_type = normalize_content_type(declared.value if declared.ok else None)
    return Parsed.valid(Proposal(**fields, content_type=content_type))


def _lenient_field(text: str, field: str) -> str | None:
    """One field by the first rule that finds it: closed tag, unclosed tag, `field:` line."""
    opener = re.search(rf"<{field}>", text, re.IGNORECASE)
    if opener is not None:
        closer = re.compile(rf"</{field}>", re.IGNORECASE).search(text, opener.end())
        if closer is not None:
            return text[opener.end() : closer.start()].strip()
        next_tag = text.find("<", opener.end())
        return text[opener.end() : next_tag if next_tag >= 0 else len(text)].strip()
    names = "|".join(re.escape(name) for name in sorted({field, field.replace("_", " ")}))
    line = re.search(rf"(?im)^[ \t]*(?:{names})[ \t]*:[ \t]*([^<\s][^\n]*)$", text)
    if line is not None:
        return line.group(1).strip()
    bracketed = re.search(rf"(?im)^[ \t]*(?:{names})[ \t]*:[ \t]*<([^>\n]*)>", text)
    if bracketed is not None:
        return bracketed.group(1).strip()
    return None


def parse_proposal_lenient(text: str) -> Parsed[Proposal]:
    """Offline-generation parse: caption, easy question and easy answer required; hard Q/A may
    be missing (then ""). No whitespace normalisation.
    """
    values = {field: _lenient_field(text, field) for field in REQUIRED_TAGS}
    for field in LENIENT_REQUIRED:
        if not values[field]:
            return Parsed.invalid(f"missing {field}")
    content_type = normalize_content_type(_lenient_field(text, "content_type"))
    return Parsed.valid(
        Proposal(
            caption=values["caption"] or "",
            easy_question=values["easy_question"] or "",
            easy_answer=values["easy_answer"] or "",
            hard_question=values["hard_question"] or "",
            hard_answer=values["hard_answer"] or "",
            content_type=content_type,
        )
    )
