"""A judge that is a local model (any VLM or text-only LLM) run through our generation engine.

A name that `transformers` maps to an image-text-to-text model loads with `load_policy`; any
other (a causal language model) loads with `AutoModelForCausalLM` and its tokenizer, which the
engine drives the same way. Decoding is greedy.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from zeroplay.engines.request import ChatRequest, SamplingParams
from zeroplay.eval.judge_prompt import JudgeQuery, read_verdict
from zeroplay.eval.records import JudgeVerdict
from zeroplay.models.loader import (
    ModelSettings,
    load_policy,
    pick_device,
    pick_dtype,
    resolve_model_path,
)


def is_vision_language(path: str, trust_remote_code: bool = False) -> bool:
    """Whether the model at `path` is an image-text-to-text model in `transformers`."""
    from transformers import AutoConfig
    from transformers.models.auto.modeling_auto import MODEL_FOR_IMAGE_TEXT_TO_TEXT_MAPPING_NAMES

    config = AutoConfig.from_pretrained(path, trust_remote_code=trust_remote_code)
    return config.model_type in MODEL_FOR_IMAGE_TEXT_TO_TEXT_MAPPING_NAMES


def load_judge_model(name: str, device: str = "auto", dtype: str = "auto") -> tuple[Any, Any]:
    """(model, processor-or-tokenizer) of a judge named by a local folder, Hub id or tiny alias."""
    path = resolve_model_path(name)
    if is_vision_language(path):
        return load_policy(ModelSettings(name=name, device=device, dtype=dtype))
    from transformers import AutoModelForCausalLM, AutoTokenizer

    resolved_device = pick_device(device)
    model = AutoModelForCausalLM.from_pretrained(path, dtype=pick_dtype(dtype, resolved_device))
    return model.to(resolved_device), AutoTokenizer.from_pretrained(path)


class EngineJudge:
    """Judges queries with a model through `HFEngine` (batched, greedy)."""

    def __init__(self, name: str, model: Any, processor: Any, max_new_tokens: int = 16) -> None:
        from zeroplay.engines.hf import HFEngine

        self.name = name
        self.max_new_tokens = max_new_tokens
        self.engine = HFEngine(model, processor)

    def describe(self) -> dict[str, Any]:
        return {
            "kind": "local model",
            "model": self.name,
            "decoding": {"temperature": 0.0, "max_new_tokens": self.max_new_tokens},
        }

    def judge(self, queries: Sequence[JudgeQuery]) -> list[JudgeVerdict]:
        """Verdicts in query order. Plain-string content works for text-only chat templates."""
        sampling = SamplingParams(temperature=0.0, max_new_tokens=self.max_new_tokens, seed=0)
        requests = [
            ChatRequest([{"role": "user", "content": q.prompt}], [], sampling) for q in queries
        ]
        completions = self.engine.generate(requests) if requests else []
        verdicts = []
        for query, samples in zip(queries, completions, strict=True):
            reply = samples[0].text
            verdict = read_verdict(reply)
            verdicts.append(JudgeVerdict(verdict.value, reply, query.answer_shown, verdict.reason))
        return verdicts
