"""Two CPU ranks on a split batch compute the gradient one process computes on the whole batch."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from process_launch import run_script

SCRIPT = Path(__file__).with_name("dp_equivalence.py")


def _run(out: Path, world: int) -> dict:
    run_script(SCRIPT, out, world=world, timeout=300)
    return torch.load(out / f"grads_w{world}.pt", weights_only=False)


@pytest.mark.slow
def test_two_ranks_equal_one_process_for_every_aggregation(tmp_path):
    one = _run(tmp_path, 1)
    two = _run(tmp_path, 2)
    assert set(one["grads"]) == set(two["grads"])
    for case, expected in one["grads"].items():
        got = two["grads"][case]
        assert got.keys() == expected.keys(), case
        assert any(g.abs().max() > 0 for g in expected.values()), case
        for name in expected:
            torch.testing.assert_close(got[name], expected[name], rtol=0, atol=1e-6, msg=case)
    # A rank with no samples joins the optimizer step (no hang) and the step is the same.
    assert one["steps"] == two["steps"] == 1.0
    for name, value in one["trained"].items():
        torch.testing.assert_close(two["trained"][name], value, rtol=0, atol=1e-6, msg=name)
    # The whole batch on both ranks, each training its share: two mini-batches as one process
    # cuts them, and the statistics of the whole batch.
    assert one["owned_stats"]["optimizer_steps"] == two["owned_stats"]["optimizer_steps"] == 2
    for key in ("num_tokens", "num_seqs", "loss", "grad_norm", "entropy_mean", "ratio_max"):
        assert two["owned_stats"][key] == pytest.approx(one["owned_stats"][key], abs=1e-6), key
    moved = [n for n, v in one["owned"].items() if not torch.equal(v, one["trained"][n])]
    assert moved, "the second trainer must move the weights"
    for name, value in one["owned"].items():
        torch.testing.assert_close(two["owned"][name], value, rtol=0, atol=1e-6, msg=name)
