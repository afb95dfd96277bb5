"""Shared steps of the VisPlay episodes: ask the questioner about images, ask the reasoner.

Both batch every request of a phase into one `ctx.generate_many`, so the scheduler sees them
together.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from PIL import Image

from zeroplay.answers.parsed import Parsed
from zeroplay.engines.request import SamplingParams
from zeroplay.games.protocol import Context, Generated

from .config import PromptStyle
from .parsing import GeneratedQuestion, parse_question
from .prompts import QuestionerUse, ReasonerUse, questioner_request, reasoner_request

ImageItem = tuple[str, Image.Image]

GAME_NAME = "visplay"


@dataclass
class AskedQuestion:
    """One questioner sample for one image, with its parse."""

    question_id: str
    image_id: str
    sample_index: int
    generated: Generated
    parsed: Parsed[GeneratedQuestion]


def question_id(image_id: str, sample_index: int) -> str:
    """The id of the `sample_index`-th question generated for an image."""
    return f"{image_id}/q{sample_index}"


def check_unique_ids(ids: Sequence[str]) -> None:
    """Image and question ids name GRPO groups and records, so they must be unique in a call."""
    seen: set[str] = set()
    for item_id in ids:
        if item_id in seen:
            raise ValueError(f"duplicate id {item_id!r}")
        seen.add(item_id)


def request_meta(extra: Mapping[str, Any] | None, **fields: Any) -> dict[str, Any]:
    """Request metadata: the caller's `extra` (iteration, ...) plus the game's fields."""
    return {**(extra or {}), "game": GAME_NAME, **fields}


async def ask_questioner(
    ctx: Context,
    images: Sequence[ImageItem],
    *,
    style: PromptStyle,
    use: QuestionerUse,
    sampling: SamplingParams,
    validate_type: bool,
    phase: str,
    extra_meta: Mapping[str, Any] | None,
) -> list[list[AskedQuestion]]:
    """`sampling.n` questioner samples per image, parsed; one list per image, in order."""
    check_unique_ids([image_id for image_id, _ in images])
    requests = [
        questioner_request(
            image,
            style,
            use,
            sampling,
            request_meta(extra_meta, phase=phase, role="questioner", image_id=image_id),
        )
        for image_id, image in images
    ]
    outputs = await ctx.generate_many(requests)
    asked: list[list[AskedQuestion]] = []
    for (image_id, _), samples in zip(images, outputs, strict=True):
        asked.append(
            [
                AskedQuestion(
                    question_id=question_id(image_id, k),
                    image_id=image_id,
                    sample_index=k,
                    generated=generated,
                    parsed=parse_question(generated.text, validate_type=validate_type),
                )
                for k, generated in enumerate(samples)
            ]
        )
    return asked


@dataclass(frozen=True)
class ReasonerQuery:
    """One question for the reasoner: which question, its text and type, and the image."""

    question_id: str
    image_id: str
    question: str
    question_type: str
    image: Image.Image


async def ask_reasoner(
    ctx: Context,
    queries: Sequence[ReasonerQuery],
    *,
    style: PromptStyle,
    use: ReasonerUse,
    sampling: SamplingParams,
    phase: str,
    extra_meta: Mapping[str, Any] | None,
) -> list[list[Generated]]:
    """`sampling.n` reasoner samples per query, in query order."""
    requests = [
        reasoner_request(
            q.question,
            q.question_type,
            q.image,
            style,
            use,
            sampling,
            request_meta(
                extra_meta,
                phase=phase,
                role="reasoner",
                image_id=q.image_id,
                question_id=q.question_id,
            ),
        )
        for q in queries
    ]
    return await ctx.generate_many(requests)
