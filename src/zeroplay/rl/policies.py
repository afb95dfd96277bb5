"""The models behind policy names: LoRA adapters on one base, or full models (shared or separate).

Recipes name their roles ("questioner", "reasoner", ...). With `mode="lora"` every role is a PEFT
adapter on one frozen base model, so a three-role recipe fits on one GPU; with `mode="shared"`
all roles are the same full model (Vision-Zero's single policy); with `mode="separate"` each role
is its own full model.

Per-phase KL anchors: a run that re-anchors the KL term at the start of every phase (the released
VisPlay and MM-Zero code started each phase as a new run from the previous weights) loads one more
policy, `phase_start`, and copies the trained role into it when its phase begins
(`take_snapshot`); with `kl_reference="phase_start"` it is the KL reference. "base" is routable:
a request for policy "base" is answered by the base model (LoRA: adapters disabled).

Precision: the weights a full-weight policy trains are held in fp32 (master weights, whatever
`ModelSettings.dtype` says); LoRA adapters are fp32 on a frozen base in `dtype`. Forwards and
generation run under autocast in `autocast_dtype` (set by the trainer from the accelerator's
mixed precision), and frozen copies (KL reference, rollout copy under FSDP2) are kept in it.
"""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import replace
from typing import Any, Literal

import torch
from torch import nn

from zeroplay.engines.base import Completion
from zeroplay.engines.hf import HFEngine, pad_id_of
from zeroplay.engines.request import ChatRequest
from zeroplay.engines.vllm import VLLMEngine, VLLMRollouts, VLLMSettings
from zeroplay.models.loader import (
    LoraSettings,
    ModelSettings,
    load_policy,
    pick_device,
    pick_dtype,
    resolve_model_path,
)
from zeroplay.rl.adapters import copy_adapter, reset_adapter

PolicyMode = Literal["lora", "shared", "separate"]
KlReference = Literal["base", "phase_start"]
ANCHOR = "phase_start"  # the policy holding the trained role's weights at its phase's start
BASE = "base"  # the base model, as a request's policy name


