"""An SFT run whose ranks get different numbers of passes, run by every rank.

`python sft_ranks.py OUT` (one process) or `accelerate launch ... sft_ranks.py OUT` (two CPU
ranks): records of three lengths under a token cap that pairs the two shorter lengths but sends
the longest alone, so a rank holding a long record makes one pass more than one without.
The learning rate is 1e-12, so the weights stay put and every step's gradients can be compared
across runs (AdamW's normalised update would magnify float32 noise in the weights). Writes
OUT/grads.pt (rank 0's reduced gradients of every step), OUT/losses.pt and, per step, each
rank's number of passes to OUT/passes.pt.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import torch
from accelerate import Accelerator
from test_sft import _config, _write_data
from transformers import AutoProcessor

from zeroplay.models.tiny import cached_tiny
from zeroplay.recipes import sft
from zeroplay.recipes.sft import SftRun
from zeroplay.recipes.sft_data import read_records, tokenize_record


def write_mixed_lengths(folder: Path) -> Path:
    """Twelve records whose user text grows with i % 3: three lengths, four records each."""
    path = _write_data(folder, 12)
    records = [json.loads(line) for line in path.read_text().splitlines()]
    for i, record in enumerate(records):
        record["messages"][2]["content"] = "Sure? " + "Look again. " * (12 * (i % 3))
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


def recording_gradients(run: SftRun) -> list[dict[str, torch.Tensor]]:
    """Make `run` keep a copy of its trainable gradients at every optimizer step (after the
    data-parallel reduction, before the update); returns the list they are appended to."""
    steps: list[dict[str, torch.Tensor]] = []
    model = run.policies.model("default")
    named = [(n, p) for n, p in model.named_parameters() if p.requires_grad]

    def keep(*_: object) -> None:
        steps.append({n: p.grad.detach().clone() for n, p in named if p.grad is not None})

    inner = getattr(run.trainer.optimizer, "optimizer", run.trainer.optimizer)
    inner.register_step_pre_hook(keep)
    return steps


def step_losses(run: SftRun) -> list[float]:
    """Every step's logged loss."""
    records = [json.loads(line) for line in run.run.metrics.read_text().splitlines()]
    return [r["loss"] for r in records if "loss" in r]


def main(out: Path) -> None:
    acc = Accelerator(cpu=True)
    out.mkdir(parents=True, exist_ok=True)
    if acc.is_main_process:
        write_mixed_lengths(out)
    acc.wait_for_everyone()
    data = out / "data.jsonl"
    processor = AutoProcessor.from_pretrained(cached_tiny("tiny"))
    lengths = sorted({tokenize_record(processor, r).prepared.length for r in read_records(data)})
    assert len(lengths) == 3
    cap = 2 * lengths[1]  # two short or two middle records share a pass, a long one goes alone
    config = _config(
        data, save_every=0, batch_size=4, micro_batch_tokens=cap, steps_epochs=3.0, lr=1e-12
    )
    run = SftRun(config, out / "run", acc)
    grads = recording_gradients(run)
    counts: list[int] = []
    inner = sft.length_micro_batches

    def counting(*args, **kwargs):
        passes = inner(*args, **kwargs)
        counts.append(len(passes))
        return passes

    sft.length_micro_batches = counting
    run.train()
    gathered = acc.gather(torch.tensor(counts)).view(acc.num_processes, -1).T.tolist()
    if acc.is_main_process:
        torch.save(grads, out / "grads.pt")
        torch.save(step_losses(run), out / "losses.pt")
        torch.save([tuple(step) for step in gathered], out / "passes.pt")
    acc.wait_for_everyone()


if __name__ == "__main__":
    main(Path(sys.argv[1]))
