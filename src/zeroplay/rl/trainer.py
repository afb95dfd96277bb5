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

Data parallel equals one process: the token and sequence totals of a mini-batch are summed over
ranks, every rank makes the same optimizer steps and the same number of micro-batch passes
(zero-weight passes where it has fewer samples, or none), and each rank's loss is its share of
the global loss times the world size (DDP and FSDP average gradients over ranks).

Precision: trained weights and the AdamW state are fp32 (master weights); forwards run in the
accelerator's mixed-precision dtype (autocast, or FSDP2's MixedPrecisionPolicy when sharded).
"""

from __future__ import annotations

import random
import time
from collections.abc import Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar

import torch

from zeroplay.rl.collate import SampleBatch, collate_samples, micro_batches
from zeroplay.rl.config import TrainerConfig
from zeroplay.rl.losses import policy_loss, truncated_is_weights
from zeroplay.rl.optim import make_optimizer
from zeroplay.rl.policies import Policies
from zeroplay.rl.samples import Sample
from zeroplay.rl.scorer import CompletionScorer
from zeroplay.rl.sharding import (
    ShardingError,
    device_mesh,
    fsdp_requested,
    full_tensor,
    load_sharded,
    refresh_rollout_copy,
    save_sharded,
    shard,
)

_SUMMED = ("loss", "pg_loss", "num_tokens", "num_seqs")
T = TypeVar("T")


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
        self.world = accelerator.num_processes
        self.compute_dtype = compute_dtype_of(accelerator)
        self.sharded = fsdp_requested(cfg.sharding)
        policies.autocast_dtype = self.compute_dtype
        if self.loss_cfg.kl_coef > 0:
            policies.freeze_references(self.compute_dtype)
        if cfg.gradient_checkpointing:
            for model in policies.distinct_models():
                model.gradient_checkpointing_enable(
                    gradient_checkpointing_kwargs={"use_reentrant": False}
                )
                if hasattr(model, "enable_input_require_grads"):
                    model.enable_input_require_grads()
        self.scorers: dict[int, Any] = {}
        self.ref_scorers: dict[int, Any] = {}
        if self.sharded:
            self._shard_models()
        else:
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
            self.optimizers[name] = opt if self.sharded else accelerator.prepare(opt)
            self.schedulers[name] = sched
            self.steps[name] = 0

    def _shard_models(self) -> None:
        """FSDP2: an unsharded rollout copy per model (made first), then shard the policy and
        its reference (see `zeroplay.rl.sharding`)."""
        if self.policies.mode == "lora":
            raise ShardingError(
                "FSDP2 sharding is for full-weight training; LoRA adapters are small enough for "
                "plain data parallel (use the ddp accelerate config)"
            )
        if self.compute_dtype == torch.float16:
            raise ShardingError(
                "FSDP2 here supports bf16 or fp32 compute; fp16 needs a grad scaler"
            )
        mesh = device_mesh(self.device)
        rollout_dtype = self.compute_dtype or torch.float32
        for model in self.policies.distinct_models():
            self.policies.set_rollout_copy(model, rollout_dtype)
            scorer = CompletionScorer(model, chunk_size=self.cfg.logprob_chunk)
            shard(scorer, model, mesh, self.compute_dtype)
            self.scorers[id(model)] = scorer
            if self.loss_cfg.kl_coef > 0:
                with self.policies.reference_of(model) as ref:
                    ref_scorer = CompletionScorer(ref, chunk_size=self.cfg.logprob_chunk)
                    shard(ref_scorer, ref, mesh, self.compute_dtype)
                self.ref_scorers[id(model)] = ref_scorer

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
        model = self.policies.model(policy)
        if self.sharded:
            logp, _ = self.ref_scorers[id(model)](batch)
            return logp
        # Under the same autocast as the policy's forward, so the KL compares like with like.
        with self.policies.reference(policy) as ref_model, self.accelerator.autocast():
            scorer = CompletionScorer(ref_model, chunk_size=self.cfg.logprob_chunk)
            logp, _ = scorer(batch)
        return logp

    def refresh_rollout_weights(self) -> None:
        """Sharded runs: copy the current weights into the rollout copies (a collective)."""
        if not self.sharded:
            return
        for model in self.policies.distinct_models():
            refresh_rollout_copy(model, self.policies.rollout_model(model))

    def train(
        self, policy: str, samples: Sequence[Sample], owned: Sequence[bool] | None = None
    ) -> dict[str, float]:
        """Optimizer steps on one rollout batch of `policy`; returns averaged loss statistics.

        Every data-parallel rank must call this together (the same policy, any number of
        samples, none included): all ranks make the same optimizer steps and the same number
        of forward/backward passes, so the gradient equals one process's on the whole batch.
        With `owned`, every rank passes the same whole batch and trains the samples marked
        True (each sample on exactly one rank): mini-batches are cut from the whole batch
        before each rank takes its own, so they are one process's for any `mini_batches`, and
        the statistics returned are the whole batch's (`stats_over_ranks`).
        """
        if policy not in self.optimizers:
            raise KeyError(f"policy {policy!r} has no optimizer; trained: {list(self.optimizers)}")
        whole_batch = owned is not None
        batch = [
            (s, ours)
            for s, ours in zip(samples, owned or [True] * len(samples), strict=True)
            if s.num_completion_tokens
        ]
        samples = [s for s, ours in batch if ours]
        if any(s.prompt is None for s in samples):
            raise ValueError("a sample without model inputs is trained on the rank that made it")
        counts = all_gather_ints(self.accelerator, len(samples))
        if sum(counts) == 0:
            return {}
        filler = self._filler(samples, counts)
        start = time.perf_counter()
        acc = _StatAccumulator()
        self.policies.sleep_engine()  # a colocated vLLM engine hands its GPU memory over
        with self.policies.activate(policy):
            scorer = self._scorer(policy)
            scorer.train()
            if self._needs_stored_old() and any(s.behaviour_logprobs is not None for s in samples):
                samples = self._with_trainer_old_logprobs(scorer, samples)
            # Batch position -> this rank's sample; shuffling positions is shuffling the batch.
            ours = [i for i, (_, o) in enumerate(batch) if o]
            by_position = dict(zip(ours, samples, strict=True))
            for _ in range(self.cfg.num_iterations):
                order = list(range(len(batch)))
                self.rng.shuffle(order)
                for part in split_even(order, self.cfg.mini_batches):
                    mini = [by_position[i] for i in part if i in by_position]
                    acc.add(self._optimizer_step(policy, mini, filler))
        self.refresh_rollout_weights()
        stats = acc.result()
        for key in _SUMMED:  # per optimizer step, not summed over the passes
            if key in stats:
                stats[key] /= max(1, acc.updates)
        stats["optimizer_steps"] = float(acc.updates)
        stats["update_seconds"] = time.perf_counter() - start
        stats["lr"] = self.schedulers[policy].get_last_lr()[0]
        return stats_over_ranks(self.accelerator, stats) if whole_batch else stats

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

    def _filler(self, samples: list[Sample], counts: list[int]) -> Sample | None:
        """A sample this rank can run with zero weight when it has fewer micro-batches than
        another rank: its own first sample, or (a rank without samples) the first sample of
        the lowest rank that has one, so the filler uses the same modules (images included).
        None when no rank has a sample. `counts` are every rank's sample counts."""
        if sum(counts) == 0:
            return None
        mine = samples[0] if samples else None
        if min(counts) == 0:
            source = next(r for r, c in enumerate(counts) if c > 0)
            mine = broadcast_object(self.accelerator, mine, source)
        assert mine is not None
        return replace(mine, loss_mask=torch.zeros_like(mine.loss_mask))

    def compute_gradients(
        self, policy: str, mini: Sequence[Sample], filler: Sample | None = None
    ) -> tuple[dict[str, float], bool]:
        """Accumulate the gradient of one mini-batch's loss (all ranks' samples together) into
        `.grad`; returns this rank's statistics and whether any rank had a token to train on.
        Every rank must call this together; `filler` defaults to `train`'s choice (collective).

        Token and sequence counts are summed over ranks, so each rank's loss is its share of
        the global loss; it is multiplied by the world size because DDP and FSDP average
        gradients over ranks. Ranks pad to the largest micro-batch count with zero-weight
        passes over `filler`, so every rank runs the same collectives.
        """
        scorer = self._scorer(policy)
        if filler is None:
            mine = [s for s in mini if s.num_completion_tokens > 0]
            filler = self._filler(mine, all_gather_ints(self.accelerator, len(mine)))
        chunks = list(micro_batches(mini, self.cfg.micro_batch_tokens))
        total_tokens = sum(float(s.loss_mask.sum()) for s in mini)
        total_seqs = sum(1 for s in mini if float(s.loss_mask.sum()) > 0)
        reduced = all_reduce_floats(
            self.accelerator, [total_tokens, float(total_seqs)], [float(len(chunks))]
        )
        total_tokens, total_seqs, n_chunks = reduced[0], reduced[1], int(reduced[2])
        if total_tokens == 0 or filler is None:
            return {}, False
        chunks += [[filler]] * (n_chunks - len(chunks))
        acc = _StatAccumulator()
        for i, chunk in enumerate(chunks):
            with self._sync_context(scorer, last=i == n_chunks - 1):
                stats = self._backward(policy, scorer, chunk, total_tokens, total_seqs)
            if chunk[0] is not filler:
                acc.add(stats)
        return acc.result(), True

    def _sync_context(self, scorer: Any, last: bool) -> AbstractContextManager[Any]:
        """Gradient all-reduce only on the last micro-batch of a step."""
        if last:
            return nullcontext()
        if self.sharded:
            return _no_gradient_sync(scorer)
        return self.accelerator.no_sync(scorer)

    def _backward(
        self,
        policy: str,
        scorer: Any,
        chunk: list[Sample],
        total_tokens: float,
        total_seqs: float,
    ) -> dict[str, float]:
        batch = collate_samples(chunk, self.policies.pad_id, self.device)
        logp_flat, ent_flat = scorer(batch, with_entropy=True)
        logp = batch.to_padded(logp_flat)
        mask = batch.to_padded(torch.cat([s.loss_mask for s in chunk]).to(self.device))
        if self._needs_stored_old():
            old = batch.to_padded(torch.cat([s.old_logprobs for s in chunk]).to(self.device))
        else:
            old = logp.detach()
        ref = None
        if self.loss_cfg.kl_coef > 0:
            ref = batch.to_padded(self._reference_logprobs(policy, batch))
        adv = torch.tensor([s.advantage for s in chunk], device=self.device)
        entropy = None
        if ent_flat is not None:
            # With its gradient when the bonus is on (it must push the policy); detached when
            # it is only logged, so the backward pass skips the (N, vocab) entropy graph.
            entropy = batch.to_padded(
                ent_flat if self.loss_cfg.entropy_coef > 0 else ent_flat.detach()
            )
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
            entropy=entropy,
            total_tokens=total_tokens,
            total_seqs=total_seqs,
            token_weights=weights,
        )
        stats.update(mismatch)
        scaled = loss * self.world
        if self.sharded:
            scaled.backward()
        else:
            self.accelerator.backward(scaled)
        for key in ("loss", "pg_loss"):  # this rank's share, scaled like the gradient
            stats[key] *= self.world
        return stats

    def _optimizer_step(
        self, policy: str, mini: list[Sample], filler: Sample | None
    ) -> dict[str, float]:
        stats, stepped = self.compute_gradients(policy, mini, filler)
        if not stepped:  # no rank had a token in this mini-batch: no step anywhere
            return {}
        optimizer = self.optimizers[policy]
        if self.cfg.optim.max_grad_norm is not None:
            params = self.policies.trainable_parameters(policy)
            if self.sharded:
                norm = torch.nn.utils.clip_grad_norm_(params, self.cfg.optim.max_grad_norm)
                norm = full_tensor(norm)
            else:
                norm = self.accelerator.clip_grad_norm_(params, self.cfg.optim.max_grad_norm)
            stats["grad_norm"] = float(norm)
        optimizer.step()
        self.schedulers[policy].step()
        optimizer.zero_grad(set_to_none=True)
        self.steps[policy] += 1
        return stats

    def state_dict(self) -> dict[str, Any]:
        """Schedulers, step counters and RNG; the optimizers too unless they are sharded
        (sharded optimizer state is written by `save_sharded_state`)."""
        state: dict[str, Any] = {
            "schedulers": {k: s.state_dict() for k, s in self.schedulers.items()},
            "steps": dict(self.steps),
            "rng": self.rng.getstate(),
        }
        if not self.sharded:
            state["optimizers"] = {k: o.state_dict() for k, o in self.optimizers.items()}
        return state

    def load_state_dict(self, state: dict[str, Any]) -> None:
        if not self.sharded:
            for k, o in self.optimizers.items():
                o.load_state_dict(state["optimizers"][k])
        for k, s in self.schedulers.items():
            s.load_state_dict(state["schedulers"][k])
        self.steps = dict(state["steps"])
        self.rng.setstate(state["rng"])

    def save_sharded_state(self, folder: Path) -> None:
        """FSDP2: every rank writes its model and optimizer shards under `folder/<policy>`."""
        for name, optimizer in self.optimizers.items():
            save_sharded(folder / name, self._scorer(name), optimizer)

    def load_sharded_state(self, folder: Path) -> None:
        """FSDP2: read the shards written by `save_sharded_state` (collective)."""
        for name, optimizer in self.optimizers.items():
            load_sharded(folder / name, self._scorer(name), optimizer)
        self.refresh_rollout_weights()


