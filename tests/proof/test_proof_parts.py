"""Proof pieces: intervals computed by hand, the control's reward permutation, seed spaces."""

from __future__ import annotations

import json
import math
import random

import pytest
import torch

from zeroplay.data.seed_spaces import (
    EVAL_BASE,
    SPAN,
    TRAINING_BASE,
    SeedError,
    check_eval_seed,
    eval_seed,
    training_seed,
    warm_start_seed,
)
from zeroplay.models.batching import PreparedPrompt
from zeroplay.proof.result import ProofMetric, ProofResult, table_rows
from zeroplay.proof.stats import paired_bootstrap, wilson
from zeroplay.proof.vision_zero import winrate_metric
from zeroplay.rl.reward_control import permute_rewards
from zeroplay.rl.samples import Sample


def test_wilson_matches_the_formula():
    # 60 of 100: p = 0.6, z = 1.96 -> centre (0.6 + 0.019208) / 1.038415, half-width
    # 1.959964 * sqrt(0.0024 + 0.00009604) / 1.038415.
    lo, hi = wilson(60, 100)
    z = 1.959963984540054
    centre = (0.6 + z * z / 200) / (1 + z * z / 100)
    half = z * math.sqrt(0.6 * 0.4 / 100 + z * z / 40000) / (1 + z * z / 100)
    assert lo == pytest.approx(centre - half) and hi == pytest.approx(centre + half)
    assert lo == pytest.approx(0.5020, abs=1e-4) and hi == pytest.approx(0.6906, abs=1e-4)
    assert wilson(0, 0) == (0.0, 1.0)


def test_paired_bootstrap_on_constant_and_known_differences():
    delta, lo, hi = paired_bootstrap([0, 0, 1, 1], [1, 1, 1, 1])
    assert delta == pytest.approx(0.5)
    assert 0.0 <= lo <= 0.5 <= hi <= 1.0
    # Identical scores: the difference is exactly zero in every resample.
    assert paired_bootstrap([1, 0, 1], [1, 0, 1]) == (0.0, 0.0, 0.0)
    with pytest.raises(ValueError):
        paired_bootstrap([1], [1, 0])


def test_bootstrap_interval_is_not_too_narrow():
    rng = random.Random(0)
    base = [float(rng.random() < 0.3) for _ in range(400)]
    trained = [float(rng.random() < 0.5) for _ in range(400)]
    delta, lo, hi = paired_bootstrap(base, trained, seed=1)
    # The normal-approximation half-width of a difference of two independent rates.
    se = math.sqrt(0.3 * 0.7 / 400 + 0.5 * 0.5 / 400)
    assert hi - lo == pytest.approx(2 * 1.96 * se, rel=0.2)
    assert lo < delta < hi


def _sample(stage: str, reward: float) -> Sample:
    prompt = PreparedPrompt(input_ids=torch.tensor([1, 2]))
    return Sample(
        prompt=prompt,
        completion_ids=torch.tensor([3]),
        old_logprobs=torch.tensor([-1.0]),
        temperature=1.0,
        reward=reward,
        group="g",
        role="r",
        stage=stage,
        policy="default",
    )


def test_control_permutes_rewards_within_each_stage_only():
    samples = [_sample("clue", float(i)) for i in range(20)]
    samples += [_sample("decision", 100.0 + i) for i in range(20)]
    permute_rewards(samples, random.Random(3))
    clue = [s.reward for s in samples if s.stage == "clue"]
    decision = [s.reward for s in samples if s.stage == "decision"]
    assert sorted(clue) == [float(i) for i in range(20)]  # same rewards ...
    assert sorted(decision) == [100.0 + i for i in range(20)]
    assert clue != sorted(clue) and decision != sorted(decision)  # ... on other samples


def test_seed_spaces_are_disjoint():
    assert warm_start_seed(SPAN - 1) < TRAINING_BASE
    assert training_seed(SPAN - 1) < EVAL_BASE
    seeds = {eval_seed(s, k) for s in (0, 1, SPAN - 1) for k in range(8)}
    assert len(seeds) == 24 and min(seeds) >= EVAL_BASE
    with pytest.raises(SeedError):
        check_eval_seed(training_seed(5))
    with pytest.raises(SeedError):
        eval_seed(SPAN)
    with pytest.raises(SeedError):
        training_seed(-1)