class Policies:
    """Name -> model mapping with adapter switching, trainable parameters and references."""

    def __init__(
        self,
        models: dict[str, nn.Module],
        processor: Any,
        mode: PolicyMode,
        base_name: str = "",
        export_dtype: torch.dtype | None = None,
    ):
        """`export_dtype` is the dtype of the Hugging Face weights checkpoints write (the
        model's configured dtype); the fp32 master weights are kept beside them when it differs."""
        self.models = models
        self.export_dtype = export_dtype
        self.processor = processor
        self.mode = mode
        self.base_name = base_name
        self.pad_id = pad_id_of(processor)
        self._references: dict[int, nn.Module] = {}
        self._vllm: VLLMRollouts | None = None
        self._rollout_copies: dict[int, nn.Module] = {}
        self.autocast_dtype: torch.dtype | None = None
        self.reference_dtype: torch.dtype | None = None
        self.settings: ModelSettings | None = None
        self.kl_reference: KlReference = "base"
        self._base: nn.Module | None = None

    @classmethod
    def load(
        cls,
        settings: ModelSettings,
        names: Sequence[str],
        mode: PolicyMode = "lora",
        lora: LoraSettings | None = None,
        *,
        anchor: bool = False,
        kl_reference: KlReference = "base",
    ) -> Policies:
        """Load the base model once (lora/shared) or once per name (separate).

        `anchor` adds the `phase_start` policy (a per-phase snapshot, see `take_snapshot`);
        `kl_reference="phase_start"` makes it the KL reference and needs it.
        """
        if kl_reference == ANCHOR and not anchor:
            raise ValueError("kl_reference='phase_start' needs the phase_start anchor policy")
        if anchor and mode == "shared":
            raise ValueError("a phase_start anchor needs distinct weights: use lora or separate")
        policies = cls._load(settings, [*names, ANCHOR] if anchor else names, mode, lora)
        policies.settings = settings
        policies.kl_reference = kl_reference
        return policies

    @classmethod
    def _load(
        cls,
        settings: ModelSettings,
        names: Sequence[str],
        mode: PolicyMode,
        lora: LoraSettings | None,
    ) -> Policies:
        names = list(dict.fromkeys(names))
        export = pick_dtype(settings.dtype, pick_device(settings.device))
        if mode == "lora":
            model, processor = load_policy(
                replace(
                    settings, lora=lora or settings.lora or LoraSettings(), adapters=tuple(names)
                )
            )
            for param_name, param in model.named_parameters():
                if "lora_" in param_name:
                    param.requires_grad_(True)  # every adapter trainable (DDP registers them all)
            upcast_trainable(model)  # fp32 adapters on the base's dtype
            return cls({n: model for n in names}, processor, mode, settings.name, export)
        if mode == "shared":
            model, processor = load_policy(replace(settings, lora=None))
            shared = upcast_trainable(model)
            return cls({n: shared for n in names}, processor, mode, settings.name, export)
        if mode == "separate":
            models = {}
            processor = None
            for n in names:
                model, processor = load_policy(replace(settings, lora=None))
                models[n] = upcast_trainable(model)
            return cls(models, processor, mode, settings.name, export)
        raise ValueError(f"unknown policy mode {mode!r}; choose lora, shared or separate")

    @property
    def names(self) -> list[str]:
        return list(self.models)

    def distinct_models(self) -> list[nn.Module]:
        seen: dict[int, nn.Module] = {}
        for m in self.models.values():
            seen.setdefault(id(m), m)
        return list(seen.values())

    def model(self, name: str) -> nn.Module:
        if name not in self.models:
            raise KeyError(f"unknown policy {name!r}; have {self.names}")
        return self.models[name]

    def serving_model(self, name: str) -> nn.Module:
        """The module that answers requests for policy `name`; "base" is the base model (LoRA:
        the shared model, run with adapters disabled by the engine; full weights: a frozen copy
        of the base weights, loaded on first use)."""
        if name != BASE or BASE in self.models:
            return self.model(name)
        if self.mode == "lora":
            return self.distinct_models()[0]
        if self._base is None:
            if self.settings is None:
                raise KeyError("policy 'base' needs policies loaded from settings")
            base, _ = load_policy(replace(self.settings, lora=None))
            self._base = frozen_copy(base, self.reference_dtype)
            del base
        return self._base

    def activate(self, name: str) -> AbstractContextManager[Any]:
        """Make `name` the active adapter (lora); a no-op for full models."""
        model = self.model(name)
        if self.mode == "lora":
            model.set_adapter(name)
            for param_name, param in model.named_parameters():
                if "lora_" in param_name:
                    param.requires_grad_(True)
        return nullcontext()

    def trainable_parameters(self, name: str) -> list[nn.Parameter]:
        """The parameters an optimizer for `name` owns."""
        model = self.model(name)
        if self.mode == "lora":
            marks = (f".{name}.",)
            return [
                p
                for n, p in model.named_parameters()
                if "lora_" in n and any(m in n for m in marks)
            ]
        return [p for p in model.parameters() if p.requires_grad]

    def reference(self, name: str) -> AbstractContextManager[nn.Module]:
        """Context yielding the frozen reference of `name`: with `kl_reference="phase_start"`
        the phase-start snapshot; else the base with adapters disabled under LoRA, otherwise a
        frozen copy of the starting weights (made on first use)."""
        if self.kl_reference == ANCHOR:
            if self.mode == "lora":
                return self._anchor_adapter(name)
            return nullcontext(self.models[ANCHOR])
        return self.reference_of(self.model(name))

    @contextlib.contextmanager
    def _anchor_adapter(self, name: str) -> Iterator[nn.Module]:
        model = self.model(name)
        model.set_adapter(ANCHOR)
        try:
            yield model
        finally:
            # Back to the trained adapter with every LoRA tensor trainable again: gradients of a
            # leaf whose requires_grad was switched off would be dropped at backward.
            self.activate(name)

    @property
    def has_anchor(self) -> bool:
        return ANCHOR in self.models

    def take_snapshot(self, role: str) -> None:
        """Copy `role`'s current weights into `phase_start` (at the start of its phase)."""
        if not self.has_anchor:
            raise RuntimeError("these policies hold no phase_start anchor")
        if self.mode == "lora":
            copy_adapter(self.model(role), role, ANCHOR)
        else:
            self.models[ANCHOR].load_state_dict(self.models[role].state_dict())

    def restart_from_base(self, role: str, seed: int) -> None:
        """Put `role` back at the base model: a freshly initialised LoRA adapter (B = 0, so the
        adapter adds nothing) or the base weights reloaded into its full copy."""
        if self.mode == "lora":
            reset_adapter(self.model(role), role, seed)
            return
        if self.settings is None:
            raise RuntimeError("these policies were not loaded from settings; cannot reload")
        fresh, _ = load_policy(replace(self.settings, lora=None))
        self.models[role].load_state_dict(fresh.state_dict())
        del fresh

    def reference_of(self, model: nn.Module) -> AbstractContextManager[nn.Module]:
        """`reference` by model; a new frozen copy is cast to `reference_dtype` when set."""
        if self.mode == "lora":
            return _DisabledAdapters(model)
        key = id(model)
        if key not in self._references:
            self._references[key] = frozen_copy(model, self.reference_dtype)
        return nullcontext(self._references[key])

    def freeze_references(self, dtype: torch.dtype | None = None) -> None:
        """Make the frozen reference copies now (full-model modes), from the current weights.

        Called when the trainer is built, before any checkpoint is loaded, so a resumed run
        measures KL against the starting weights and not against the resumed ones. `dtype` is
        the compute dtype of mixed precision: a frozen copy needs no fp32 master.
        """
        if self.mode == "lora":
            return
        if dtype is not None:
            self.reference_dtype = dtype
        for name in self.names:
            with self.reference(name):
                pass

    def set_rollout_copy(self, model: nn.Module, dtype: torch.dtype) -> nn.Module:
        """Give `model` an unsharded frozen copy in `dtype` that the engine generates with
        (FSDP2: the trained model itself is sharded); made before sharding."""
        copy_ = frozen_copy(model, dtype)
        self._rollout_copies[id(model)] = copy_
        return copy_

    def rollout_model(self, model: nn.Module) -> nn.Module:
        """The module the engine generates with for `model` (its rollout copy, or itself)."""
        return self._rollout_copies.get(id(model), model)

    def engine(
        self, seed: int = 0, token_budget: int = 16384, vllm: VLLMSettings | None = None
    ) -> RoutingEngine | VLLMEngine:
        """A generation engine that answers each request with its policy's weights.

        Without `vllm` settings: HF engines (`token_budget` padded tokens per chunk). With them:
        a view, with its own seed, of the one in-process vLLM engine these policies share (made
        on first use; it follows the weights after every optimizer step by itself).
        """
        if vllm is None:
            return RoutingEngine(self, seed=seed, token_budget=token_budget)
        if self._vllm is None:
            # Under FSDP2 the trained models are sharded; vLLM reads their unsharded copies.
            served = {name: self.rollout_model(m) for name, m in self.models.items()}
            self._vllm = VLLMRollouts(
                served, self.processor, resolve_model_path(self.base_name), vllm
            )
        elif self._vllm.settings != vllm:
            raise ValueError("these policies already run a vLLM engine with other settings")
        return VLLMEngine(self._vllm, seed=seed)

    def sleep_engine(self) -> None:
        """Free the colocated vLLM engine's GPU memory before training (where it can sleep)."""
        if self._vllm is not None:
            self._vllm.sleep()


