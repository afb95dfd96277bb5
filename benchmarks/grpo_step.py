"""One full GRPO step (generate a group per prompt, score, update): zeroplay vs TRL's GRPOTrainer.

Both run the same random-init Qwen2.5-VL, the same image prompts, group size, completion length,
temperature, learning rate and loss (per-sequence token mean, no KL, one pass, on-policy), each in
its own process so peak memory is its own. Prints seconds per step, samples/s, completion
tokens/s, peak memory, the zeroplay/TRL ratios, and where a step's time goes (zeroplay:
generation, scoring forward, backward, optimizer; TRL: generation and the rest).

Shapes: `default` (small images of 1..16 vision tokens, 32-token completions) and `vlm` (one
476x448 image per prompt, 272 vision tokens and 316 prompt tokens in all, 64-token completions,
G = 8), for which the model's image processor is allowed larger images.

    python benchmarks/grpo_step.py --size tiny            # both, side by side
    python benchmarks/grpo_step.py --size small --steps 4
    python benchmarks/grpo_step.py --size small --steps 4 --rounds 3  # alternating, medians
    python benchmarks/grpo_step.py --size small --shape vlm
    python benchmarks/grpo_step.py --size 3b --device cuda  # on a GPU
    python benchmarks/grpo_step.py --impl zeroplay --size tiny --json  # one side, JSON line

TRL is not a zeroplay dependency: `pip install trl` first (figures were taken with TRL 1.16).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from PIL import Image

from model_sizes import QWEN_3B, SMALL  # benchmarks/ is on sys.path when run as a script

SIZES = {
    # name: TinySpec overrides (random init, Qwen2.5-VL architecture)
    "tiny": {},
    "small": SMALL,
    "3b": QWEN_3B,
}
SHAPES = {
    # name: (default completion length, widths and heights to draw from, largest image pixels)
    "default": (32, [56, 84, 112], [56, 84, 112], 112 * 112),
    "vlm": (64, [476], [448], 476 * 448),
}
PROMPT = "Describe the colour and shape in this image."


def build_model(size: str, shape: str = "default") -> str:
    """Folder of the random-init model of `size` (cached under the zeroplay cache); for the
    `vlm` shape a copy whose image processor accepts the shape's larger images."""
    from dataclasses import replace

    from transformers import AutoProcessor

    from zeroplay.models.tiny import TINY_ALIASES, build_tiny, cache_dir, cached_tiny

    if size == "tiny":
        folder = cached_tiny("tiny")
    else:
        spec = replace(TINY_ALIASES["tiny"], **SIZES[size])
        folder = cache_dir() / f"bench-{spec.key}"
        if not (folder / "config.json").exists():
            tmp = Path(tempfile.mkdtemp(dir=cache_dir()))
            build_tiny(spec, tmp)
            os.replace(tmp, folder)
    if shape == "default":
        return str(folder)
    wide = folder.with_name(f"{folder.name}-{shape}")
    if not (wide / "config.json").exists():
        tmp = Path(tempfile.mkdtemp(dir=cache_dir()))
        shutil.copytree(folder, tmp, dirs_exist_ok=True)
        processor = AutoProcessor.from_pretrained(folder)
        processor.image_processor.size = {
            "shortest_edge": 28 * 28,
            "longest_edge": SHAPES[shape][3],
        }
        processor.save_pretrained(tmp)
        os.replace(tmp, wide)
    return str(wide)


def images(n: int, shape: str = "default", seed: int = 0) -> list[Image.Image]:
    rng = random.Random(seed)
    _, widths, heights, _ = SHAPES[shape]
    return [
        Image.new(
            "RGB",
            (rng.choice(widths), rng.choice(heights)),
            tuple(rng.randrange(256) for _ in range(3)),
        )
        for _ in range(n)
    ]


