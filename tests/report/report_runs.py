"""Synthetic run directories for the report tests: one per recipe, in the layout the recipes
write (config.yaml, metrics.jsonl, rollouts/, data/, eval/, checkpoints/, phases/).

Records have the exact shape of the games' `to_record()`; some model-written fields hold hostile
HTML so the tests can check that nothing reaches the page unescaped.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import yaml
from PIL import Image, ImageDraw

HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'
HOSTILE_ATTR = '"><iframe src="https://evil.example/">'


def write_jsonl(path: Path, records: list[dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")


def picture(
    path: Path, colour: str, shape: str = "box", size: tuple[int, int] = (160, 120)
) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    image = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(image)
    if shape == "box":
        draw.rectangle((30, 30, 90, 90), fill=colour)
    else:
        draw.ellipse((60, 20, 130, 90), fill=colour)
    image.save(path)


def eval_results(root: Path, step: int, benchmark: str, correct: int, n: int = 20) -> None:
    """A results file in the format of `zeroplay.eval.results` (summary and no items)."""
    document = {
        "format": "zeroplay-eval-results",
        "version": 1,
        "model": {
            "label": f"run@step{step}",
            "name": "tiny",
            "run_dir": str(root),
            "step": step,
            "policy": None,
        },
        "benchmark": {"name": benchmark, "source": f"{benchmark}.jsonl", "format": "jsonl"},
        "summary": {
            "n": n,
            "correct": correct,
            "accuracy": correct / n,
            "no_answer": 2,
            "errors": 0,
            "truncated": 1,
            "extraction": {"boxed": n - 2, "none": 2},
            "by_type": {"number": {"n": n, "correct": correct, "accuracy": correct / n}},
            "by_category": {},
            "judge": None,
        },
        "items": [],
    }
    path = root / "eval" / f"step_{step}" / f"{benchmark}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document), encoding="utf-8")


def trainer_stats(step: int) -> dict[str, float]:
    return {
        "loss": 0.1 / step,
        "pg_loss": 0.09 / step,
        "kl_mean": 0.001 * step,
        "entropy_mean": 2.0 - 0.1 * step,
        "clip_frac_low": 0.01,
        "clip_frac_high": 0.02 * step / 10,
        "grad_norm": 1.0 + step,
        "lr": 1e-5,
        "update_seconds": 2.0,
        "optimizer_steps": 1.0,
    }


def write_config(root: Path, config: dict[str, Any]) -> None:
    root.mkdir(parents=True, exist_ok=True)
    (root / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")


# --- Vision-Zero --------------------------------------------------------------------------


def vision_zero_game(step: int, k: int, pair_id: str) -> dict[str, Any]:
    spy = 1 + (step + k) % 4
    votes = []
    for sample in range(4):
        vote = spy if sample < 2 else ("abstain" if sample == 2 else None)
        outcome = "correct" if vote == spy else ("abstain" if vote == "abstain" else "invalid")
        votes.append(
            {
                "voter": 0,
                "role": "observer",
                "policy": "default",
                "sample": sample,
                "text": f"Player {spy} was vague. "
                + (HOSTILE if sample == 3 else "")
                + "\\boxed{}",
                "finish_reason": "stop",
                "vote": vote,
                "vote_invalid_reason": "empty box" if vote is None else None,
                "outcome": outcome,
                "format_ok": vote is not None,
                "reward": {"correct": 1.0, "abstain": -0.5, "invalid": -1.0}[outcome],
            }
        )
    clue_turns = []
    rewards = [0.05, 0.05, 0.05, 0.05]
    rewards[spy - 1] = -0.15
    for round_ in (1, 2):
        for seat in range(1, 5):
            role = "spy" if seat == spy else "civilian"
            hostile = seat == 2 and round_ == 1
            clue_turns.append(
                {
                    "seat": seat,
                    "round": round_,
                    "role": role,
                    "policy": "default",
                    "text": f"thinking... \\boxed{{a red cube {seat}}}",
                    "finish_reason": "length" if seat == 3 else "stop",
                    "reasoning": "I see a red cube." + (HOSTILE if hostile else ""),
                    "clue": (HOSTILE_ATTR if hostile else f"a red cube near {seat}")
                    if seat != 4
                    else None,
                    "clue_invalid_reason": "no box" if seat == 4 else None,
                    "reward": rewards[seat - 1],
                }
            )
    return {
        "recipe": "vision-zero",
        "step": step,
        "rank": 0,
        "trained_stage": "decision" if step % 3 else "clue",
        "game_index": k,
        "epoch": 0,
        "pair_id": pair_id,
        "game_id": f"g{step}-{k}",
        "domain": "clevr",
        "n_players": 4,
        "spy_seat": spy,
        "decision_mode": "observer",
        "blank_spy": False,
        "clue_turns": clue_turns,
        "votes": votes,
        "tally": [2 if s == spy else 0 for s in range(1, 5)],
        "spy_identified": True,
        "psi": 2.0,
        "clue_rewards": rewards,
        "n_votes": 4,
        "n_abstained": 1,
        "n_invalid": 1,
    }


def make_vision_zero_run(root: Path, steps: int = 6, games: int = 2) -> Path:
    write_config(
        root,
        {
            "model": {"name": "tiny", "mode": "shared"},
            "run": {"seed": 3},
            "data": {"path": None},
            "controller": {
                "mode": "paper",
                "acc_to_clue": 0.9,
                "na_to_clue": 0.1,
                "err_to_decision": 0.4,
                "na_to_decision": 0.5,
            },
            "schedule": {"steps": steps, "games_per_step": games},
        },
    )
    for pid, colour in (("000000", "red"), ("000001", "blue")):
        picture(root / "data" / "pairs" / f"{pid}_original.png", colour, "box")
        picture(root / "data" / "pairs" / f"{pid}_modified.png", colour, "ball")
    metrics = []
    for step in range(1, steps + 1):
        stage = "decision" if step <= 3 else "clue"
        metrics.append(
            {
                "step": step,
                "phase": "train",
                "stage": stage,
                "next_stage": stage,
                "games": float(games),
                "decision/accuracy": 0.5 + 0.05 * step,
                "decision/abstain_rate": 0.3 - 0.03 * step,
                "decision/invalid_rate": 0.1,
                "decision/spy_vote_share": 0.4,
                "clue/psi": 1.0 + 0.1 * step,
                "clue/invalid_rate": 0.2,
                "clue/truncated_rate": 0.1,
                "decision/truncated_rate": 0.0,
                "reward/clue/spy": -0.1,
                "reward/clue/civilian": 0.03,
                "reward/decision/observer": 0.2,
                "role/spy/reward_mean": -0.1,
                "role/civilian/reward_mean": 0.03,
                "role/observer/reward_mean": 0.2,
                "stage/clue/reward_mean": 0.0,
                "stage/decision/reward_mean": 0.2,
                "role/spy/completion_len": 30.0,
                "role/observer/completion_len": 50.0,
                "samples": 40.0,
                "completion_tokens": 1600.0,
                "truncated_frac": 0.05,
                "spo/clue_active": 1.0 if stage == "clue" else 0.0,
                "spo/decision_active": 1.0 if stage == "decision" else 0.0,
                "spo/accuracy": 0.5 + 0.05 * step,
                "spo/abstention": 0.2,
                "spo/accuracy_average": 0.5 + 0.04 * step,
                "spo/abstention_average": 0.2,
                "rae/clue/civilian": 0.01 * step,
                "rae/clue/spy": -0.02 * step,
                "rollout_seconds": 10.0,
                "tokens_per_s": 160.0,
                **trainer_stats(step),
            }
        )
        write_jsonl(
            root / "rollouts" / f"step_{step:06d}_rank0.jsonl",
            [vision_zero_game(step, k, f"00000{k % 2}") for k in range(games)],
        )
    metrics.append({"summary": True, "phase": "train", "step": steps, "wall_seconds": 123.0})
    write_jsonl(root / "metrics.jsonl", metrics)
    eval_results(root, 3, "clevr-qa", 8)
    eval_results(root, steps, "clevr-qa", 11)
    eval_results(root, steps, "chart-qa", 5, n=10)
    (root / "checkpoints" / f"step_{steps}").mkdir(parents=True)
    (root / "phases").mkdir()
    (root / "phases" / "train.done").write_text(json.dumps({"steps": steps}))
    return root


def make_small_run(root: Path) -> Path:
    """A Vision-Zero run with one logged key and one game: quick to report (one plot)."""
    write_config(root, {"model": {"name": "tiny"}, "data": {"path": None}})
    for side, shape in (("original", "box"), ("modified", "ball")):
        picture(root / "data" / "pairs" / f"000000_{side}.png", "red", shape)
    write_jsonl(root / "metrics.jsonl", [{"step": 1, "phase": "train", "kl_mean": 0.01}])
    write_jsonl(root / "rollouts" / "step_000001_rank0.jsonl", [vision_zero_game(1, 0, "000000")])
    return root


# --- VisPlay --------------------------------------------------------------------------------


def question_record(iteration: int, image: str, k: int) -> dict[str, Any]:
    valid = k != 2
    return {
        "question_id": f"{image}/q{k}",
        "image_id": image,
        "sample_index": k,
        "text": f"<type>numerical</type><question>How many bars? {HOSTILE}</question>",
        "valid": valid,
        "invalid_reason": None if valid else "missing <question>",
        "question_type": ("numerical" if k % 2 else "multiple choice") if valid else None,
        "question": f"How many bars are taller than {k}? {HOSTILE}" if valid else None,
        "questioner_answer": "3" if valid else None,
        "reasoner_answers": ["3", "3", "4", None] if valid else [],
        "label": "3" if valid else None,
        "majority_count": 2 if valid else 0,
        "samples": 4 if valid else 0,
        "confidence": 0.5 if valid else 0.0,
        "cluster_size": 1,
        "pool_size": 3,
        "uncertainty": 1.0 if valid else 0.0,
        "penalty": 0.33,
        "reward": 0.67 if valid else -1.0,
        "recipe": "visplay",
        "phase": f"questioner_{iteration}",
        "iteration": iteration,
        "phase_step": 1,
        "step": iteration,
    }


def labelled_record(iteration: int, image: str, k: int) -> dict[str, Any]:
    kept = k == 0
    return {
        "question_id": f"{image}/q{k}",
        "image_id": image,
        "sample_index": k,
        "text": "<question>Which bar is highest?</question>",
        "valid": True,
        "invalid_reason": None,
        "question_type": "multiple choice",
        "question": "Which bar is highest? A. a B. b C. c D. d",
        "questioner_answer": "B",
        "reasoner_answers": ["B", "B", "C", "B"],
        "label": "B",
        "majority_count": 3,
        "samples": 4,
        "confidence": 0.75,
        "kept": kept,
        "drop_reason": None if kept else "confidence outside the band",
        "recipe": "visplay",
        "phase": f"label_{iteration}",
        "iteration": iteration,
    }


def answer_record(iteration: int, image: str, k: int) -> dict[str, Any]:
    return {
        "question_id": f"{image}/q0",
        "image_id": image,
        "sample_index": k,
        "text": f"<think>count</think> \\boxed{{{'B' if k else 'C'}}} {HOSTILE}",
        "answer": "B" if k else "C",
        "label": "B",
        "accuracy": 1.0 if k else 0.0,
        "think_format": True,
        "reward": 1.0 if k else 0.0,
        "recipe": "visplay",
        "phase": f"reasoner_{iteration}",
        "iteration": iteration,
        "phase_step": 1,
        "step": iteration + 1,
    }


def make_visplay_run(root: Path, iterations: int = 2) -> Path:
    write_config(
        root,
        {
            "model": {"name": "tiny", "mode": "lora"},
            "run": {"seed": 0},
            "data": {"path": None, "generate_charts": 2},
            "schedule": {"iterations": iterations},
        },
    )
    images = ["chart_000000.png", "chart_000001.png"]
    for i, name in enumerate(images):
        picture(root / "data" / "images" / name, ("green", "purple")[i])
    metrics: list[dict[str, Any]] = []
    step = 0
    for it in range(1, iterations + 1):
        step += 1
        metrics.append(
            {
                "step": step,
                "phase": f"questioner_{it}",
                "stage": "questioner",
                "iteration": it,
                "questioner/reward_mean": 0.3 * it,
                "questioner/uncertainty_mean": 0.8,
                "questioner/penalty_mean": 0.2,
                "questioner/valid_frac": 0.9,
                "questioner/confidence_hist/2of4": 3.0,
                "questioner/confidence_hist/4of4": 1.0 * it,
                "questioner/type_frac/numerical": 0.5,
                "questioner/type_frac/multiple choice": 0.5,
                "role/questioner/reward_mean": 0.3 * it,
                "samples": 6.0,
                "completion_tokens": 300.0,
                "rollout_seconds": 5.0,
                **trainer_stats(step),
            }
        )
        metrics.append(
            {
                "step": step,
                "phase": f"label_{it}",
                "stage": "label",
                "iteration": it,
                "summary": True,
                "label/kept_frac": 0.25 * it,
                "label/valid_frac": 0.9,
                "label/kept": 2.0,
                "label/confidence_hist/3of4": 4.0,
                "label/confidence_hist/2of4": 2.0,
                "label/type_frac/multiple choice": 1.0,
                "label/kept_type_frac/multiple choice": 1.0,
                **({"label/agreement": 0.5} if it > 1 else {}),
                "label_seconds": 7.0,
            }
        )
        step += 1
        metrics.append(
            {
                "step": step,
                "phase": f"reasoner_{it}",
                "stage": "reasoner",
                "iteration": it,
                "reasoner/accuracy_mean": 0.4 + 0.1 * it,
                "reasoner/boxed_frac": 0.9,
                "reasoner/zero_variance_group_frac": 0.3,
                "role/reasoner/reward_mean": 0.4 + 0.1 * it,
                "samples": 4.0,
                "completion_tokens": 200.0,
                "rollout_seconds": 4.0,
                **trainer_stats(step),
            }
        )
        write_jsonl(
            root / "rollouts" / f"questioner_{it}" / "step_00001.jsonl",
            [question_record(it, img, k) for img in images for k in range(3)],
        )
        write_jsonl(
            root / "rollouts" / f"label_{it}.jsonl",
            [labelled_record(it, img, k) for img in images for k in range(2)],
        )
        write_jsonl(
            root / "rollouts" / f"reasoner_{it}" / "step_00001.jsonl",
            [answer_record(it, images[0], k) for k in range(3)],
        )
    write_jsonl(root / "metrics.jsonl", metrics)
    return root


# --- MM-Zero -------------------------------------------------------------------------------

SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="120" height="80">'
    '<rect x="10" y="10" width="40" height="60" fill="teal"/>'
    '<rect x="60" y="30" width="40" height="40" fill="orange"/></svg>'
)
SPEC = {
    "caption": f"A bar chart with two bars {HOSTILE}",
    "easy_question": "How many bars?",
    "easy_answer": "2",
    "hard_question": "What is the ratio of the heights?",
    "hard_answer": "1.5",
    "content_type": "data_chart",
}


def _mm_attempt(code: str = SVG, rendered: bool = True) -> dict[str, Any]:
    return {
        "sample_index": 0,
        "code": code,
        "reply_chars": len(code),
        "svg_like": True,
        "rendered": rendered,
        "render_reason": None if rendered else "refused: malformed XML",
        "width": 120 if rendered else 0,
        "height": 80 if rendered else 0,
        "easy_answers": ["2", "2", "3"] if rendered else [],
        "hard_answers": ["1.5", "2", "1.5"] if rendered else [],
        "solvability": 2 / 3 if rendered else 0.0,
        "consistency": 2 / 3 if rendered else 0.0,
        "hard_majority": "1.5" if rendered else None,
    }


def write_mm_zero_iteration(root: Path, it: int, first_step: int) -> list[dict[str, Any]]:
    """One iteration in the recipe's layout: training records in rollouts/iter_N.ROLE/, data
    records and renders under data/iter_N/. Returns the step metrics records."""
    folder = root / "data" / f"iter_{it}"
    steps = {"proposer": first_step + 1, "codegen": first_step + 2, "solver": first_step + 3}

    def tags(kind: str) -> dict[str, Any]:
        out = {"recipe": "mm-zero", "iteration": it, "phase": f"iter_{it}.{kind}"}
        return {**out, "step": steps[kind]} if kind in steps else out

    proposer = {
        "proposal_id": f"i{it}p0001-s0-0",
        "seed_id": "s0",
        "topic": "bar charts",
        "sample_index": 0,
        "text": f"<caption>{HOSTILE}</caption>",
        "valid": True,
        "invalid_reason": None,
        "proposal": SPEC,
        "effective_content_type": "data_chart",
        "svgs": [_mm_attempt(), _mm_attempt("<svg>" + HOSTILE, rendered=False)],
        "base": 0.5,
        "avg_solvability": 0.66,
        "avg_difficulty": 0.6,
        "easy_hard_penalty": 0.0,
        "num_rendered": 1,
        "num_codes": 2,
        "text_diversity_penalty": 0.1,
        "content_type_penalty": 0.0,
        "reward": 0.4,
        **tags("proposer"),
    }
    codegen = {
        "proposal_id": f"i{it}c-0",
        "sample_index": 0,
        "svg": _mm_attempt(),
        "reward": 0.7,
        "rendered": True,
        "svg_like": True,
        "solvability": 0.66,
        "difficulty": 0.6,
        **tags("codegen"),
    }
    # the recipe keeps a few example renders: this CodeGen sample's is stored
    picture(
        folder / "codegen" / "renders" / f"step_{steps['codegen']:06d}" / f"i{it}c-0_svg0.png",
        "navy",
    )
    write_jsonl(
        root / "rollouts" / f"iter_{it}.proposer" / f"step_{steps['proposer']:06d}.jsonl",
        [proposer],
    )
    write_jsonl(
        root / "rollouts" / f"iter_{it}.codegen" / f"step_{steps['codegen']:06d}.jsonl", [codegen]
    )

    codegen_proposals = [
        {
            "proposal_id": f"i{it}c-0",
            "seed_id": "s0",
            "topic": "charts",
            "text": "x",
            "valid": True,
            "invalid_reason": None,
            "proposal": SPEC,
            **tags("codegen_data"),
        }
    ]
    render_filter = [
        {
            "proposal_id": f"i{it}c-0",
            "svgs": [_mm_attempt()],
            "render_rate": 1.0,
            "kept": True,
            "drop_reason": None,
            **tags("codegen_data"),
        }
    ]
    solver_proposals, labels, solver = [], [], []
    for k in range(3):
        pid = f"i{it}s-{k}"
        valid = k < 2
        solver_proposals.append(
            {
                "proposal_id": pid,
                "seed_id": f"s{k}",
                "topic": "charts",
                "text": "<caption>x</caption>",
                "valid": valid,
                "invalid_reason": None if valid else "missing <caption>",
                "proposal": {**SPEC, "content_type": ("data_chart", "diagram")[k]}
                if valid
                else None,
                **tags("solver_data"),
            }
        )
        if not valid:
            continue
        picture(folder / "solver" / "renders" / f"{pid}.png", ("teal", "orange")[k])
        labels.append(
            {
                "proposal_id": pid,
                "proposal": SPEC,
                "code": SVG,
                "rendered": True,
                "render_reason": None,
                "width": 120,
                "height": 80,
                "has_hard_question": True,
                "evaluated": True,
                "hard_answers": ["1.5", "2"] if k == 0 else ["1.5", "1.5"],
                "easy_answers": ["2", "2"],
                "label": "1.5",
                "hard_consistency": [0.5, 1.0][k],
                "easy_consistency": 1.0,
                "kept": k == 0,
                "drop_reason": None if k == 0 else "too easy",
                **tags("solver_data"),
            }
        )
        solver.append(
            {
                "item_id": pid,
                "sample_index": 0,
                "text": f"\\boxed{{1.5}} {HOSTILE}",
                "answer": "1.5",
                "label": "1.5",
                "accuracy": 1.0,
                "format": 1.0,
                "reward": 1.0,
                **tags("solver"),
            }
        )
    write_jsonl(folder / "codegen" / "proposals.jsonl", codegen_proposals)
    write_jsonl(folder / "codegen" / "render_filter.jsonl", render_filter)
    write_jsonl(folder / "solver" / "proposals.jsonl", solver_proposals)
    write_jsonl(folder / "solver" / "labels.jsonl", labels)
    write_jsonl(
        root / "rollouts" / f"iter_{it}.solver" / f"step_{steps['solver']:06d}.jsonl", solver
    )

    from zeroplay.games.mm_zero.metrics import coevolution_metrics

    values = coevolution_metrics(
        proposals=solver_proposals, labelling=labels, render_filter=render_filter
    )
    (folder / "coevolution.json").write_text(json.dumps(values), encoding="utf-8")
    records = []
    for role, step in steps.items():
        records.append(
            {
                "step": step,
                "phase": f"iter_{it}.{role}",
                "stage": role,
                "iteration": it,
                "phase_step": 1,
                "reward/reward": math.sin(step),
                "reward/accuracy" if role == "solver" else "reward/solvability": 0.5,
                f"role/{role}/reward_mean": math.sin(step),
                "samples": 4.0,
                "completion_tokens": 100.0,
                "rollout_seconds": 3.0,
                **trainer_stats(step),
            }
        )
        records.append(
            {"summary": True, "step": step, "phase": f"iter_{it}.{role}", "seconds": 5.0}
        )
    return records


def make_mm_zero_run(root: Path, iterations: int = 2) -> Path:
    write_config(
        root,
        {
            "model": {"name": "tiny", "mode": "lora"},
            "run": {"seed": 1},
            "iterations": iterations,
        },
    )
    metrics: list[dict[str, Any]] = []
    for it in range(1, iterations + 1):
        metrics += write_mm_zero_iteration(root, it, 3 * (it - 1))
    write_jsonl(root / "metrics.jsonl", metrics)
    return root