class _DisabledAdapters(AbstractContextManager):
    def __init__(self, model):
        self.model = model
        self._ctx = None

    def __enter__(self):
        self._ctx = self.model.disable_adapter()
        self._ctx.__enter__()
        return self.model

    def __exit__(self, *exc):
        return self._ctx.__exit__(*exc)


class RoutingEngine:
    """One `HFEngine` per distinct model; LoRA policies switch adapters inside one engine."""

    def __init__(self, policies: Policies, seed: int = 0, token_budget: int = 16384):
        self.policies = policies
        self.seed = seed
        self.token_budget = token_budget
        self.engines: dict[int, HFEngine] = {}
        self.base_engines: dict[int, HFEngine] = {}
        for i, model in enumerate(policies.distinct_models()):
            switch = None if policies.mode == "lora" else (lambda _name: nullcontext())
            self.engines[id(model)] = HFEngine(
                policies.rollout_model(model),
                policies.processor,
                seed=seed + 7919 * i,
                token_budget=token_budget,
                policy_switch=switch,
            )

    def generate(self, requests: Sequence[ChatRequest]) -> list[list[Completion]]:
        by_engine: dict[int, list[int]] = {}
        for i, r in enumerate(requests):
            model = self.policies.serving_model(r.policy)
            if id(model) not in self.engines and id(model) not in self.base_engines:
                # The base copy of full-weight policies (its sampler is not checkpointed: only
                # a run that routes "base" has one, seeded from the engine's seed).
                self.base_engines[id(model)] = HFEngine(
                    model,
                    self.policies.processor,
                    seed=self.seed + 7919 * len(self.engines),
                    token_budget=self.token_budget,
                    policy_switch=lambda _name: nullcontext(),
                )
            by_engine.setdefault(id(model), []).append(i)
        out: list[list[Completion]] = [[] for _ in requests]
        for key, idx in by_engine.items():
            engine = self.engines.get(key) or self.base_engines[key]
            with autocast_for(engine.model, self.policies.autocast_dtype):
                results = engine.generate([requests[i] for i in idx])
            for i, res in zip(idx, results, strict=True):
                out[i] = res
        return out

    def rng_state(self) -> list[Any]:
        return [e.rng.getstate() for e in self.engines.values()]

    def set_rng_state(self, states: list[Any]) -> None:
        for e, s in zip(self.engines.values(), states, strict=True):
            e.rng.setstate(_as_random_state(s))