def compute_dtype_of(accelerator: Any) -> torch.dtype | None:
    """The autocast dtype of the accelerator's mixed precision (None: full fp32 compute)."""
    mode = str(getattr(accelerator, "mixed_precision", "no"))
    return {"bf16": torch.bfloat16, "fp16": torch.float16}.get(mode)


def split_even(items: list[T], parts: int) -> list[list[T]]:
    """`parts` consecutive slices whose sizes differ by at most one (some may be empty), so
    every rank makes the same number of optimizer steps whatever its sample count."""
    size, extra = divmod(len(items), parts)
    out, start = [], 0
    for k in range(parts):
        end = start + size + (1 if k < extra else 0)
        out.append(items[start:end])
        start = end
    return out


def stats_over_ranks(accelerator: Any, stats: dict[str, float]) -> dict[str, float]:
    """`train`'s statistics of every rank combined into one process's: token and sequence
    counts summed, the loss terms averaged (each rank's is its share times the world size),
    extremes taken, every other value weighted by the rank's tokens."""
    if accelerator.num_processes == 1:
        return stats
    from accelerate.utils import gather_object

    ranks = gather_object([stats])
    weights = [r.get("num_tokens", 0.0) for r in ranks]
    out: dict[str, float] = {}
    for key in sorted({k for r in ranks for k in r}):
        values = [(r[key], w) for r, w in zip(ranks, weights, strict=True) if key in r]
        if key in ("num_tokens", "num_seqs"):
            out[key] = sum(v for v, _ in values)
        elif key in ("loss", "pg_loss"):
            out[key] = sum(v for v, _ in values) / len(ranks)
        elif key.endswith("_min"):
            out[key] = min(v for v, _ in values)
        elif key.endswith("_max"):
            out[key] = max(v for v, _ in values)
        else:
            total = sum(w for _, w in values)
            out[key] = (
                sum(v * w for v, w in values) / total
                if total
                else sum(v for v, _ in values) / len(values)
            )
    return out