def test_proof_json_and_table(tmp_path):
    good = ProofMetric(
        "acc", True, 0.2, 0.5, 0.25, 0.3, (0.2, 0.4), 100, "paired bootstrap", 0.25, (0.1, 0.35)
    )
    weak = ProofMetric(
        "qa", False, 0.5, 0.5, 0.5, 0.0, (-0.1, 0.1), 100, "paired bootstrap", 0.0, (-0.1, 0.1)
    )
    result = ProofResult("vision-zero", 3, "toy", 12.0, [good, weak])
    assert result.passed
    data = result.to_json()
    assert data["metrics"][0]["passed"] and not data["metrics"][1]["passed"]
    assert set(data["metrics"][0]) >= {
        "name",
        "primary",
        "base",
        "trained",
        "control",
        "delta",
        "ci95",
        "n",
    }
    path = result.write(tmp_path)
    assert path.read_text().startswith("{")
    rows = table_rows([data])
    assert rows[0][1] == "acc *" and rows[0][-1] == "yes" and rows[1][-1] == "no"
    below_control = ProofMetric(
        "acc", True, 0.2, 0.5, 0.5, 0.3, (0.2, 0.4), 100, "paired bootstrap", 0.0, (-0.1, 0.1)
    )
    assert not ProofResult("vision-zero", 3, "toy", 1.0, [below_control]).passed


def test_a_required_win_rate_below_the_bar_fails_the_proof():
    """Seed 0 of the r7 proof: primary above zero and the control, win rate 0.575 [0.506, 0.641]."""
    primary = ProofMetric(
        "acc",
        True,
        0.225,
        0.32,
        0.0,
        0.095,
        (0.025, 0.17),
        200,
        "paired bootstrap",
        0.32,
        (0.255, 0.385),
    )
    wins = winrate_metric([1.0] * 115 + [0.0] * 85, [1.0] * 74 + [0.0] * 126, seed=0)
    assert wins.required and wins.ci95[0] > 0 and wins.ci95_vs_control[0] > 0
    assert not wins.passed  # 0.575 < 0.60
    assert not ProofResult("vision-zero", 0, "toy", 1.0, [primary, wins]).passed
    enough = winrate_metric([1.0] * 130 + [0.0] * 70, [1.0] * 100 + [0.0] * 100, seed=0)
    assert enough.trained == 0.65 and enough.passed
    assert ProofResult("vision-zero", 0, "toy", 1.0, [primary, enough]).passed


def test_silver_labels_are_checked_against_the_scene_where_the_question_reads(tmp_path):
    """Hand-counted: of 5 valid questions about one scene, 3 read back (one is ill-posed, one
    is not a generator form); 2 of those 3 labels are right, 1 of the 2 kept ones."""
    from zeroplay.proof.result import ITERATION_COLUMNS
    from zeroplay.proof.visplay import per_iteration_rows, silver_label_quality
    from zeroplay.report.proof_panel import iteration_cells

    pictures = tmp_path / "pictures"
    pictures.mkdir()
    scene = {
        "objects": [
            {"shape": "cube", "color": "red", "material": "rubber", "size": "large"},
            {"shape": "sphere", "color": "blue", "material": "metal", "size": "small"},
            {"shape": "cylinder", "color": "blue", "material": "rubber", "size": "small"},
        ],
        "relationships": {"left": [[], [0], [0, 1]], "right": [[1, 2], [2], []]},
    }
    (pictures / "000001_original.json").write_text(json.dumps(scene))

    def record(question, label, kept, valid=True, own="no"):
        return {
            "image_id": "000001_original.png",
            "question": question,
            "label": label,
            "kept": kept,
            "valid": valid,
            "questioner_answer": own,
        }

    records = [
        record("How many blue objects are there?", "2", kept=True, own="2"),  # right
        record("Is the sphere left of the cylinder?", "no", kept=True),  # wrong (yes)
        record("Are there any cubes?", "yes", kept=False),  # right, not kept
        record("What color is the small object?", "blue", kept=True),  # two small objects
        record("Are there fewer metal objects?", "no", kept=True),  # not a generator form
        record("How many cubes?", "1", kept=True, valid=False),  # invalid: not counted
    ]
    folder = tmp_path / "run" / "data" / "iter_1"
    folder.mkdir(parents=True)
    (folder / "questions.jsonl").write_text("\n".join(json.dumps(r) for r in records) + "\n")
    quality = silver_label_quality(tmp_path / "run", pictures)
    assert quality == {
        "1": {
            "checkable": 3.0,
            "checkable_frac": 3 / 5,
            "silver_accuracy": 2 / 3,
            "kept_checkable": 2.0,
            "answerability": 1 / 2,
            "questioner_accuracy": 1 / 3,
        }
    }
    phases = {"trained": {"1": {"label_kept": 4.0}}, "control": {}}
    rows = per_iteration_rows(phases, {"trained": quality, "control": {}})
    assert rows == [{"run": "trained", "iteration": 1, "label_kept": 4.0, **quality["1"]}]
    details = {"per_iteration": rows, "per_iteration_columns": ITERATION_COLUMNS["visplay"]}
    (cells,) = iteration_cells({"details": details})[1]
    assert cells[:2] == ["trained", "1"] and cells[4] == "4" and cells[7] == "0.667"


