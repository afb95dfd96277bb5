"""The GRPO-family trainer: rollout samples with advantages in, optimizer steps out.

One call to `train(policy, samples)` consumes one rollout batch of a policy:

    for pass in range(num_iterations):                  # PPO epochs over the same rollouts
        for mini-batch in shuffled split into mini_batches:
            for micro-batch under micro_batch_tokens:    # gradient accumulation
                logp = scorer(micro-batch)               # completion positions only
                loss = policy_loss(logp, old_logp, A, mask, ref_logp, totals of the mini-batch)
                backward
            clip, step, schedule

`old_logp` is the sampling engine's `policy_logprobs` (same weights, same temperature), so with
`num_iterations > 1` the ratio really moves and clipping acts. When a batch is used exactly once
on-policy, `old_logp = logp.detach()` and no stored value is needed.

Samples drawn by an engine with other numerics (vLLM: `Sample.behaviour_logprobs` set) get
`old_logp` from the trainer itself (one no-grad pass before the first update when it is stored),
and their policy-gradient terms are weighted by truncated importance sampling
(`truncated_is_weights`, cap `tis_cap`); the logprob mismatch is logged either way.
"""

from __future__ import annotations

import random
import time
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import torch

from zeroplay.rl.collate import SampleBatch, collate_samples, micro_batches
from zeroplay.rl.config import TrainerConfig
from zeroplay.rl.losses import policy_loss, truncated_is_weights
from zeroplay.rl.optim import make_optimizer
from zeroplay.rl.policies import Policies
from zeroplay.rl.samples import Sample
from zeroplay.rl.scorer import CompletionScorer

_SUMMED = ("loss", "pg_loss", "num_tokens", "num_seqs")


