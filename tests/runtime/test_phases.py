"""The recipe runtime's phase bookkeeping: resume points, pruning, metrics, markers, engines."""

from __future__ import annotations

import json

import pytest

from zeroplay.rl.checkpoint import prune_checkpoints
from zeroplay.rl.rundir import RunDir, read_jsonl, write_jsonl
from zeroplay.runtime.engines import StepEngine
from zeroplay.runtime.errors import ConfigError
from zeroplay.runtime.phases import Phases, ResumePoint, mean_of_numbers


def make_checkpoint(root, step, phase_end, phase="p", phase_step=0):
    folder = root / "checkpoints" / f"step_{step}"
    folder.mkdir(parents=True)
    recipe = {"phase": phase, "phase_end": phase_end, "phase_step": phase_step}
    (folder / "state.json").write_text(json.dumps({"step": step, "recipe_state": recipe}))


def kept(root):
    return sorted(int(p.name[5:]) for p in (root / "checkpoints").iterdir())


def test_resume_point_start_step(tmp_path):
    point = ResumePoint(tmp_path, 12, "reasoner_2", 3)
    assert point.start_step("reasoner_2") == 3
    assert point.start_step("questioner_3") == 0


@pytest.mark.parametrize(
    ("count_boundaries", "after_two", "after_one"),
    [(True, [2, 5, 6], [2, 5, 6]), (False, [2, 4, 5, 6], [2, 5, 6])],
)
def test_prune_never_removes_a_phase_boundary(tmp_path, count_boundaries, after_two, after_one):
    for step, end in [(1, False), (2, True), (3, False), (4, False), (5, True), (6, False)]:
        make_checkpoint(tmp_path, step, end)
    prune_checkpoints(tmp_path, keep_last=2, count_boundaries=count_boundaries)
    assert kept(tmp_path) == after_two
    prune_checkpoints(tmp_path, keep_last=1, count_boundaries=count_boundaries)
    assert kept(tmp_path) == after_one


def test_resume_point_is_the_newest_checkpoint_and_checked_against_the_plan(tmp_path):
    run = RunDir(tmp_path).create()
    phases = Phases(run, ["a", "b", "c"])
    assert phases.resume_point() is None
    make_checkpoint(tmp_path, 3, True, phase="a", phase_step=3)
    run.mark_phase("a")
    make_checkpoint(tmp_path, 5, False, phase="b", phase_step=2)
    point = phases.resume_point()
    assert (point.step, point.phase, point.phase_step) == (5, "b", 2)
    assert point.start_step("b") == 2
    make_checkpoint(tmp_path, 7, False, phase="c", phase_step=1)
    with pytest.raises(ConfigError, match="ahead of the first unfinished phase b"):
        phases.resume_point()
    run.mark_phase("b")
    assert phases.pending() == ["c"] and phases.resume_point().phase == "c"


def test_truncate_metrics_drops_lost_work_and_unfinished_summaries(tmp_path):
    run = RunDir(tmp_path).create()
    rows = [
        {"step": 1, "phase": "questioner_1", "loss": 1.0},
        {"step": 2, "phase": "questioner_1", "loss": 3.0},
        {"step": 2, "phase": "questioner_1", "summary": True},
        {"step": 2, "phase": "label_1", "summary": True},  # written, marker missing
        {"step": 3, "phase": "reasoner_1", "loss": 5.0},
    ]
    write_jsonl(run.metrics, rows)
    run.mark_phase("questioner_1")
    phases = Phases(run, ["questioner_1", "label_1", "reasoner_1"])
    phases.truncate_metrics(2)
    assert read_jsonl(run.metrics) == rows[:3]
    assert phases.step_records("questioner_1") == rows[:2]


def test_mean_of_numbers_skips_booleans_and_named_keys():
    records = [{"loss": 1.0, "valid": True, "step": 1}, {"loss": 3.0, "reward": 0.5, "step": 2}]
    assert mean_of_numbers(records, skip=("step",)) == {"loss": 2.0, "reward": 0.5}
    assert mean_of_numbers(records, "re") == {"reward": 0.5}


def test_mark_writes_the_marker_on_the_main_process(tmp_path):
    class _Accelerator:
        is_main_process = True
        waited = 0

        def wait_for_everyone(self):
            self.waited += 1

    run = RunDir(tmp_path).create()
    phases = Phases(run, ["a"])
    acc = _Accelerator()
    phases.mark("a", {"steps": 2}, acc)
    assert phases.all_done() and acc.waited == 1
    assert json.loads((run.phases / "a.done").read_text()) == {"steps": 2}


def test_step_engine_counts_completion_tokens():
    class _Done:
        def __init__(self, n):
            self.num_tokens = n

    class _Request:
        policy = "reasoner"

    class _Engine:
        def generate(self, requests):
            return [[_Done(3), _Done(4)] for _ in requests]

    engine = StepEngine(_Engine(), {"solver": "phase_start"})
    engine.generate([_Request(), _Request()])
    engine.generate([])
    assert engine.tokens == 14
