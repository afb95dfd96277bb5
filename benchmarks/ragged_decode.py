"""Decoding completions of different lengths: finished rows dropped from the decode vs kept idle.

Real rollouts end at different lengths (a clue stops after 10 tokens, a reasoning answer after
200), and a batch decodes until its longest row is done. The HF engine drops finished rows from
the decode batch once a quarter of the live ones are done (`HFEngine(drop_finished_every=4)`);
this benchmark times the same seeded requests with that on and off (`drop_finished_every=0`, rows
idle on padding to the end), alternating the two, and checks that they sample the same tokens.
Each request's length is fixed by its own `max_new_tokens` (drawn from `--min-len`..`--max-len`,
with `min_new_tokens` equal to it), so the random-init model's lengths are ragged but repeatable.

    python benchmarks/ragged_decode.py --size small
    python benchmarks/ragged_decode.py --size 3b --device cuda
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

from grpo_step import PROMPT, build_model, images  # benchmarks/ is on sys.path as a script


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--size", choices=["tiny", "small", "3b"], default="small")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--requests", type=int, default=32, help="one row each")
    parser.add_argument("--min-len", type=int, default=8)
    parser.add_argument("--max-len", type=int, default=128)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    from zeroplay.engines.hf import DROP_FINISHED_EVERY, HFEngine
    from zeroplay.engines.request import ChatRequest, SamplingParams, user_message
    from zeroplay.models.loader import ModelSettings, load_policy

    model, processor = load_policy(ModelSettings(name=build_model(args.size), device=args.device))
    rng = random.Random(0)
    lengths = [rng.randint(args.min_len, args.max_len) for _ in range(args.requests)]
    pictures = images(args.requests)
    requests = [
        ChatRequest(
            [user_message(PROMPT, 1)],
            [picture],
            SamplingParams(n=1, max_new_tokens=n, min_new_tokens=n, seed=i),
        )
        for i, (n, picture) in enumerate(zip(lengths, pictures, strict=True))
    ]
    settings = {"dropped": DROP_FINISHED_EVERY, "kept idle": 0}
    times: dict[str, list[float]] = {name: [] for name in settings}
    tokens: dict[str, list[list[int]]] = {}
    HFEngine(model, processor).generate(requests[:2])  # warm-up
    for r in range(args.rounds):
        for name in settings if r % 2 == 0 else reversed(settings):
            engine = HFEngine(model, processor, drop_finished_every=settings[name])
            start = time.perf_counter()
            out = engine.generate(requests)
            times[name].append(time.perf_counter() - start)
            tokens[name] = [c.token_ids.tolist() for group in out for c in group]
    if tokens["dropped"] != tokens["kept idle"]:
        raise SystemExit("the two decodes sampled different tokens")
    total = sum(lengths)
    print(
        f"{args.requests} rows of {args.min_len}..{args.max_len} tokens ({total} in all, "
        f"longest {max(lengths)}), size={args.size}, device={args.device}, "
        f"median of {args.rounds} alternating rounds; same tokens both ways"
    )
    print(f"{'finished rows':16}{'s':>10}{'tokens/s':>12}")
    for name, values in times.items():
        seconds = statistics.median(values)
        print(f"{name:16}{seconds:10.3f}{total / seconds:12.1f}")
    ratio = statistics.median(times["dropped"]) / statistics.median(times["kept idle"])
    print(f"dropped / kept idle: {ratio:.3f}")


if __name__ == "__main__":
    main()
