"""Finding the answer in a model response: the last `\\boxed{}`, with two documented fallbacks.

1. The content of the last complete, outermost `\\boxed{...}` (nested braces allowed).
2. Only when there is no usable box:
   - multiple choice: the last "answer is (B)" / "Answer: B" phrase naming an option letter;
     else a response that is nothing but one option letter ("B", "(B)", "B."); else a last line
     that is exactly one option's text;
   - yes/no: the response's words contain "yes" or "no" but not both.
   Other answer types have no fallback: a missing box is an unanswered item (scored wrong).

The fallbacks are narrow on purpose: passing the raw start of a response to a lenient grader
inflates scores (visplay.md §9.2 item 17).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from zeroplay.answers.boxed import last_boxed
from zeroplay.answers.parsed import Parsed
from zeroplay.answers.tags import remove_think_blocks
from zeroplay.eval.answer_types import YES_NO, normalize_words, option_letters
from zeroplay.eval.items import BenchItem

# "the answer is (B)", "Answer: **B**", "final answer: option C." The letter must be upper case
# (so "the answer is a cube" names no option) and not start a longer word.
_ANSWER_PHRASE = re.compile(
    r"(?i:answer)(?:\s+is\b|\s*:)?[\s:\-\*\(\[]*(?:(?i:option)[\s\*\(\[]*)?([A-Z])(?![A-Za-z])"
)
# A whole response that is one letter, optionally wrapped: "B", "(B)", "**B.**", "[b]".
_LONE_LETTER = re.compile(r"[\s\*\(\[]*([A-Za-z])[\s\*\)\]\.:]*")
_WORD = re.compile(r"[A-Za-z]+")


@dataclass(frozen=True)
class Extracted:
    """The answer text found in a response and how it was found ("boxed" or "fallback:...")."""

    text: str
    method: str


def _choice_fallback(response: str, item: BenchItem) -> Parsed[Extracted]:
    letters = option_letters(len(item.choices))
    phrases = [m.group(1) for m in _ANSWER_PHRASE.finditer(response)]
    phrases = [letter for letter in phrases if letter in letters]
    if phrases:
        return Parsed.valid(Extracted(phrases[-1], "fallback:answer-phrase"))
    lone = _LONE_LETTER.fullmatch(response)
    if lone and lone.group(1).upper() in letters:
        return Parsed.valid(Extracted(lone.group(1).upper(), "fallback:lone-letter"))
    lines = [line for line in response.splitlines() if line.strip()]
    if lines:
        last = normalize_words(lines[-1])
        hits = [letters[i] for i, c in enumerate(item.choices) if normalize_words(c) == last]
        if len(hits) == 1:
            return Parsed.valid(Extracted(hits[0], "fallback:option-text"))
    return Parsed.invalid("no \\boxed{} and no option letter or option text found")


def _yesno_fallback(response: str) -> Parsed[Extracted]:
    words = {word.lower() for word in _WORD.findall(response)}
    found = [word for word in YES_NO if word in words]
    if len(found) == 1:
        return Parsed.valid(Extracted(found[0], "fallback:yes-no-word"))
    if not found:
        return Parsed.invalid("no \\boxed{} and neither yes nor no in the response")
    return Parsed.invalid("no \\boxed{} and both yes and no in the response")


def extract_answer(response: str, item: BenchItem) -> Parsed[Extracted]:
    """The answer of `response` to `item` (see the module docstring). Never raises."""
    if not isinstance(response, str):
        return Parsed.invalid("response is not text")
    boxed = last_boxed(response)
    if boxed.ok and boxed.value is not None:
        return Parsed.valid(Extracted(boxed.value, "boxed"))
    after_thinking = remove_think_blocks(response).strip()
    if item.answer_type == "choice":
        return _choice_fallback(after_thinking, item)
    if item.answer_type == "yesno":
        return _yesno_fallback(after_thinking)
    return Parsed.invalid(boxed.reason or "no \\boxed{...}")
