"""Pure request types shared by games, the rollout scheduler and every engine.

This module must stay free of torch so that games (which import it) remain pure.
A `ChatRequest` names *what* to generate; an engine turns it into model inputs exactly once
(see `zeroplay.engines.prepared`) and returns completions that carry those inputs.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from PIL import Image

# One chat message in the Hugging Face multimodal chat format:
# {"role": "user", "content": [{"type": "image"}, {"type": "text", "text": "..."}]}
# Images are given separately, in the order their {"type": "image"} placeholders appear.
Message = dict[str, Any]


@dataclass(frozen=True)
class SamplingParams:
    """How to sample completions for one request.

    `temperature == 0` means greedy decoding. `top_k == 0` and `top_p == 1.0` disable those filters.
    `seed`, when set, makes this request's samples independent of batch composition.
    """

    n: int = 1
    temperature: float = 1.0
    top_p: float = 1.0
    top_k: int = 0
    max_new_tokens: int = 64
    min_new_tokens: int = 0
    repetition_penalty: float = 1.0
    stop: tuple[str, ...] = ()
    seed: int | None = None

    def __post_init__(self) -> None:
        if self.n < 1:
            raise ValueError(f"n must be >= 1, got {self.n}")
        if self.temperature < 0:
            raise ValueError(f"temperature must be >= 0, got {self.temperature}")
        if not 0 < self.top_p <= 1:
            raise ValueError(f"top_p must be in (0, 1], got {self.top_p}")
        if self.top_k < 0:
            raise ValueError(f"top_k must be >= 0, got {self.top_k}")
        if self.max_new_tokens < 1:
            raise ValueError(f"max_new_tokens must be >= 1, got {self.max_new_tokens}")
        if not 0 <= self.min_new_tokens <= self.max_new_tokens:
            raise ValueError("min_new_tokens must be in [0, max_new_tokens]")
        if self.repetition_penalty <= 0:
            raise ValueError("repetition_penalty must be > 0")

    def with_(self, **changes: Any) -> SamplingParams:
        """A copy with some fields changed."""
        return replace(self, **changes)


@dataclass
class ChatRequest:
    """One prompt to complete `sampling.n` times with the policy (LoRA adapter / role) `policy`.

    `meta` is free-form and travels to the completions untouched (episode id, player, stage, ...).
    """

    messages: list[Message]
    images: list[Image.Image] = field(default_factory=list)
    sampling: SamplingParams = field(default_factory=SamplingParams)
    policy: str = "default"
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        placeholders = sum(
            1
            for m in self.messages
            if isinstance(m.get("content"), list)
            for part in m["content"]
            if isinstance(part, dict) and part.get("type") == "image"
        )
        if placeholders != len(self.images):
            raise ValueError(
                f"request has {placeholders} image placeholders but {len(self.images)} images"
            )


def user_message(text: str, n_images: int = 0) -> Message:
    """A user turn with `n_images` image placeholders followed by `text`."""
    content: list[dict[str, Any]] = [{"type": "image"} for _ in range(n_images)]
    content.append({"type": "text", "text": text})
    return {"role": "user", "content": content}


def system_message(text: str) -> Message:
    """A system turn holding plain text."""
    return {"role": "system", "content": [{"type": "text", "text": text}]}
