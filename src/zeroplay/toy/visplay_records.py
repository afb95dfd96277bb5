"""Warm-start records in VisPlay's formats, on toy scenes, with the game's own prompts.

The questioner record teaches the three tagged blocks (`<type>`, `<question>`, `<answer>`) with a
question the CLEVR generator asks about the picture; the reasoner record teaches a boxed answer
under VisPlay's reasoner prompt. Both use the `consistent` prompt style (the recipe's default),
whose questioner prompt puts the instruction before the image. Without them a model built from
scratch never writes a question the VisPlay loop can keep, and its later phases never run.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from zeroplay.eval.suites.clevr_questions import Question
from zeroplay.games.visplay.prompts import questioner_messages, reasoner_messages
from zeroplay.toy.records import chat_record

# CLEVR answer kinds that are one of VisPlay's question types: counts are numerical, yes/no
# questions are VisPlay's two-option multiple choice. Attribute questions ("What colour is ...?")
# fit neither without invented options, so they are not used here.
VISPLAY_TYPES: dict[str, str] = {"number": "numerical", "yesno": "multiple choice"}


def visplay_question(questions: Sequence[Question]) -> Question | None:
    """The first question of a kind VisPlay's types cover, or None."""
    return next((q for q in questions if q.answer_type in VISPLAY_TYPES), None)


def questioner_reply(question: Question) -> str:
    """A questioner's reply in VisPlay's three blocks, with the generator's question."""
    return (
        f"<type>{VISPLAY_TYPES[question.answer_type]}</type>\n"
        f"<question>{question.text}</question>\n"
        f"<answer>{question.answer}</answer>"
    )


def questioner_record(image: str, question: Question) -> dict[str, Any]:
    """The questioner's turn on `image`, answered with `question` in VisPlay's format."""
    return chat_record(
        questioner_messages("consistent", "train"), questioner_reply(question), image
    )


def reasoner_record(image: str, question: Question) -> dict[str, Any]:
    """The reasoner's turn on `question` about `image`, answered with the boxed answer."""
    messages = reasoner_messages(
        question.text, VISPLAY_TYPES.get(question.answer_type, ""), "consistent", "train"
    )
    return chat_record(messages, f"\\boxed{{{question.answer}}}", image)