def _as_random_state(state: Any) -> tuple:
    """random.Random states come back from JSON/torch as lists; make them tuples again."""
    if isinstance(state, list):
        return (state[0], tuple(state[1]), state[2])
    return state


def default_device_of(model: nn.Module) -> torch.device:
    return next(model.parameters()).device


def upcast_trainable(model: nn.Module) -> nn.Module:
    """Hold every trainable parameter in fp32: the master weights that AdamW updates.

    A bf16 weight cannot take an update smaller than its spacing (2^-8 relative): at lr 1e-6
    most entries would never change. Compute still runs in bf16 under autocast.
    """
    for param in model.parameters():
        if param.requires_grad and param.is_floating_point() and param.dtype != torch.float32:
            param.data = param.data.float()
    return model


def frozen_copy(model: nn.Module, dtype: torch.dtype | None = None) -> nn.Module:
    """A deep copy of `model` in eval mode with no trainable parameters, cast to `dtype`."""
    ref = copy.deepcopy(model).eval()
    if dtype is not None:
        ref.to(dtype)
    for p in ref.parameters():
        p.requires_grad_(False)
    return ref


def autocast_for(model: nn.Module, dtype: torch.dtype | None) -> AbstractContextManager[Any]:
    """Autocast to `dtype` on the model's device (a no-op without mixed precision)."""
    if dtype is None:
        return nullcontext()
    return torch.autocast(device_type=default_device_of(model).type, dtype=dtype)