def all_gather_ints(accelerator: Any, value: int) -> list[int]:
    """`value` of every rank, in rank order."""
    if accelerator.num_processes == 1:
        return [int(value)]
    tensor = torch.tensor([value], dtype=torch.long, device=accelerator.device)
    return [int(v) for v in accelerator.gather(tensor).tolist()]


def all_reduce_floats(accelerator: Any, summed: list[float], maxed: list[float]) -> list[float]:
    """Sums of `summed` and maxima of `maxed` over ranks (float64), concatenated."""
    if accelerator.num_processes == 1:
        return [float(v) for v in summed + maxed]
    values = torch.tensor(summed + maxed, dtype=torch.float64, device=accelerator.device)
    rows = accelerator.gather(values[None]).view(accelerator.num_processes, -1)
    n = len(summed)
    return rows[:, :n].sum(0).tolist() + rows[:, n:].max(0).values.tolist()


def broadcast_object(accelerator: Any, obj: Any, source: int) -> Any:
    """`obj` of rank `source` on every rank (a picklable object)."""
    if accelerator.num_processes == 1:
        return obj
    box = [obj]
    torch.distributed.broadcast_object_list(box, src=source)
    return box[0]


class _no_gradient_sync:
    """FSDP2's no_sync: skip the reduce-scatter of gradients until the last micro-batch."""

    def __init__(self, module: Any):
        self.module = module

    def __enter__(self):
        self.module.set_requires_gradient_sync(False)

    def __exit__(self, *exc):
        self.module.set_requires_gradient_sync(True)
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