class StepSplit:
    """Seconds spent per phase of a step, by wrapping the callables that do each phase."""

    def __init__(self, device: str):
        self.device = device
        self.current: dict[str, float] = defaultdict(float)
        self.steps: list[dict[str, float]] = []

    def wrap(self, owner, name: str, phase: str) -> None:
        original = getattr(owner, name)

        def timed(*args, **kwargs):
            self._sync()
            start = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                self._sync()
                self.current[phase] += time.perf_counter() - start

        setattr(owner, name, timed)

    def _sync(self) -> None:
        if self.device.startswith("cuda"):
            import torch

            torch.cuda.synchronize()

    def end_step(self, total: float, keep: bool) -> None:
        if keep:
            step = dict(self.current)
            step["other"] = total - sum(step.values())
            self.steps.append(step)
        self.current = defaultdict(float)

    def mean(self) -> dict[str, float]:
        keys = {k for step in self.steps for k in step}
        return {k: sum(step.get(k, 0.0) for step in self.steps) / len(self.steps) for k in keys}


def reward_of(text: str) -> float:
    """Any cheap deterministic reward with variance: the share of vowels."""
    return sum(ch in "aeiou" for ch in text) / max(1, len(text))


def cpu_seconds() -> float:
    """User + system CPU time of this process: steadier than wall time on a shared machine."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def peak_memory_mb(device: str) -> float:
    if device.startswith("cuda"):
        import torch

        return torch.cuda.max_memory_allocated() / 2**20
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_zeroplay(args) -> dict:
    import torch
    from accelerate import Accelerator

    from zeroplay.engines.request import ChatRequest, SamplingParams, user_message
    from zeroplay.models.loader import ModelSettings
    from zeroplay.rl.advantages import group_zscore
    from zeroplay.rl.config import OptimConfig, TrainerConfig
    from zeroplay.rl.policies import Policies
    from zeroplay.rl.samples import Sample
    from zeroplay.rl.scorer import CompletionScorer
    from zeroplay.rl.trainer import Trainer
    from zeroplay.runtime.heap import keep_freed_memory

    torch.manual_seed(0)
    folder = build_model(args.size, args.shape)
    if args.device == "cpu":
        # as zeroplay's CLI and runtime do on a CPU (ZEROPLAY_KEEP_HEAP=0 turns it off)
        keep_freed_memory()
    acc = Accelerator(cpu=args.device == "cpu")
    policies = Policies.load(
        ModelSettings(name=folder, device=args.device, dtype=args.dtype), ["default"], "shared"
    )
    cfg = TrainerConfig(
        optim=OptimConfig(lr=1e-5, max_grad_norm=1.0), micro_batch_tokens=args.micro_batch_tokens
    )
    trainer = Trainer(policies, cfg, acc, {"default": args.steps + args.warmup})
    engine = policies.engine(seed=0)
    split = StepSplit(args.device)
    split.wrap(engine, "generate", "generation")
    split.wrap(CompletionScorer, "forward", "scoring")
    split.wrap(acc, "backward", "backward")
    split.wrap(acc, "clip_grad_norm_", "optimizer")
    split.wrap(trainer.optimizers["default"], "step", "optimizer")
    imgs = images(args.prompts, args.shape)
    times, tokens, cpu = [], [], []
    prompt_tokens = 0
    for step in range(args.warmup + args.steps):
        start = time.perf_counter()
        cpu_start = cpu_seconds()
        reqs = [
            ChatRequest(
                [user_message(PROMPT, 1)],
                [img],
                SamplingParams(
                    n=args.group,
                    max_new_tokens=args.max_new_tokens,
                    min_new_tokens=args.max_new_tokens,
                ),
            )
            for img in imgs
        ]
        samples = []
        for gi, group in enumerate(engine.generate(reqs)):
            for c in group:
                samples.append(
                    Sample(
                        c.prompt,
                        c.token_ids,
                        c.policy_logprobs,
                        c.temperature,
                        reward_of(c.text),
                        str(gi),
                        "r",
                        "s",
                        "default",
                    )
                )
        adv = group_zscore([s.reward for s in samples], [s.group for s in samples])
        for s, a in zip(samples, adv, strict=True):
            s.advantage = a
        trainer.train("default", samples)
        if args.device.startswith("cuda"):
            torch.cuda.synchronize()
        elapsed = time.perf_counter() - start
        split.end_step(elapsed, keep=step >= args.warmup)
        prompt_tokens = samples[0].prompt.length
        if step >= args.warmup:
            times.append(elapsed)
            cpu.append(cpu_seconds() - cpu_start)
            tokens.append(sum(s.num_completion_tokens for s in samples))
    return summarize("zeroplay", args, times, cpu, tokens, split.mean(), prompt_tokens)


def run_trl(args) -> dict:
    import torch
    from datasets import Dataset
    from transformers import AutoModelForImageTextToText, AutoProcessor, TrainerCallback
    from trl import GRPOConfig, GRPOTrainer

    torch.manual_seed(0)
    if args.trl_keep_heap:
        from zeroplay.runtime.heap import keep_freed_memory

        keep_freed_memory()
    folder = build_model(args.size, args.shape)
    processor = AutoProcessor.from_pretrained(folder)
    dtype = torch.bfloat16 if args.dtype in ("bf16", "bfloat16") else torch.float32
    model = AutoModelForImageTextToText.from_pretrained(folder, dtype=dtype)
    imgs = images(args.prompts, args.shape)
    rows = {
        "prompt": [
            [{"role": "user", "content": [{"type": "image"}, {"type": "text", "text": PROMPT}]}]
            for _ in imgs
        ],
        "image": imgs,
    }
    dataset = Dataset.from_dict(rows)
    counted: list[int] = []

    def reward(completions, completion_ids, **kwargs):
        texts = [c[-1]["content"] if isinstance(c, list) else c for c in completions]
        counted.append(sum(len(ids) for ids in completion_ids))
        return [reward_of(t) for t in texts]

    times: list[float] = []
    cpu: list[float] = []
    split = StepSplit(args.device)

    class Timer(TrainerCallback):
        def on_step_begin(self, *a, **k):
            self.start = time.perf_counter()
            self.cpu_start = cpu_seconds()

        def on_step_end(self, *a, **k):
            if args.device.startswith("cuda"):
                torch.cuda.synchronize()
            times.append(time.perf_counter() - self.start)
            cpu.append(cpu_seconds() - self.cpu_start)
            split.end_step(times[-1], keep=len(times) > args.warmup)

    with tempfile.TemporaryDirectory() as out:
        config = GRPOConfig(
            output_dir=out,
            per_device_train_batch_size=args.prompts * args.group,
            num_generations=args.group,
            max_completion_length=args.max_new_tokens,
            temperature=1.0,
            learning_rate=1e-5,
            beta=0.0,
            loss_type="grpo",
            max_steps=args.warmup + args.steps,
            logging_steps=1000,
            save_strategy="no",
            report_to="none",
            use_cpu=args.device == "cpu",
            bf16=dtype == torch.bfloat16,
            gradient_checkpointing=False,
            shuffle_dataset=False,
            max_grad_norm=1.0,
            generation_kwargs={"min_new_tokens": args.max_new_tokens},
            seed=0,
        )
        trainer = GRPOTrainer(
            model=model,
            reward_funcs=[reward],
            args=config,
            train_dataset=dataset,
            processing_class=processor,
            callbacks=[Timer()],
        )
        split.wrap(trainer, "_generate", "generation")
        trainer.train()
    return summarize(
        "trl",
        args,
        times[args.warmup :],
        cpu[args.warmup :],
        counted[args.warmup :],
        split.mean(),
    )


def summarize(
    impl: str,
    args,
    times: list[float],
    cpu: list[float],
    tokens: list[int],
    split: dict[str, float],
    prompt_tokens: int = 0,
) -> dict:
    samples = args.prompts * args.group
    mean = sum(times) / len(times)
    return {
        "impl": impl,
        "size": args.size,
        "shape": args.shape,
        "device": args.device,
        "prompt_tokens": prompt_tokens,
        "split_seconds": split,
        "seconds_per_step": mean,
        "cpu_seconds_per_step": sum(cpu) / len(cpu),
        "samples_per_s": samples / mean,
        "tokens_per_s": (sum(tokens) / len(tokens)) / mean if tokens else float("nan"),
        "peak_memory_mb": peak_memory_mb(args.device),
        "steps_timed": len(times),
    }


def run_side(impl: str, args) -> dict:
    """One side's figures, measured in a fresh process (so peak memory is its own)."""
    cmd = [sys.executable, __file__, "--impl", impl, "--json"]
    for key in (
        "size",
        "shape",
        "device",
        "dtype",
        "prompts",
        "group",
        "max_new_tokens",
        "steps",
        "warmup",
        "micro_batch_tokens",
    ):
        cmd += [f"--{key.replace('_', '-')}", str(getattr(args, key))]
    if args.trl_keep_heap:
        cmd.append("--trl-keep-heap")
    out = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def median_result(results: list[dict]) -> dict:
    """Per-figure medians over rounds (the split's phases too)."""
    out = dict(results[0])
    for key, value in results[0].items():
        if isinstance(value, float):
            out[key] = statistics.median(r[key] for r in results)
    out["split_seconds"] = {
        phase: statistics.median(r["split_seconds"][phase] for r in results)
        for phase in results[0]["split_seconds"]
    }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--impl", choices=["both", "zeroplay", "trl"], default="both")
    parser.add_argument("--size", choices=sorted(SIZES), default="tiny")
    parser.add_argument("--shape", choices=sorted(SHAPES), default="default")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--dtype", default="auto")
    parser.add_argument("--prompts", type=int, default=4)
    parser.add_argument("--group", type=int, default=8)
    parser.add_argument(
        "--max-new-tokens", type=int, default=None, help="default: 32, or 64 for --shape vlm"
    )
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--micro-batch-tokens", type=int, default=16384)
    parser.add_argument("--json", action="store_true", help="print one JSON line (one impl)")
    parser.add_argument(
        "--trl-keep-heap",
        action="store_true",
        help="give TRL's process zeroplay's glibc heap setting too (zeroplay.runtime.heap, which "
        "zeroplay's CLI and runtime apply on a CPU): the same allocator on both sides",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="alternate the two sides this many times and report medians and each round's "
        "ratio (a shared machine's load drifts between runs)",
    )
    args = parser.parse_args()
    if args.max_new_tokens is None:
        args.max_new_tokens = SHAPES[args.shape][0]
    if args.impl != "both":
        result = run_zeroplay(args) if args.impl == "zeroplay" else run_trl(args)
        print(json.dumps(result) if args.json else result)
        return
    runs: dict[str, list[dict]] = {"zeroplay": [], "trl": []}
    ratios = []
    for r in range(args.rounds):
        # alternate which side goes first so a slow drift of the machine hits both alike
        for impl in ("zeroplay", "trl") if r % 2 == 0 else ("trl", "zeroplay"):
            runs[impl].append(run_side(impl, args))
        ratios.append(
            runs["zeroplay"][-1]["seconds_per_step"] / runs["trl"][-1]["seconds_per_step"]
        )
    z, t = (median_result(runs[impl]) for impl in ("zeroplay", "trl"))
    print(
        f"GRPO step, size={args.size}, shape={args.shape}, device={args.device}, "
        f"{args.prompts} prompts of {z['prompt_tokens']} tokens x {args.group} samples x "
        f"{args.max_new_tokens} tokens, {args.steps} timed steps"
        + (f", median of {args.rounds} alternating rounds" if args.rounds > 1 else "")
    )
    if args.device == "cpu":
        print(
            "heap: zeroplay keeps freed memory (zeroplay.runtime.heap); TRL "
            + ("too (--trl-keep-heap)" if args.trl_keep_heap else "with glibc's defaults")
        )
    print(f"{'':18}{'zeroplay':>12}{'TRL':>12}{'zeroplay/TRL':>14}")
    for key, label in (
        ("seconds_per_step", "s/step"),
        ("cpu_seconds_per_step", "CPU s/step"),
        ("samples_per_s", "samples/s"),
        ("tokens_per_s", "tokens/s"),
        ("peak_memory_mb", "peak MB"),
    ):
        print(f"{label:18}{z[key]:12.3f}{t[key]:12.3f}{z[key] / t[key]:14.3f}")
    print("split of a step (s):")
    for phase in ("generation", "scoring", "backward", "optimizer", "other"):
        zs = z["split_seconds"].get(phase)
        ts = t["split_seconds"].get(phase)
        cells = [f"{v:12.3f}" if v is not None else f"{'-':>12}" for v in (zs, ts)]
        print(f"  {phase:16}{cells[0]}{cells[1]}")
    print("  (TRL's 'other' is everything but generation: scoring, backward, optimizer, rest)")
    if args.rounds > 1:
        cells = " ".join(f"{x:.3f}" for x in ratios)
        print(f"s/step ratio per round: {cells} (median {statistics.median(ratios):.3f})")


if __name__ == "__main__":
    main()
