"""The VisPlay learning proof: questioner and reasoner self-play from the warm-started `toy`,
judged on held-out ground truth.

1. pictures: toy scenes from the training seed space (`zeroplay data toy`); the recipe reads
   only the pictures, never the pair JSON that says what is in them;
2. train: the `proof` preset (LoRA roles questioner and reasoner on `toy`, three iterations of
   questioner -> silver labels -> reasoner);
3. control: the same run with every batch's rewards permuted among its samples;
4. evaluate (greedy) the warm start, the trained reasoner and the control's reasoner on held-out
   `toy-qa` questions (evaluation seed space, ground truth from the scene generator):
   - under VisPlay's own reasoner prompt, the one the reasoner trains with (primary);
   - under the evaluation harness's prompt (does the gain carry to another prompt?).
   Per iteration, the run's own counts show the model's output reaching every phase (valid
   questions, kept questions, reasoner steps), and the labelled questions that can be read
   back into a generator family are checked against the scene's ground truth: silver-label
   accuracy and the answerability of the kept questions (read after training, never in it).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from zeroplay.data.clevr.toy import toy_pair_maker
from zeroplay.data.runner import generate_pairs
from zeroplay.data.seed_spaces import eval_seed
from zeroplay.engines.request import ChatRequest, SamplingParams
from zeroplay.eval.suites.clevr_reading import read_question, same_answer
from zeroplay.games.visplay.prompts import reasoner_request
from zeroplay.proof.evaluation import (
    Say,
    heldout_qa_suite,
    own_prompt_outcomes,
    paired_metric,
    preset_config,
    proof_models,
    proof_result,
    qa_outcomes,
    train_both,
)
from zeroplay.proof.result import ProofResult
from zeroplay.recipes.visplay import Config, train

RECIPE = "visplay"
PRESET = "proof"
REASONER = "reasoner"


@dataclass(frozen=True)
class Budget:
    """How much the proof trains and evaluates. `iterations` None keeps the preset's."""

    iterations: int | None = None
    train_pairs: int = 128  # each pair gives two pictures
    qa_items: int = 400
    batch_size: int = 32
    extra: tuple[str, ...] = ()  # overrides applied to both runs (the quick budget's sizes)

    def quick(self) -> Budget:
        """A minutes-long run of the same pipeline (tests, smoke checks): not a proof."""
        return replace(
            self,
            iterations=1,
            train_pairs=4,
            qa_items=4,
            extra=(
                "schedule.questioner_steps=1",
                "schedule.questioner_images_per_step=2",
                "schedule.reasoner_steps=1",
                "schedule.reasoner_questions_per_step=2",
                "schedule.pool_images=4",
                "schedule.label_chunk_images=4",
                "game.label_samples=4",
                "game.reward_samples=2",
            ),
        )


def proof_config(seed: int, budget: Budget, control: bool, extra: list[str]) -> Config:
    """The proof preset for `seed`, optionally as the control run."""
    sized = [] if budget.iterations is None else [f"schedule.iterations={budget.iterations}"]
    return preset_config(Config, RECIPE, PRESET, seed, control, [*budget.extra, *extra, *sized])


def visplay_prompt_outcomes(
    model: tuple[Any, Any], suite: Path, seed: int, batch_size: int
) -> list[float]:
    """1.0 per held-out item the model answers right under VisPlay's reasoner prompt (greedy),
    scored by the evaluation harness's rules."""

    def ask(question: str, image: Any, sampling: SamplingParams) -> ChatRequest:
        return reasoner_request(question, "", image, "consistent", "train", sampling, {})

    return own_prompt_outcomes(model, suite, seed, batch_size, ask)


def phase_counts(run: Path) -> dict[str, dict[str, float]]:
    """Per iteration, how much of the model's own output reached each phase (from the run's
    metrics): questioner replies that parse, questions labelled and kept, reasoner steps."""
    valid: dict[str, list[float]] = {}
    out: dict[str, dict[str, float]] = {}
    for line in (run / "metrics.jsonl").read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        if "iteration" not in record:
            continue
        step = not record.get("summary")  # a phase's summary record repeats its steps' keys
        it = str(record["iteration"])
        counts = out.setdefault(it, {"reasoner_steps": 0.0})
        phase = str(record.get("phase", ""))
        if step and phase.startswith("questioner") and "questioner/valid_frac" in record:
            valid.setdefault(it, []).append(float(record["questioner/valid_frac"]))
        if "label/questions" in record:
            counts["label_questions"] = float(record["label/questions"])
            counts["label_valid_frac"] = float(record.get("label/valid_frac", 0.0))
            counts["label_kept"] = float(record.get("label/kept", 0.0))
        if step and phase.startswith("reasoner") and "optimizer_steps" in record:
            counts["reasoner_steps"] += 1
    for it, fracs in valid.items():
        out[it]["questioner_valid_frac"] = sum(fracs) / len(fracs)
    return out


