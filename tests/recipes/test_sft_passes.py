"""SFT passes: a batch's records grouped longest first under a record and a token cap, the loss
unchanged by the grouping, and ranks with different pass counts kept in step."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from accelerate import Accelerator
from hypothesis import given, settings
from hypothesis import strategies as st
from sft_ranks import recording_gradients, step_losses
from test_sft import _config, _write_data

from process_launch import run_script
from zeroplay.recipes.sft import SftRun, length_micro_batches


def test_passes_by_hand():
    # Longest first (ties in drawing order), two records a pass.
    assert length_micro_batches([5, 9, 3, 9, 4], 2) == [[1, 3], [0, 4], [2]]
    # 15 padded tokens: 9 + 9 would pad to 18, 5 + 4 pads to 10, the record cap still holds.
    assert length_micro_batches([5, 9, 3, 9, 4], 2, 15) == [[1], [3], [0, 4], [2]]
    # A record longer than the token cap goes alone rather than being dropped.
    assert length_micro_batches([20, 2], 4, 10) == [[0], [1]]
    assert length_micro_batches([], 4, 10) == []


@settings(deadline=None)
@given(
    lengths=st.lists(st.integers(1, 600), max_size=40),
    records=st.integers(1, 16),
    tokens=st.one_of(st.none(), st.integers(8, 4096)),
)
def test_passes_cover_every_record_once_within_the_caps(lengths, records, tokens):
    passes = length_micro_batches(lengths, records, tokens)
    assert sorted(i for p in passes for i in p) == list(range(len(lengths)))
    flat = [lengths[i] for p in passes for i in p]
    assert flat == sorted(flat, reverse=True)
    for p in passes:
        assert 1 <= len(p) <= records
        if tokens is not None and len(p) > 1:
            assert len(p) * max(lengths[i] for i in p) <= tokens


def _close(a: list[dict[str, torch.Tensor]], b: list[dict[str, torch.Tensor]]) -> None:
    assert len(a) == len(b) and a and any(float(g.abs().max()) > 0 for g in a[0].values())
    for x, y in zip(a, b, strict=True):
        assert x.keys() == y.keys()
        for name in x:
            torch.testing.assert_close(x[name], y[name], rtol=1e-5, atol=1e-7)


@pytest.mark.slow
def test_a_token_cap_changes_only_the_grouping(tmp_path):
    data = _write_data(tmp_path)
    grads, losses = {}, {}
    for tokens in (None, 8):  # 8 tokens: every record in a pass of its own
        config = _config(data, save_every=0, micro_batch_tokens=tokens, lr=1e-12)
        run = SftRun(config, tmp_path / f"run{tokens}", Accelerator(cpu=True))
        grads[tokens] = recording_gradients(run)
        run.train()
        losses[tokens] = step_losses(run)
    assert len(losses[None]) == 4
    assert losses[8] == pytest.approx(losses[None], rel=1e-5)
    _close(grads[None], grads[8])


SCRIPT = Path(__file__).with_name("sft_ranks.py")


@pytest.mark.slow
def test_two_ranks_with_unequal_passes_equal_one_process(tmp_path):
    """Records of different lengths under a tight token cap give the two ranks different
    numbers of passes in a step; the short rank runs zero-weight passes, and the result equals
    one process."""
    run_script(SCRIPT, tmp_path / "two")
    run_script(SCRIPT, tmp_path / "one", world=1)
    passes = torch.load(tmp_path / "two" / "passes.pt")
    assert any(len(set(step)) > 1 for step in passes), f"no step's ranks differ: {passes}"
    assert torch.load(tmp_path / "two" / "losses.pt") == pytest.approx(
        torch.load(tmp_path / "one" / "losses.pt"), rel=1e-5
    )
    _close(torch.load(tmp_path / "one" / "grads.pt"), torch.load(tmp_path / "two" / "grads.pt"))
