"""Does bf16 training still update the weights? fp32 vs bf16 compute from the same start.

Three runs of the same GRPO steps (same samples, advantages, optimizer, seed) on the tiny model,
all starting from the same bf16-representable weights:

    fp32          fp32 weights, fp32 compute (the reference)
    bf16+master   fp32 master weights and AdamW state, bf16 compute under autocast (zeroplay)
    bf16 weights  weights and AdamW state in bf16, no master copy (what `dtype=auto` did on GPU)

Per step it prints the fraction of weight entries that changed in that step and, for the bf16
runs, the deviation of the weights from the fp32 run (max |w - w_fp32| and that over the total
movement of the fp32 run). CPU bf16 autocast stands in for the GPU's.

    python benchmarks/precision.py                 # lr 1e-6, 3 steps
    python benchmarks/precision.py --lr 1e-5 --steps 5
"""

from __future__ import annotations

import argparse

import torch
from PIL import Image

MODES = ("fp32", "bf16+master", "bf16 weights")


def _samples(policies, n_prompts: int = 4):
    """A fixed batch: one completion per prompt with alternating advantages."""
    from zeroplay.engines.request import ChatRequest, SamplingParams, user_message
    from zeroplay.rl.samples import Sample

    engine = policies.engine(seed=5)
    requests = [
        ChatRequest(
            [user_message("Describe the colour.", 1)],
            [Image.new("RGB", (56, 56), (50 * i, 120, 200 - 40 * i))],
            SamplingParams(n=2, temperature=1.0, max_new_tokens=8, seed=10 + i),
            policy="p",
        )
        for i in range(n_prompts)
    ]
    out = []
    for i, group in enumerate(engine.generate(requests)):
        for j, c in enumerate(group):
            s = Sample(
                c.prompt, c.token_ids, c.policy_logprobs, c.temperature, 0.0, f"g{i}", "p", "a", "p"
            )
            s.advantage = 1.0 if j == 0 else -1.0
            out.append(s)
    return out


def run(mode: str, lr: float, steps: int, samples=None):
    """Weights after each step (fp32 copies) for one precision mode, and the samples used."""
    from accelerate import Accelerator
    from accelerate.state import AcceleratorState

    from zeroplay.models.loader import ModelSettings
    from zeroplay.rl.config import OptimConfig, TrainerConfig
    from zeroplay.rl.policies import Policies
    from zeroplay.rl.trainer import Trainer

    AcceleratorState._reset_state(True)
    torch.manual_seed(0)
    # Loaded in bf16 and upcast: every run starts from the same bf16-representable values.
    policies = Policies.load(
        ModelSettings(name="tiny", device="cpu", dtype="bfloat16"), ["p"], mode="shared"
    )
    model = policies.model("p")
    if mode == "bf16 weights":
        model.to(torch.bfloat16)
    acc = Accelerator(cpu=True, mixed_precision="no" if mode == "fp32" else "bf16")
    cfg = TrainerConfig(optim=OptimConfig(lr=lr, max_grad_norm=None))
    trainer = Trainer(policies, cfg, acc, {"p": steps})
    if samples is None:
        samples = _samples(policies)
    history = [{n: p.detach().float().clone() for n, p in model.named_parameters()}]
    for _ in range(steps):
        trainer.train("p", samples)
        history.append({n: p.detach().float().clone() for n, p in model.named_parameters()})
    return history, samples


def _changed(before: dict, after: dict) -> dict[str, torch.Tensor]:
    return {k: after[k] != before[k] for k in before}


def _fraction(masks: dict[str, torch.Tensor], within: dict[str, torch.Tensor] | None = None):
    if within is None:
        return sum(int(m.sum()) for m in masks.values()) / sum(m.numel() for m in masks.values())
    hit = sum(int((masks[k] & within[k]).sum()) for k in masks)
    return hit / max(1, sum(int(w.sum()) for w in within.values()))


def _mean_abs(a: dict, b: dict) -> float:
    total = sum(float((a[k] - b[k]).abs().sum()) for k in a)
    return total / sum(v.numel() for v in a.values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lr", type=float, default=1e-6)
    parser.add_argument("--steps", type=int, default=3)
    args = parser.parse_args()

    fp32, samples = run("fp32", args.lr, args.steps)
    runs = {"fp32": fp32}
    for mode in MODES[1:]:
        runs[mode], _ = run(mode, args.lr, args.steps, samples)
    print(f"tiny model, lr {args.lr:g}, AdamW, {len(samples)} samples per step, same start")
    print("updated: entries changed by the step; of fp32's: share of the entries the fp32 step")
    print("changed that this step changed too; dev: mean |w - w_fp32| after the step, over the")
    print("fp32 run's mean |w - w_start| (its total movement)")
    print(f"{'step':>4}  {'mode':<13} {'updated':>8} {'of fp32s':>9} {'dev / move':>12}")
    for step in range(1, args.steps + 1):
        reference = _changed(fp32[step - 1], fp32[step])
        move = _mean_abs(fp32[step], fp32[0])
        for mode in MODES:
            changed = _changed(runs[mode][step - 1], runs[mode][step])
            dev = _mean_abs(runs[mode][step], fp32[step]) / move
            print(
                f"{step:>4}  {mode:<13} {_fraction(changed):>8.4f} "
                f"{_fraction(changed, reference):>9.4f} {dev:>12.3f}"
            )


if __name__ == "__main__":
    main()
