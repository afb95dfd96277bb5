"""Scripted players and a fake renderer for MM-Zero round tests."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PIL import Image

from zeroplay.engines.request import ChatRequest


@dataclass
class FakeRendered:
    ok: bool
    image: Image.Image | None
    reason: str | None
    width: int = 0
    height: int = 0


class FakeRender:
    """Renders any code containing `<svg` and not `broken`; records every batch it was given."""

    def __init__(self) -> None:
        self.batches: list[list[str]] = []

    def __call__(self, codes: list[str]) -> list[FakeRendered]:
        self.batches.append(list(codes))
        out = []
        for code in codes:
            if "<svg" in code and "broken" not in code:
                out.append(FakeRendered(True, Image.new("RGB", (8, 6), "white"), None, 8, 6))
            else:
                out.append(FakeRendered(False, None, "refused: malformed XML", 0, 0))
        return out


def box(answer: str) -> str:
    return f"<think>reading the image</think>\\boxed{{{answer}}}"


def proposal_text(
    caption: str, easy_q: str, easy_a: str, hard_q: str, hard_a: str, ctype: str
) -> str:
    return (
        f"<content_type>{ctype}</content_type><caption>{caption}</caption>"
        f"<easy_question>{easy_q}</easy_question><easy_answer>{easy_a}</easy_answer>"
        f"<hard_question>{hard_q}</hard_question><hard_answer>{hard_a}</hard_answer>"
    )


def svg_reply(tag: str) -> str:
    return f"Here you go:\n```svg\n<svg viewBox='0 0 8 6'><text>{tag}</text></svg>\n```"


Player = Callable[[ChatRequest, int], str]


def dispatch(
    proposer: Player | None = None, codegen: Player | None = None, solver: Player | None = None
) -> Player:
    """One player that routes each request to the role named by its policy."""
    roles = {"proposer": proposer, "codegen": codegen, "solver": solver}

    def play(request: ChatRequest, index: int) -> str:
        role = roles[request.policy]
        if role is None:
            raise AssertionError(f"unexpected {request.policy} request: {request.meta}")
        return role(request, index)

    return play
