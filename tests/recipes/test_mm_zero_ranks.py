"""MM-Zero on two CPU processes (gloo) equals one process: the same data files, rewards,
advantages and metrics, the same weights to 1e-5, and a crashed two-process run resumes exactly.

Both ranks play every round on the whole batch; generation and rendering are split between them
and gathered back, and each rank trains the samples it generated (`runtime.ShardedEngine`).
"""

from __future__ import annotations

import json
from numbers import Number
from pathlib import Path

import pytest
import torch
from mm_zero_ranks import recording_samples
from test_mm_zero_run import _adapters, _metrics, scripted_texts, small_config

from process_launch import run_script
from zeroplay import runtime
from zeroplay.recipes.mm_zero import RunHooks, train

pytestmark = pytest.mark.slow

SCRIPT = Path(__file__).with_name("mm_zero_ranks.py")


def _files(run: Path) -> dict[str, bytes]:
    """Every data and rollout file of a run (JSON records, PNG renders), by relative path."""
    return {
        str(p.relative_to(run)): p.read_bytes()
        for folder in ("data", "rollouts")
        for p in sorted((run / folder).rglob("*"))
        if p.is_file()
    }


def _close(a: object, b: object) -> bool:
    """Equal, numbers to float32 noise (the two ranks' sums run in another order)."""
    if isinstance(a, Number) and isinstance(b, Number) and not isinstance(a, bool):
        return b == pytest.approx(a, rel=1e-5, abs=1e-6)
    return a == b


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """One process's straight run (and its samples), then the two-rank runs."""
    root = tmp_path_factory.mktemp("mmz_ranks")
    patch = pytest.MonkeyPatch()
    patch.setattr(runtime, "train_on_turns", runtime.train_on_turns)  # restored below
    try:
        steps = recording_samples()
        train(small_config(), root / "one", hooks=RunHooks(wrap_engine=scripted_texts))
    finally:
        patch.undo()
    run_script(SCRIPT, root / "two")
    return root, steps


def test_two_ranks_write_the_files_and_samples_of_one_process(runs):
    root, one_steps = runs
    one, two = root / "one", root / "two" / "straight"
    assert _files(two) == _files(one)  # proposals, filters, labels, rollouts, renders
    ranks = [json.loads((root / "two" / f"samples_rank{r}.json").read_text()) for r in (0, 1)]
    assert len(one_steps) == len(ranks[0]) == len(ranks[1]) == 4
    for step, (expected, got0, got1) in enumerate(zip(one_steps, *ranks, strict=True)):
        values = [[(s["group"], s["reward"], s["advantage"]) for s in x] for x in (expected, got0)]
        assert values[1] == values[0], step  # every rank holds the whole batch
        assert [s["advantage"] for s in got1] == [s["advantage"] for s in got0], step
        mine = [(a["mine"], b["mine"]) for a, b in zip(got0, got1, strict=True)]
        assert all(a != b for a, b in mine), step  # each sample is trained on exactly one rank
        assert any(a for a, _ in mine) and any(b for _, b in mine), step
    assert any(s["advantage"] != 0 for step in one_steps for s in step)


def test_two_ranks_log_the_metrics_and_train_the_weights_of_one_process(runs):
    root, _ = runs
    one, two = root / "one", root / "two" / "straight"
    expected, got = _metrics(one), _metrics(two)
    assert len(got) == len(expected)
    for a, b in zip(expected, got, strict=True):
        assert a.keys() == b.keys()
        assert all(_close(a[k], b[k]) for k in a), [k for k in a if not _close(a[k], b[k])]
    weights, reference = _adapters(two), _adapters(one)
    assert weights.keys() == reference.keys()
    start = _adapters(one, 0)
    assert any(not torch.equal(reference[k], start[k]) for k in reference), "weights must move"
    for key, value in reference.items():
        torch.testing.assert_close(weights[key], value, rtol=0, atol=1e-5, msg=key)


def test_a_crashed_two_rank_run_resumes_exactly(runs):
    root, _ = runs
    straight, resumed = root / "two" / "straight", root / "two" / "resumed"
    assert _metrics(resumed) == _metrics(straight)
    assert _files(resumed) == _files(straight)
    a, b = _adapters(straight), _adapters(resumed)
    for key in a:
        torch.testing.assert_close(b[key], a[key], rtol=0, atol=0, msg=key)