def test_chart_proposals_describe_every_value_of_held_out_charts(tmp_path):
    """The CodeGen's held-out proposals: one per chart of an evaluation-seed chart-qa suite, the
    caption naming every value, the chart's own questions and answers as easy and hard."""
    from zeroplay.data.charts.caption import chart_caption
    from zeroplay.data.charts.spec import ChartSpec
    from zeroplay.data.seed_spaces import EVAL_BASE
    from zeroplay.eval.benchmarks import load_benchmark_file
    from zeroplay.proof.mm_zero import chart_proposals, heldout_chart_suite

    suite = heldout_chart_suite(tmp_path, seed=7, n=12)
    items = load_benchmark_file(suite).items
    assert all(item.meta["seed"] >= EVAL_BASE for item in items)
    proposals = chart_proposals(suite, n=3)
    assert len(proposals) == 3
    first_chart = [i for i in items if i.meta["spec"] == items[0].meta["spec"]]
    assert proposals[0].easy_question == first_chart[0].question
    assert proposals[0].easy_answer == str(first_chart[0].answer)
    spec = ChartSpec.from_json(json.loads((suite.parent / items[0].meta["spec"]).read_text()))
    caption = chart_caption(spec)
    assert caption == proposals[0].caption and spec.title in caption
    for series in spec.series:
        for value in series.values:
            assert f"{value:.{spec.decimals}f}" in caption


def test_render_success_counts_svg_that_renders():
    from zeroplay.data.svg import SvgRenderer
    from zeroplay.proof.mm_zero import render_success

    good = "<svg xmlns='http://www.w3.org/2000/svg' width='40' height='30'><rect width='40' height='30' fill='red'/></svg>"
    with SvgRenderer() as renderer:
        assert render_success([good, "", "<svg><rect></svg>", "not svg"], renderer) == [
            1.0,
            0.0,
            0.0,
            0.0,
        ]


def test_mm_zero_per_iteration_rows_come_from_the_runs_coevolution(tmp_path):
    from zeroplay.proof.mm_zero import coevolution, per_iteration_rows
    from zeroplay.proof.result import ITERATION_COLUMNS
    from zeroplay.report.proof_panel import iteration_cells

    folder = tmp_path / "trained" / "data" / "iter_1"
    folder.mkdir(parents=True)
    funnel = {"proposals": 16, "valid_proposals": 12, "rendered": 9, "kept": 5}
    (folder / "coevolution.json").write_text(
        json.dumps(
            {
                "funnel": funnel,
                "render_rate": 0.75,
                "solvability": None,
                "codegen_training_size": 5,
                "solver_training_size": 4,
            }
        )
    )
    runs = {"trained": coevolution(tmp_path / "trained"), "control": coevolution(tmp_path / "none")}
    rows = per_iteration_rows(runs)
    assert rows == [
        {
            "run": "trained",
            "iteration": 1,
            "funnel_proposals": 16,
            "funnel_valid_proposals": 12,
            "funnel_rendered": 9,
            "funnel_kept": 5,
            "render_rate": 0.75,
            "solvability": None,
            "codegen_training_size": 5,
            "solver_training_size": 4,
        }
    ]
    details = {"per_iteration": rows, "per_iteration_columns": ITERATION_COLUMNS["mm-zero"]}
    (cells,) = iteration_cells({"details": details})[1]
    assert cells == ["trained", "1", "16", "12", "9", "5", "5", "4", "0.750", "-"]
