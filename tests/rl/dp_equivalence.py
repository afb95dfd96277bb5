"""Gradients of one rollout batch, on one process or split over data-parallel ranks.

`python dp_equivalence.py OUT` (one process) and `accelerate launch ... dp_equivalence.py OUT`
(two CPU ranks) build the same batch of samples on every rank from the same seed. For each
policy-loss aggregation the whole batch's gradient is computed once per split of the batch over
the ranks: "uneven" (rank 0 holds 5 samples, rank 1 the other 2; more micro-batches on rank 0)
and "empty" (rank 1 holds none). Rank 0 writes the gradients to OUT/grads_w<world>.pt. Last,
`Trainer.train` runs with rank 1 empty and the trained weights are written too (no hang, the
same step as one process). Then a second trainer takes the whole batch on every rank with
`owned` (rank r trains samples r, r + W, ...) in two mini-batches: its weights and statistics
are written as well. With one process every split is the whole batch.
"""

from __future__ import annotations

import sys
from pathlib import Path

import torch
from PIL import Image

from zeroplay.engines.request import ChatRequest, SamplingParams, user_message
from zeroplay.models.loader import ModelSettings
from zeroplay.rl.config import LossSettings, OptimConfig, TrainerConfig
from zeroplay.rl.policies import Policies
from zeroplay.rl.samples import Sample
from zeroplay.rl.trainer import Trainer

AGGREGATIONS = {
    "seq_mean_token_mean": {},
    "token_mean": {},
    "seq_sum_const": {"const_length": 8},
}
# Completion-length caps per prompt, so sequences (and micro-batches) differ in size.
MAX_NEW = (3, 9, 5, 7, 2, 8, 6)


def build_samples(policies: Policies) -> list[Sample]:
    """Seven samples of different lengths with fixed, non-zero advantages (same on all ranks)."""
    engine = policies.engine(seed=11)
    requests = [
        ChatRequest(
            [user_message("Which colour?", 1)],
            [Image.new("RGB", (56 + 14 * (i % 3), 56), (30 * i, 100, 220 - 20 * i))],
            SamplingParams(n=1, temperature=1.0, max_new_tokens=m, seed=100 + i),
        )
        for i, m in enumerate(MAX_NEW)
    ]
    samples = []
    for i, (c,) in enumerate(engine.generate(requests)):
        s = Sample(
            c.prompt,
            c.token_ids,
            c.policy_logprobs,
            c.temperature,
            0.0,
            f"g{i}",
            "player",
            "answer",
            "default",
        )
        s.advantage = (-1.0) ** i * (0.5 + 0.25 * i)
        samples.append(s)
    return samples


def split(samples: list[Sample], how: str, rank: int, world: int) -> list[Sample]:
    if world == 1:
        return samples
    if how == "uneven":
        return samples[:5] if rank == 0 else samples[5:]
    return samples if rank == 0 else []


def main() -> None:
    from accelerate import Accelerator

    out = Path(sys.argv[1])
    acc = Accelerator(cpu=True)
    torch.manual_seed(0)
    policies = Policies.load(ModelSettings(name="tiny", device="cpu"), ["default"], mode="shared")
    cfg = TrainerConfig(
        optim=OptimConfig(lr=1e-3, max_grad_norm=1.0),
        loss=LossSettings(kl_coef=0.05, entropy_coef=0.01),
        micro_batch_tokens=64,  # about one sample per micro-batch
    )
    trainer = Trainer(policies, cfg, acc, {"default": 1}, seed=0)
    samples = build_samples(policies)
    model = policies.model("default")
    rank, world = acc.process_index, acc.num_processes
    grads: dict[str, dict[str, torch.Tensor]] = {}
    for agg, extra in AGGREGATIONS.items():
        trainer.loss_cfg = LossSettings(
            kl_coef=0.05, entropy_coef=0.01, aggregation=agg, **extra
        ).build()
        for how in ("uneven", "empty"):
            mine = split(samples, how, rank, world)
            _, stepped = trainer.compute_gradients("default", mine)
            assert stepped
            grads[f"{agg}/{how}"] = {
                n: p.grad.detach().clone()
                for n, p in model.named_parameters()
                if p.grad is not None
            }
            trainer.optimizers["default"].zero_grad(set_to_none=True)
    trainer.loss_cfg = cfg.loss.build()
    stats = trainer.train("default", split(samples, "empty", rank, world))
    trained = {n: p.detach().clone() for n, p in model.named_parameters()}
    # The whole batch on every rank, each training its own share of two mini-batches.
    shared = Trainer(policies, cfg.model_copy(update={"mini_batches": 2}), acc, {"default": 1}, 1)
    owned = [i % world == rank for i in range(len(samples))]
    shared_stats = shared.train("default", samples, owned)
    whole = {n: p.detach().clone() for n, p in model.named_parameters()}
    if acc.is_main_process:
        torch.save(
            {
                "grads": grads,
                "trained": trained,
                "steps": stats["optimizer_steps"],
                "owned": whole,
                "owned_stats": shared_stats,
            },
            out / f"grads_w{world}.pt",
        )
    acc.wait_for_everyone()
    if torch.distributed.is_initialized():
        torch.distributed.destroy_process_group()


if __name__ == "__main__":
    main()
