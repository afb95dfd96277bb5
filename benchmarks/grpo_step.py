"""One full GRPO step (generate a group per prompt, score, update): zeroplay vs TRL's GRPOTrainer.

Both run the same random-init Qwen2.5-VL, the same image prompts, group size, completion length,
temperature, learning rate and loss (per-sequence token mean, no KL, one pass, on-policy), each in
its own process so peak memory is its own. Prints seconds per step, samples/s, completion
tokens/s, peak memory, and the zeroplay/TRL ratios.

    python benchmarks/grpo_step.py --size tiny            # both, side by side
    python benchmarks/grpo_step.py --size small --steps 4
    python benchmarks/grpo_step.py --size 3b --device cuda  # on a GPU
    python benchmarks/grpo_step.py --impl zeroplay --size tiny --json  # one side, JSON line

TRL is not a zeroplay dependency: `pip install trl` first.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from PIL import Image

SIZES = {
    # name: TinySpec overrides (random init, Qwen2.5-VL architecture)
    "tiny": {},
    "small": dict(
        bpe_vocab=2048,
        hidden=512,
        layers=8,
        heads=8,
        kv_heads=2,
        intermediate=1408,
        vision_hidden=256,
        vision_layers=4,
        vision_heads=4,
    ),
    "3b": dict(
        bpe_vocab=2048,
        hidden=2048,
        layers=36,
        heads=16,
        kv_heads=2,
        intermediate=11008,
        vision_hidden=1280,
        vision_layers=32,
        vision_heads=16,
    ),
}
PROMPT = "Describe the colour and shape in this image."


def build_model(size: str) -> str:
    """Folder of the random-init model of `size` (cached under the zeroplay cache)."""
    from dataclasses import replace

    from zeroplay.models.tiny import TINY_ALIASES, build_tiny, cache_dir, cached_tiny

    if size == "tiny":
        return str(cached_tiny("tiny"))
    spec = replace(TINY_ALIASES["tiny"], **SIZES[size])
    folder = cache_dir() / f"bench-{spec.key}"
    if not (folder / "config.json").exists():
        tmp = Path(tempfile.mkdtemp(dir=cache_dir()))
        build_tiny(spec, tmp)
        os.replace(tmp, folder)
    return str(folder)


def images(n: int, seed: int = 0) -> list[Image.Image]:
    rng = random.Random(seed)
    return [
        Image.new(
            "RGB",
            (rng.choice([56, 84, 112]), rng.choice([56, 84, 112])),
            tuple(rng.randrange(256) for _ in range(3)),
        )
        for _ in range(n)
    ]


def reward_of(text: str) -> float:
    """Any cheap deterministic reward with variance: the share of vowels."""
    return sum(ch in "aeiou" for ch in text) / max(1, len(text))


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
    from zeroplay.rl.trainer import Trainer

    torch.manual_seed(0)
    folder = build_model(args.size)
    acc = Accelerator(cpu=args.device == "cpu")
    policies = Policies.load(
        ModelSettings(name=folder, device=args.device, dtype=args.dtype), ["default"], "shared"
    )
    cfg = TrainerConfig(
        optim=OptimConfig(lr=1e-5, max_grad_norm=1.0), micro_batch_tokens=args.micro_batch_tokens
    )
    trainer = Trainer(policies, cfg, acc, {"default": args.steps + args.warmup})
    engine = policies.engine(seed=0)
    imgs = images(args.prompts)
    times, tokens = [], []
    for step in range(args.warmup + args.steps):
        start = time.perf_counter()
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
        if step >= args.warmup:
            times.append(time.perf_counter() - start)
            tokens.append(sum(s.num_completion_tokens for s in samples))
    return summarize("zeroplay", args, times, tokens)


def run_trl(args) -> dict:
    import torch
    from datasets import Dataset
    from transformers import AutoModelForImageTextToText, AutoProcessor, TrainerCallback
    from trl import GRPOConfig, GRPOTrainer

    torch.manual_seed(0)
    folder = build_model(args.size)
    processor = AutoProcessor.from_pretrained(folder)
    dtype = torch.bfloat16 if args.dtype in ("bf16", "bfloat16") else torch.float32
    model = AutoModelForImageTextToText.from_pretrained(folder, dtype=dtype)
    imgs = images(args.prompts)
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

    class Timer(TrainerCallback):
        def on_step_begin(self, *a, **k):
            self.start = time.perf_counter()

        def on_step_end(self, *a, **k):
            if args.device.startswith("cuda"):
                torch.cuda.synchronize()
            times.append(time.perf_counter() - self.start)

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
        trainer.train()
    return summarize("trl", args, times[args.warmup :], counted[args.warmup :])


def summarize(impl: str, args, times: list[float], tokens: list[int]) -> dict:
    samples = args.prompts * args.group
    mean = sum(times) / len(times)
    return {
        "impl": impl,
        "size": args.size,
        "device": args.device,
        "seconds_per_step": mean,
        "samples_per_s": samples / mean,
        "tokens_per_s": (sum(tokens) / len(tokens)) / mean if tokens else float("nan"),
        "peak_memory_mb": peak_memory_mb(args.device),
        "steps_timed": len(times),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--impl", choices=["both", "zeroplay", "trl"], default="both")
    parser.add_argument("--size", choices=sorted(SIZES), default="tiny")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--dtype", default="auto")
    parser.add_argument("--prompts", type=int, default=4)
    parser.add_argument("--group", type=int, default=8)
    parser.add_argument("--max-new-tokens", type=int, default=32)
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--micro-batch-tokens", type=int, default=16384)
    parser.add_argument("--json", action="store_true", help="print one JSON line (one impl)")
    args = parser.parse_args()
    if args.impl != "both":
        result = run_zeroplay(args) if args.impl == "zeroplay" else run_trl(args)
        print(json.dumps(result) if args.json else result)
        return
    results = {}
    for impl in ("zeroplay", "trl"):
        cmd = [sys.executable, __file__, "--impl", impl, "--json"]
        for key in (
            "size",
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
        out = subprocess.run(cmd, capture_output=True, text=True, check=True)
        results[impl] = json.loads(out.stdout.strip().splitlines()[-1])
    z, t = results["zeroplay"], results["trl"]
    print(
        f"GRPO step, size={args.size}, device={args.device}, {args.prompts} prompts x "
        f"{args.group} samples x {args.max_new_tokens} tokens, {args.steps} timed steps"
    )
    print(f"{'':18}{'zeroplay':>12}{'TRL':>12}{'zeroplay/TRL':>14}")
    for key, label in (
        ("seconds_per_step", "s/step"),
        ("samples_per_s", "samples/s"),
        ("tokens_per_s", "tokens/s"),
        ("peak_memory_mb", "peak MB"),
    ):
        print(f"{label:18}{z[key]:12.3f}{t[key]:12.3f}{z[key] / t[key]:14.3f}")


if __name__ == "__main__":
    main()
