"""The one prompt format of the harness, and the chat request built from an item.

Every item is asked the same way: its images first, then (when present) a hint line, the
question, the lettered options, the instruction for its answer type, and a request for a
`\\boxed{}` final answer. The template and instructions are written into every results file, so
a number can always be traced to the exact wording that produced it.
"""

from __future__ import annotations

from typing import Any

from PIL import Image

from zeroplay.engines.request import ChatRequest, SamplingParams, user_message
from zeroplay.eval.answer_types import option_letters
from zeroplay.eval.items import BenchItem

PROMPT_TEMPLATE = "{hint_line}{question}{options_block}\n\n{instruction}{final_line}"
HINT_LINE = "Hint: {hint}\n"
OPTIONS_HEADER = "\nOptions:"
FINAL_LINE = "Think step by step, then put your final answer in \\boxed{}."
INSTRUCTIONS: dict[str, str] = {
    "choice": "Answer with the letter of the correct option. ",
    "yesno": "Answer yes or no. ",
    "number": "Answer with a number. ",
    "text": "Answer with a single word or a short phrase. ",
    "math": "",
}


def prompt_text(item: BenchItem) -> str:
    """The user text of `item` (its images are placed before it)."""
    options = ""
    if item.choices:
        letters = option_letters(len(item.choices))
        lines = [
            f"{letter}. {choice}" for letter, choice in zip(letters, item.choices, strict=True)
        ]
        options = OPTIONS_HEADER + "\n" + "\n".join(lines)
    return PROMPT_TEMPLATE.format(
        hint_line=HINT_LINE.format(hint=item.hint) if item.hint else "",
        question=item.question.strip(),
        options_block=options,
        instruction=INSTRUCTIONS[item.answer_type],
        final_line=FINAL_LINE,
    )


def prompt_format() -> dict[str, Any]:
    """The prompt format as data, for the results file."""
    return {
        "template": PROMPT_TEMPLATE,
        "hint_line": HINT_LINE,
        "options": OPTIONS_HEADER + "\n{letter}. {option} (one line per option)",
        "instructions": dict(INSTRUCTIONS),
        "final_line": FINAL_LINE,
        "images": "all images of an item, in order, before the text",
        "system_prompt": None,
    }


def item_request(
    item: BenchItem, images: list[Image.Image], sampling: SamplingParams, policy: str = "default"
) -> ChatRequest:
    """The chat request asking `item`, with its decoded `images`."""
    return ChatRequest(
        [user_message(prompt_text(item), len(images))],
        images,
        sampling,
        policy=policy,
        meta={"id": item.id},
    )
