"""Resuming from a checkpoint continues a run exactly (parameters and metrics)."""

from __future__ import annotations

import json

import colour_task
import torch
from colour_task import ColourTask, TaskConfig

from zeroplay.rl.checkpoint import list_checkpoints, load_policy_from_run
from zeroplay.rl.metrics import is_timing_key

SMALL = TaskConfig(steps=4, prompts=4, group=4, max_new_tokens=4, lr=1e-2, kl_coef=0.05)


def _params(task):
    return {n: p.detach().clone() for n, p in task.policies.model("default").named_parameters()}


def _metrics(run_dir):
    records = [json.loads(x) for x in (run_dir / "metrics.jsonl").read_text().splitlines()]
    return [{k: v for k, v in r.items() if not is_timing_key(k)} for r in records]


def _vowel_share(text: str, target: str) -> float:
    """A reward that varies between samples, so every step moves the weights (and the KL)."""
    return sum(ch in "aeiou" for ch in text) / max(1, len(text))


def test_two_plus_two_equals_four(tmp_path, monkeypatch):
    from accelerate import Accelerator

    monkeypatch.setattr(colour_task, "reward", _vowel_share)
    initial = _params(ColourTask(SMALL, tmp_path / "initial", Accelerator(cpu=True)))
    straight = ColourTask(SMALL, tmp_path / "straight", Accelerator(cpu=True))
    straight.run(4)

    first = ColourTask(SMALL, tmp_path / "resumed", Accelerator(cpu=True))
    first.run(2, checkpoint_every=2)
    first.train_step()  # work after the checkpoint that a crash loses; resume must redo it
    del first
    second = ColourTask(SMALL, tmp_path / "resumed", Accelerator(cpu=True))
    second.resume()
    assert second.step == 2
    second.run(4)

    a, b = _params(straight), _params(second)
    assert a.keys() == b.keys()
    assert any(not torch.equal(a[n], initial[n]) for n in a), "training must move the weights"
    kl = [r["kl_mean"] for r in _metrics(tmp_path / "straight")]
    assert max(kl) > 0, "the KL term must be active for the reference to matter"
    for name in a:
        torch.testing.assert_close(a[name], b[name], rtol=0, atol=0, msg=name)
    assert _metrics(tmp_path / "straight") == _metrics(tmp_path / "resumed")


def test_checkpoint_layout_and_loading_without_trainer(tmp_path):
    from accelerate import Accelerator

    task = ColourTask(SMALL, tmp_path, Accelerator(cpu=True))
    task.run(2, checkpoint_every=1)
    steps = [s for s, _ in list_checkpoints(tmp_path)]
    assert steps == [1, 2]  # keep_last=2
    path = list_checkpoints(tmp_path)[-1][1]
    for name in ("state.json", "trainer.pt", "rng_rank0.pt", "policy/config.json", "processor"):
        assert (path / name).exists(), name
    state = json.loads((path / "state.json").read_text())
    assert state["step"] == 2 and state["kind"] == "shared"
    model, processor = load_policy_from_run(tmp_path, device="cpu")
    trained = task.policies.model("default").state_dict()
    for key, value in model.state_dict().items():
        torch.testing.assert_close(value, trained[key], msg=key)
    assert processor is not None