class Trainer:
    """Owns the optimizers (one per trained policy) and runs optimizer steps (see module doc)."""

    def __init__(
        self,
        policies: Policies,
        cfg: TrainerConfig,
        accelerator: Any,
        total_steps: dict[str, int],
        seed: int = 0,
    ):
        self.policies = policies
        self.cfg = cfg
        self.loss_cfg = cfg.loss.build()
        self.accelerator = accelerator
        self.total_steps = dict(total_steps)
        self.rng = random.Random(seed)
        self.device = accelerator.device
        if self.loss_cfg.kl_coef > 0:
            policies.freeze_references()
        if cfg.gradient_checkpointing:
            for model in policies.distinct_models():
                model.gradient_checkpointing_enable(
                    gradient_checkpointing_kwargs={"use_reentrant": False}
                )
                if hasattr(model, "enable_input_require_grads"):
                    model.enable_input_require_grads()
        self.scorers: dict[int, Any] = {}
        for model in policies.distinct_models():
            scorer = CompletionScorer(model, chunk_size=cfg.logprob_chunk)
            self.scorers[id(model)] = accelerator.prepare(scorer)
        self.optimizers: dict[str, Any] = {}
        self.schedulers: dict[str, Any] = {}
        self.steps: dict[str, int] = {}
        for name, total in self.total_steps.items():
            with policies.activate(name):
                opt, sched = make_optimizer(
                    policies.trainable_parameters(name), cfg.optim, total * self.updates_per_batch
                )
            self.optimizers[name] = accelerator.prepare(opt)
            self.schedulers[name] = sched
            self.steps[name] = 0

    @property
    def updates_per_batch(self) -> int:
        """Optimizer steps made from one rollout batch."""
        return self.cfg.num_iterations * self.cfg.mini_batches

    def _scorer(self, policy: str) -> Any:
        return self.scorers[id(self.policies.model(policy))]

    def _needs_stored_old(self) -> bool:
        return self.updates_per_batch > 1

    @torch.no_grad()
    def _reference_logprobs(self, policy: str, batch: SampleBatch) -> torch.Tensor:
        with self.policies.reference(policy) as ref_model:
            scorer = CompletionScorer(ref_model, chunk_size=self.cfg.logprob_chunk)
            logp, _ = scorer(batch)
        return logp

    def train(self, policy: str, samples: Sequence[Sample]) -> dict[str, float]:
        """Optimizer steps on one rollout batch of `policy`; returns averaged loss statistics."""
        if policy not in self.optimizers:
            raise KeyError(f"policy {policy!r} has no optimizer; trained: {list(self.optimizers)}")
        samples = [s for s in samples if s.num_completion_tokens > 0]
        if not samples:
            return {}
        start = time.perf_counter()
        acc = _StatAccumulator()
        self.policies.sleep_engine()  # a colocated vLLM engine hands its GPU memory over
        with self.policies.activate(policy):
            scorer = self._scorer(policy)
            scorer.train()
            if self._needs_stored_old() and any(s.behaviour_logprobs is not None for s in samples):
                samples = self._with_trainer_old_logprobs(scorer, samples)
            for _ in range(self.cfg.num_iterations):
                order = list(samples)
                self.rng.shuffle(order)
                size = -(-len(order) // self.cfg.mini_batches)
                for k in range(0, len(order), size):
                    acc.add(self._optimizer_step(policy, scorer, order[k : k + size]))
        stats = acc.result()
        for key in _SUMMED:  # per optimizer step, not summed over the passes
            if key in stats:
                stats[key] /= max(1, acc.updates)
        stats["optimizer_steps"] = float(acc.updates)
        stats["update_seconds"] = time.perf_counter() - start
        stats["lr"] = self.schedulers[policy].get_last_lr()[0]
        return stats

    @torch.no_grad()
    def _with_trainer_old_logprobs(self, scorer: Any, samples: list[Sample]) -> list[Sample]:
        """Copies of `samples` whose `old_logprobs` are the trainer's own for the rollout weights
        (an engine with other numerics sampled them; its logprobs stay `behaviour_logprobs`)."""
        out: dict[int, Sample] = {}
        for chunk in micro_batches(samples, self.cfg.micro_batch_tokens):
            batch = collate_samples(chunk, self.policies.pad_id, self.device)
            logp, _ = scorer(batch)
            for s, row in zip(chunk, torch.split(logp.float().cpu(), batch.lengths), strict=True):
                out[id(s)] = replace(s, old_logprobs=row.clone())
        return [out[id(s)] for s in samples]

    def _behaviour_logprobs(self, chunk: list[Sample], batch: SampleBatch, old: torch.Tensor):
        """Padded behaviour logprobs of a micro-batch (rows without any use `old`: weight 1)."""
        rows = [
            s.behaviour_logprobs.to(self.device)
            if s.behaviour_logprobs is not None
            else old[i, : s.num_completion_tokens]
            for i, s in enumerate(chunk)
        ]
        return batch.to_padded(torch.cat(rows).to(old.dtype))

    def _optimizer_step(self, policy: str, scorer: Any, mini: list[Sample]) -> dict[str, float]:
        total_tokens = float(sum(float(s.loss_mask.sum()) for s in mini))
        total_seqs = float(sum(1 for s in mini if float(s.loss_mask.sum()) > 0))
        chunks = list(micro_batches(mini, self.cfg.micro_batch_tokens))
        acc = _StatAccumulator()
        optimizer = self.optimizers[policy]
        for i, chunk in enumerate(chunks):
            batch = collate_samples(chunk, self.policies.pad_id, self.device)
            last = i == len(chunks) - 1
            sync = self.accelerator.no_sync(scorer) if not last else _null()
            with sync:
                logp_flat, ent_flat = scorer(batch, with_entropy=True)
                logp = batch.to_padded(logp_flat)
                mask = batch.to_padded(torch.cat([s.loss_mask for s in chunk]).to(self.device))
                if self._needs_stored_old():
                    old = batch.to_padded(
                        torch.cat([s.old_logprobs for s in chunk]).to(self.device)
                    )
                else:
                    old = logp.detach()
                ref = None
                if self.loss_cfg.kl_coef > 0:
                    ref = batch.to_padded(self._reference_logprobs(policy, batch))
                adv = torch.tensor([s.advantage for s in chunk], device=self.device)
                weights, mismatch = None, {}
                if any(s.behaviour_logprobs is not None for s in chunk):
                    behaviour = self._behaviour_logprobs(chunk, batch, old)
                    cap = self.cfg.tis_cap if self.cfg.tis_cap is not None else float("inf")
                    weights, mismatch = truncated_is_weights(old, behaviour, mask, cap)
                    if self.cfg.tis_cap is None:
                        weights = None
                loss, stats = policy_loss(
                    logp,
                    old,
                    adv,
                    mask,
                    self.loss_cfg,
                    ref_logp=ref,
                    entropy=batch.to_padded(ent_flat.detach()) if ent_flat is not None else None,
                    total_tokens=total_tokens,
                    total_seqs=total_seqs,
                    token_weights=weights,
                )
                self.accelerator.backward(loss)
            acc.add({**stats, **mismatch})
        if self.cfg.optim.max_grad_norm is not None:
            params = self.policies.trainable_parameters(policy)
            norm = self.accelerator.clip_grad_norm_(params, self.cfg.optim.max_grad_norm)
            acc.set("grad_norm", float(norm))
        optimizer.step()
        self.schedulers[policy].step()
        optimizer.zero_grad(set_to_none=True)
        self.steps[policy] += 1
        return acc.result()

    def state_dict(self) -> dict[str, Any]:
        return {
            "optimizers": {k: o.state_dict() for k, o in self.optimizers.items()},
            "schedulers": {k: s.state_dict() for k, s in self.schedulers.items()},
            "steps": dict(self.steps),
            "rng": self.rng.getstate(),
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        for k, o in self.optimizers.items():
            o.load_state_dict(state["optimizers"][k])
        for k, s in self.schedulers.items():
            s.load_state_dict(state["schedulers"][k])
        self.steps = dict(state["steps"])
        self.rng.setstate(state["rng"])


class _null:
    def __enter__(self):
        return None

    def __exit__(self, *exc):
        return False


class _StatAccumulator:
    """Token-weighted means of per-micro-batch statistics; sums for loss terms and counts."""

    def __init__(self) -> None:
        self.sums: dict[str, float] = {}
        self.weights: dict[str, float] = {}
        self.mins: dict[str, float] = {}
        self.maxs: dict[str, float] = {}
        self.fixed: dict[str, float] = {}
        self.updates = 0

    def add(self, stats: dict[str, float]) -> None:
        if not stats:
            return
        self.updates += 1
        w = float(stats.get("num_tokens", 1.0)) or 1.0
        for k, v in stats.items():
            if k.endswith("_min"):
                self.mins[k] = min(self.mins.get(k, v), v)
            elif k.endswith("_max"):
                self.maxs[k] = max(self.maxs.get(k, v), v)
            elif k in _SUMMED:
                self.sums[k] = self.sums.get(k, 0.0) + v
                self.weights[k] = 0.0
            else:
                self.sums[k] = self.sums.get(k, 0.0) + v * w
                self.weights[k] = self.weights.get(k, 0.0) + w

    def set(self, key: str, value: float) -> None:
        self.fixed[key] = value

    def result(self) -> dict[str, float]:
        out: dict[str, float] = {}
        for k, v in self.sums.items():
            w = self.weights[k]
            out[k] = v / w if w else v
        out.update(self.mins)
        out.update(self.maxs)
        out.update(self.fixed)
        return out
