"""The judge's prompt and how its reply is read; shared by the local-model and endpoint judges.

The judge sees the question (with its options), the reference answer and the model's answer,
and replies CORRECT or INCORRECT. It is shown the extracted final answer when there is one;
otherwise the last characters of the response, marked as such, so that it can credit an answer
the rules missed without being shown a long chain of thought (VisPlay's judge saw the first 100
raw characters and was lenient by instruction, which inflated scores: visplay.md §7.3, §9.2).
Decoding is deterministic (temperature 0), unlike VisPlay's judge at temperature 0.6.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from zeroplay.answers.parsed import Parsed
from zeroplay.answers.tags import remove_think_blocks
from zeroplay.eval.answer_types import option_letters
from zeroplay.eval.items import BenchItem
from zeroplay.eval.prompting import OPTIONS_HEADER

JUDGE_TEMPLATE = (
    "You are checking an answer to a question about an image. You cannot see the image: decide "
    "only whether the given answer means the same as the reference answer.\n\n"
    "Question: {question}\n\n"
    "Reference answer: {gold}\n\n"
    "Given answer: {answer}\n\n"
    "Differences in formatting, letter case, notation or units that do not change the meaning "
    "do not matter. For a multiple-choice question, the given answer is correct when it picks "
    "the same option. Reply with one word: CORRECT or INCORRECT."
)
NO_ANSWER_NOTE = "[no final answer was marked; the response ends with:] "
TAIL_CHARS = 500
MAX_QUESTION_CHARS = 2000
MAX_ANSWER_CHARS = 1000

_VERDICT = re.compile(r"\b(correct|incorrect)\b", re.IGNORECASE)


@dataclass(frozen=True)
class JudgeQuery:
    """One item to judge: the filled-in prompt and the answer text it shows."""

    item_id: str
    prompt: str
    answer_shown: str


def _question_with_options(item: BenchItem) -> str:
    text = item.question.strip()
    if item.hint:
        text = f"{item.hint.strip()}\n{text}"
    if item.choices:
        letters = option_letters(len(item.choices))
        options = "\n".join(f"{k}. {c}" for k, c in zip(letters, item.choices, strict=True))
        text = f"{text}{OPTIONS_HEADER}\n{options}"
    return text[:MAX_QUESTION_CHARS]


def _gold(item: BenchItem) -> str:
    if item.answer_type == "choice":
        index = option_letters(len(item.choices)).index(item.answer)
        return f"{item.answer}. {item.choices[index]}"
    if item.accept:
        return f"{item.answer} (also accepted: {'; '.join(item.accept)})"
    return item.answer


def judge_query(item: BenchItem, extracted: str | None, response: str) -> JudgeQuery:
    """The judge prompt for `item` given the extracted answer (None: show the response tail)."""
    if extracted is not None:
        shown = extracted[:MAX_ANSWER_CHARS]
    else:
        tail = remove_think_blocks(response).strip()[-TAIL_CHARS:]
        shown = NO_ANSWER_NOTE + (tail if tail else "(empty response)")
    prompt = JUDGE_TEMPLATE.format(
        question=_question_with_options(item), gold=_gold(item), answer=shown
    )
    return JudgeQuery(item.id, prompt, shown)


def read_verdict(reply: str) -> Parsed[bool]:
    """True for CORRECT, False for INCORRECT: the first of the two words after any thinking."""
    if not isinstance(reply, str):
        return Parsed.invalid("reply is not text")
    match = _VERDICT.search(remove_think_blocks(reply))
    if match is None:
        return Parsed.invalid("reply says neither CORRECT nor INCORRECT")
    return Parsed.valid(match.group(1).lower() == "correct")
