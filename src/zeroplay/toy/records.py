"""One supervised chat record: a prompt's messages, each image part naming a file of the
corpus, then the assistant's answer (the format `zeroplay train sft` reads)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from zeroplay.engines.request import user_message


def chat_record(
    messages: Sequence[dict[str, Any]], answer: str, image: str | None = None
) -> dict[str, Any]:
    """`messages`, each image part naming the file `image`, then the assistant's `answer`."""
    turns = []
    for message in messages:
        content = [
            {"type": "image", "image": image} if part.get("type") == "image" else dict(part)
            for part in message["content"]
        ]
        turns.append({"role": message["role"], "content": content})
    turns.append({"role": "assistant", "content": [{"type": "text", "text": answer}]})
    return {"messages": turns}


def prompt_record(prompt: str, answer: str, image: str | None = None) -> dict[str, Any]:
    """A one-turn record: `image` (if any) then `prompt`, answered with `answer`."""
    return chat_record([user_message(prompt, 0 if image is None else 1)], answer, image)
