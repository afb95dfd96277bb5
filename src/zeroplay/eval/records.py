"""Per-item records: what was asked, what the model said, what was read from it, and the verdicts."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass
class JudgeVerdict:
    """A judge's decision on one item: `correct` is None when its reply could not be read or the
    call failed (`reason` says which); `answer_shown` is what the judge was asked to grade."""

    correct: bool | None
    reply: str
    answer_shown: str
    reason: str | None = None


@dataclass
class ItemRecord:
    """One evaluated item. Ground truth (`gold`, `accept`) is joined to the response by `id`.

    - `extracted`: the answer text found in the response (None when none was found), and
      `extraction`: how ("boxed", "fallback:...") or, when none, why not (`extraction_error`);
    - `normalized`: how the rule read that answer (an option letter, "yes", a number, ...);
    - `error`: set when the item could not be asked at all (an unreadable image); it is wrong.
    """

    id: str
    category: str
    answer_type: str
    prompt: str
    n_images: int
    response: str
    finish_reason: str
    num_tokens: int
    extracted: str | None
    extraction: str | None
    extraction_error: str | None
    normalized: str | None
    gold: str
    accept: list[str]
    correct: bool
    score_reason: str | None = None
    error: str | None = None
    judge: JudgeVerdict | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