def silver_label_quality(run: Path, pictures: Path) -> dict[str, dict[str, float]]:
    """Per iteration, the run's labelled questions checked against ground truth, where the
    question can be read back into a generator family (`eval.suites.clevr_reading`):
    - `checkable_frac`: share of the questioner's valid questions that are checkable;
    - `silver_accuracy`: share of checkable labelled questions whose majority-vote label is
      the true answer;
    - `answerability`: the same share among the *kept* questions (inside the confidence
      window), the ones the reasoner trains on;
    - `questioner_accuracy`: share of checkable questions whose questioner's own answer is true.
    The scene JSON beside each picture is read here, after training, and nowhere in it."""
    out: dict[str, dict[str, float]] = {}
    for folder in sorted((run / "data").glob("iter_*"), key=lambda p: int(p.name[5:])):
        path = folder / "questions.jsonl"
        if not path.exists():
            continue
        scenes: dict[str, Any] = {}
        counts = {"valid": 0, "checkable": 0, "right": 0, "kept": 0, "kept_right": 0, "own": 0}
        for line in path.read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            if not record.get("valid") or not record.get("question"):
                continue
            counts["valid"] += 1
            image = str(record["image_id"])
            if image not in scenes:
                scenes[image] = json.loads(
                    (pictures / Path(image).with_suffix(".json")).read_text(encoding="utf-8")
                )
            reading = read_question(record["question"], scenes[image])
            if reading.answer is None:
                continue
            right = same_answer(record.get("label") or "", reading.answer)
            counts["checkable"] += 1
            counts["right"] += right
            counts["own"] += same_answer(record.get("questioner_answer") or "", reading.answer)
            if record.get("kept"):
                counts["kept"] += 1
                counts["kept_right"] += right
        checkable = counts["checkable"]
        out[folder.name[5:]] = {
            "checkable": float(checkable),
            "checkable_frac": checkable / counts["valid"] if counts["valid"] else 0.0,
            "silver_accuracy": counts["right"] / checkable if checkable else float("nan"),
            "kept_checkable": float(counts["kept"]),
            "answerability": counts["kept_right"] / counts["kept"]
            if counts["kept"]
            else float("nan"),
            "questioner_accuracy": counts["own"] / checkable if checkable else float("nan"),
        }
    return out


def per_iteration_rows(
    phases: dict[str, dict[str, dict[str, float]]],
    silver: dict[str, dict[str, dict[str, float]]],
) -> list[dict[str, Any]]:
    """One row per (run, iteration): how much model output reached each phase, and how good
    the silver labels were (the proof's per-iteration table)."""
    rows = []
    for run in ("trained", "control"):
        for it in sorted(set(phases[run]) | set(silver[run]), key=int):
            rows.append(
                {
                    "run": run,
                    "iteration": int(it),
                    **phases[run].get(it, {}),
                    **silver[run].get(it, {}),
                }
            )
    return rows


def prove(
    seed: int,
    out: Path,
    budget: Budget = Budget(),
    extra: list[str] | None = None,
    say: Say = print,
) -> ProofResult:
    """Run the whole proof into `out` (resumable: finished training runs are reused)."""
    started = time.perf_counter()
    pictures = out / "train-pictures"
    say(f"{RECIPE}: drawing {budget.train_pairs} toy scene pairs (training seeds) ...")
    generate_pairs(toy_pair_maker(seed), pictures, budget.train_pairs)
    extra = [*(extra or []), f"data.path={pictures}"]
    runs = train_both(
        lambda control: proof_config(seed, budget, control, extra),
        train,
        out,
        lambda line: say(f"{RECIPE}: {line}"),
        lambda c: f"{c.schedule.iterations} iterations",
    )

    say(f"{RECIPE}: generating held-out questions (evaluation seeds) ...")
    suite = heldout_qa_suite(out, seed, budget.qa_items)

    say(f"{RECIPE}: evaluating the warm start, the trained and the control reasoner ...")
    models = proof_models(out, policy=REASONER)
    own = {
        label: visplay_prompt_outcomes(model, suite, seed, budget.batch_size)
        for label, model in models.items()
    }
    harness = {label: qa_outcomes(model, suite, seed) for label, model in models.items()}
    metrics = [
        paired_metric(
            "reasoner accuracy (held-out toy-qa, VisPlay's prompt)",
            True,
            own,
            seed,
        ),
        paired_metric(
            "toy-qa accuracy (evaluation prompt)",
            False,
            harness,
            seed + 10,
        ),
    ]
    say(f"{RECIPE}: checking the silver labels against the scenes' ground truth ...")
    phases = {run: phase_counts(out / run) for run in ("trained", "control")}
    silver = {run: silver_label_quality(out / run, pictures) for run in ("trained", "control")}
    return proof_result(
        RECIPE,
        seed,
        out,
        started,
        metrics,
        runs,
        iterations=runs["trained"][0].schedule.iterations,
        phases=phases,
        silver_labels=silver,
        per_iteration=per_iteration_rows(phases, silver),
        eval_seeds={"toy_qa": eval_seed(seed, 1)},
    )
