"""Supervised chat records: read JSONL, tokenize once, and mark the tokens the loss is taken on.

A record is `{"messages": [{"role": ..., "content": str | [parts]}, ...]}` where a part is
`{"type": "text", "text": ...}` or `{"type": "image", "image": PATH}` (relative paths are read
from the JSONL file's folder). The loss covers the assistant turns only: each assistant turn's
tokens are the ones the chat template adds after the prompt that precedes it, up to and
including the end-of-turn token (what generation would emit, EOS included); anything the
template writes after EOS (ChatML's newline) is not a target.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from zeroplay.models.batching import PreparedPrompt


class SftDataError(ValueError):
    """A record that cannot be used for training; the message names the line and why."""


@dataclass
class SftExample:
    """One tokenized record: the whole conversation and a 0/1 mask of loss targets."""

    prepared: PreparedPrompt
    targets: torch.Tensor  # bool (L,): position t is a target token (predicted from t - 1)

    @property
    def n_targets(self) -> int:
        return int(self.targets.sum())


def read_records(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """Records of a JSONL file with image paths made absolute; errors name the line."""
    path = Path(path)
    if not path.is_file():
        raise SftDataError(f"SFT data file {str(path)!r} does not exist")
    records = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise SftDataError(f"{path}:{number}: not valid JSON ({exc.msg})") from None
        records.append(_checked(record, path.parent, f"{path}:{number}"))
    if not records:
        raise SftDataError(f"{path} holds no records")
    return records


def _checked(record: Any, root: Path, where: str) -> dict[str, Any]:
    messages = record.get("messages") if isinstance(record, dict) else None
    if not isinstance(messages, list) or not messages:
        raise SftDataError(f"{where}: a record needs a non-empty 'messages' list")
    out = []
    for message in messages:
        role = message.get("role") if isinstance(message, dict) else None
        if role not in ("system", "user", "assistant"):
            raise SftDataError(f"{where}: each message needs a role of system, user or assistant")
        content = message.get("content")
        if isinstance(content, str):
            content = [{"type": "text", "text": content}]
        if not isinstance(content, list):
            raise SftDataError(f"{where}: message content must be a string or a list of parts")
        parts = []
        for part in content:
            kind = part.get("type") if isinstance(part, dict) else None
            if kind == "text" and isinstance(part.get("text"), str):
                parts.append({"type": "text", "text": part["text"]})
            elif kind == "image" and isinstance(part.get("image"), str):
                image = Path(part["image"])
                image = image if image.is_absolute() else root / image
                if role == "assistant":
                    raise SftDataError(f"{where}: assistant turns cannot hold images")
                parts.append({"type": "image", "image": str(image)})
            else:
                raise SftDataError(
                    f"{where}: a part is {{type: text, text}} or {{type: image, image}}"
                )
        out.append({"role": role, "content": parts})
    if not any(m["role"] == "assistant" for m in out):
        raise SftDataError(f"{where}: a record needs at least one assistant turn to learn from")
    return {"messages": out}


def _images(messages: Sequence[dict[str, Any]]) -> list[Any]:
    from PIL import Image

    images = []
    for message in messages:
        for part in message["content"]:
            if part["type"] == "image":
                try:
                    with Image.open(part["image"]) as img:
                        images.append(img.convert("RGB"))
                except OSError as exc:
                    raise SftDataError(f"cannot read image {part['image']!r}: {exc}") from None
    return images


def _template_messages(messages: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Messages as chat templates expect them (images as bare `{"type": "image"}` parts)."""
    return [
        {
            "role": m["role"],
            "content": [
                {"type": "image"} if p["type"] == "image" else {"type": "text", "text": p["text"]}
                for p in m["content"]
            ],
        }
        for m in messages
    ]


def assistant_mask(
    tokenizer: Any, messages: Sequence[dict[str, Any]], eos_id: int | None
) -> tuple[str, list[int], list[bool]]:
    """Rendered text, un-expanded token ids of the conversation and which are loss targets.

    Each assistant turn spans the tokens between the prompt before it (rendered with the
    generation prompt) and the conversation through it; the span is cut after its first EOS.
    """
    chat = _template_messages(messages)
    full = tokenizer.apply_chat_template(chat, tokenize=False)
    ids = tokenizer(full, add_special_tokens=False)["input_ids"]
    mask = [False] * len(ids)
    for i, message in enumerate(chat):
        if message["role"] != "assistant":
            continue
        before = tokenizer.apply_chat_template(chat[:i], tokenize=False, add_generation_prompt=True)
        through = tokenizer.apply_chat_template(chat[: i + 1], tokenize=False)
        start = len(tokenizer(before, add_special_tokens=False)["input_ids"])
        end = len(tokenizer(through, add_special_tokens=False)["input_ids"])
        if ids[:start] != tokenizer(before, add_special_tokens=False)["input_ids"]:
            raise SftDataError(
                "the chat template does not render a conversation as a prefix of its "
                "continuation; SFT masking needs a prefix-stable template"
            )
        span = list(range(start, end))
        if eos_id is not None:
            for k, position in enumerate(span):
                if ids[position] == eos_id:
                    span = span[: k + 1]
                    break
        for position in span:
            mask[position] = True
    return full, ids, mask


def expand_mask(plain: Sequence[int], expanded: Sequence[int], mask: Sequence[bool], image_id: int):
    """Carry a mask over the processor's expansion of each image token into a run of them."""
    out: list[bool] = []
    j = 0
    for token, flag in zip(plain, mask, strict=True):
        if token == image_id:
            if j >= len(expanded) or expanded[j] != image_id:
                raise SftDataError("image placeholders do not line up after expansion")
            while j < len(expanded) and expanded[j] == image_id:
                out.append(flag)
                j += 1
            continue
        if j >= len(expanded) or expanded[j] != token:
            raise SftDataError("the processor changed text tokens; cannot align the loss mask")
        out.append(flag)
        j += 1
    if j != len(expanded):
        raise SftDataError("the processor added tokens the template did not; cannot align")
    return out


def image_token_id(processor: Any) -> int | None:
    token = getattr(processor, "image_token", None)
    if token is None:
        return None
    return processor.tokenizer.convert_tokens_to_ids(token)


def tokenize_record(
    processor: Any, record: dict[str, Any], *, max_length: int | None = None
) -> SftExample:
    """Tokenize one record once: processor tensors of the whole conversation plus its targets."""
    tokenizer = processor.tokenizer
    eos_id = tokenizer.eos_token_id
    text, plain, mask = assistant_mask(tokenizer, record["messages"], eos_id)
    images = _images(record["messages"])
    kwargs: dict[str, Any] = {"text": [text], "return_tensors": "pt"}
    if images:
        kwargs["images"] = images
    out = processor(**kwargs)
    prepared = PreparedPrompt.from_processor_output(dict(out))
    expanded = prepared.input_ids.tolist()
    image_id = image_token_id(processor)
    if image_id is None:
        if expanded != plain:
            raise SftDataError("the processor re-tokenized the text differently")
        full_mask = list(mask)
    else:
        full_mask = expand_mask(plain, expanded, mask, image_id)
    targets = torch.tensor(full_mask, dtype=torch.bool)
    if max_length is not None and prepared.length > max_length:
        raise SftDataError(
            f"a record has {prepared.length} tokens, more than data.max_length={max_length}"
        )
    return SftExample(prepared, targets)
