"""Scripted questioner and reasoner players for the VisPlay episode tests."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from PIL import Image

from zeroplay.engines.request import ChatRequest


def tiny_image(shade: int = 0) -> Image.Image:
    return Image.new("RGB", (4, 4), (shade, shade, shade))


def question_reply(question: str, question_type: str = "numerical", answer: str = "1") -> str:
    return (
        f"<type>{question_type}</type>\n<question>{question}</question>\n<answer>{answer}</answer>"
    )


def boxed(answer: str | None) -> str:
    """A reasoner reply boxing `answer`, or a reply without a box for None."""
    return "I cannot tell." if answer is None else f"Looking at it... \\boxed{{{answer}}}"


class Script:
    """Plays both roles from tables and records every request it was sent.

    `questions[image_id][k]` is the questioner's k-th reply for that image; `answers[question_id]`
    lists the reasoner's answers (None = no box) for that question, one per sample.
    """

    def __init__(
        self,
        questions: Mapping[str, Sequence[str]],
        answers: Mapping[str, Sequence[str | None]] | None = None,
        replies: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        self.questions = questions
        self.answers = answers or {}
        self.replies = replies or {}
        self.requests: list[ChatRequest] = []

    def __call__(self, request: ChatRequest, index: int) -> str:
        if index == 0:
            self.requests.append(request)
        if request.policy == "questioner":
            return self.questions[request.meta["image_id"]][index]
        question_id = request.meta["question_id"]
        if question_id in self.replies:
            return self.replies[question_id][index]
        return boxed(self.answers[question_id][index])

    def sent(self, policy: str) -> list[ChatRequest]:
        return [r for r in self.requests if r.policy == policy]
