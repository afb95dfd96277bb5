"""Parsing a questioner's reply into a question, and normalising its type.

The reply must hold `<type>`, `<question>` and `<answer>` in that order (note §1.1, the reward's
tolerant first-match regex). A reply that does not parse is invalid and never becomes a training
question (the code let the raw text through at generation time, note §9.2 item 11).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from zeroplay.answers.parsed import Parsed
from zeroplay.answers.tags import parse_ordered_tags

QUESTION_TAGS: tuple[str, ...] = ("type", "question", "answer")

# Spellings a model uses for the three classes, after lower-casing and collapsing separators.
_TYPE_ALIASES: dict[str, str] = {
    "multiple choice": "multiple choice",
    "multiplechoice": "multiple choice",
    "multi choice": "multiple choice",
    "multiple choice question": "multiple choice",
    "mcq": "multiple choice",
    "mc": "multiple choice",
    "choice": "multiple choice",
    "yes no": "multiple choice",
    "numerical": "numerical",
    "numeric": "numerical",
    "number": "numerical",
    "numerical question": "numerical",
    "counting": "numerical",
    "regression": "regression",
    "regression question": "regression",
    "continuous": "regression",
}

_SEPARATORS = re.compile(r"[\s_\-/]+")


@dataclass(frozen=True)
class GeneratedQuestion:
    """A parsed questioner reply. `answer` is the questioner's own answer: logged, never a label.

    `question_type` is one of the three classes, or the raw type text (stripped) when type
    validation is off and the type is not recognised.
    """

    question_type: str
    question: str
    answer: str


def normalize_question_type(raw: str) -> str | None:
    """The class ("multiple choice", "numerical", "regression") that `raw` names, else None.

    A trailing parenthesis is a gloss and is ignored: the questioner prompt itself describes
    the classes as "multiple choice (Yes/No, or four options A-D ...)", and models copy it.
    """
    text = raw.strip()
    if text.endswith(")") and "(" in text:
        text = text[: text.index("(")]
    key = _SEPARATORS.sub(" ", text.lower()).strip(" .:*\"'`")
    return _TYPE_ALIASES.get(key)


def parse_question(text: str, *, validate_type: bool = False) -> Parsed[GeneratedQuestion]:
    """Parse a questioner reply; never raises.

    Invalid when the three tags are not found in order, when the question, answer or type is
    empty, or (with `validate_type`) when the type names none of the three classes.
    """
    # All three values must be non-empty, as the code's validity check requires (note §2.2).
    tags = parse_ordered_tags(text, QUESTION_TAGS, require_nonempty=True)
    if not tags.ok or tags.value is None:
        return Parsed.invalid(tags.reason or "no <type>/<question>/<answer> blocks")
    raw_type = tags.value["type"]
    question_type = normalize_question_type(raw_type)
    if question_type is None:
        if validate_type:
            return Parsed.invalid("unknown question type")
        question_type = raw_type
    return Parsed.valid(
        GeneratedQuestion(question_type, tags.value["question"], tags.value["answer"])
    )
