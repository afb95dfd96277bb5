"""The tiny scripted MM-Zero iteration of `test_mm_zero_run.py`, run by every rank.

`python mm_zero_ranks.py OUT` (one process) or `accelerate launch ... mm_zero_ranks.py OUT`
(two CPU ranks) writes OUT/straight, one uninterrupted run, and OUT/resumed, a run that crashes
after CodeGen step 1 (both ranks, after its checkpoint) and is run again to the end. Each rank
also writes OUT/samples_rank<R>.json: every training step's samples of the straight run.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from test_mm_zero_run import Crash, _crash_at, scripted_texts, small_config

from zeroplay import runtime
from zeroplay.recipes.mm_zero import RunHooks, train


def recording_samples() -> list[list[dict[str, Any]]]:
    """Make `runtime.train_on_turns` keep each step's samples (group, reward, advantage, and
    whether this rank generated it); returns the list they are appended to."""
    steps: list[list[dict[str, Any]]] = []
    inner = runtime.train_on_turns

    def spy(*args: Any, **kwargs: Any) -> Any:
        samples, stats = inner(*args, **kwargs)
        steps.append(
            [
                {
                    "group": s.group,
                    "reward": s.reward,
                    "advantage": s.advantage,
                    "mine": s.prompt is not None,
                }
                for s in samples
            ]
        )
        return samples, stats

    runtime.train_on_turns = spy
    return steps


def main() -> None:
    from accelerate import PartialState

    out = Path(sys.argv[1])
    config = small_config()
    steps = recording_samples()
    train(config, out / "straight", hooks=RunHooks(wrap_engine=scripted_texts))
    rank = PartialState().process_index
    (out / f"samples_rank{rank}.json").write_text(json.dumps(steps))
    crash = RunHooks(wrap_engine=scripted_texts, after_step=_crash_at("iter_1.codegen", 2))
    try:
        train(config, out / "resumed", hooks=crash)
    except Crash:
        pass
    else:
        raise AssertionError("the run did not crash")
    train(config, out / "resumed", hooks=RunHooks(wrap_engine=scripted_texts))

    import torch.distributed as dist

    if dist.is_initialized():  # leave the gloo group cleanly (see test_vision_zero_ranks.py)
        dist.barrier()
        dist.destroy_process_group()


if __name__ == "__main__":
    main()
