"""Where an MM-Zero run keeps things: the phase plan and the data files passed between phases.

Layout under RUN_DIR (besides config.yaml, metrics.jsonl, rollouts/, phases/):

    data/iter_N/proposer/renders/step_S/        example renders of Proposer step S (PNG)
    data/iter_N/codegen/proposals.jsonl         offline proposals (GeneratedProposal records)
    data/iter_N/codegen/render_filter.jsonl     render rate of each valid proposal
    data/iter_N/codegen/train_set.jsonl         the proposals CodeGen trains on
    data/iter_N/codegen/renders/filter/         example renders of the filter (PNG)
    data/iter_N/codegen/renders/step_S/         example renders of CodeGen step S (PNG)
    data/iter_N/solver/proposals.jsonl          offline proposals for the Solver data
    data/iter_N/solver/labels.jsonl             SVG, render, votes and consistencies per proposal
    data/iter_N/solver/renders/ID.png           every rendered image of the Solver data
    data/iter_N/solver/train_set.jsonl          labelled items (question, label, image path)
    data/iter_N/coevolution.json                co-evolution metrics of the iteration (note §8)
    checkpoints/step_S/                         weights; every phase end is kept

Each phase writes new files only and its marker last (`phases/iter_N.KIND.done`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from zeroplay.games.mm_zero import Proposal, ProposalItem, SolverItem
from zeroplay.recipes.mm_zero.images import load_png
from zeroplay.rl.rundir import RunDir, read_jsonl, write_jsonl

RECIPE = "mm-zero"
TRAINING_KINDS: tuple[str, ...] = ("proposer", "codegen", "solver")
PHASE_KINDS: tuple[str, ...] = (
    "proposer",
    "codegen_data",
    "codegen",
    "solver_data",
    "solver",
    "coevolution",
)


@dataclass(frozen=True)
class Phase:
    """One phase of one iteration; a training phase owns global steps first_step+1..last_step."""

    iteration: int
    kind: str
    first_step: int
    steps: int

    @property
    def name(self) -> str:
        return f"iter_{self.iteration}.{self.kind}"

    @property
    def last_step(self) -> int:
        return self.first_step + self.steps

    @property
    def is_training(self) -> bool:
        return self.kind in TRAINING_KINDS


def phase_plan(iterations: int, steps: Mapping[str, int]) -> list[Phase]:
    """Every phase of the run in order; global steps count GRPO steps over all phases."""
    plan: list[Phase] = []
    step = 0
    for iteration in range(1, iterations + 1):
        for kind in PHASE_KINDS:
            count = steps[kind] if kind in TRAINING_KINDS else 0
            plan.append(Phase(iteration, kind, step, count))
            step += count
    return plan


def iteration_dir(run: RunDir, iteration: int) -> Path:
    return run.data / f"iter_{iteration}"


# --- items passed between phases -------------------------------------------------------------


def write_proposal_items(path: Path, items: Iterable[ProposalItem]) -> None:
    write_jsonl(
        path,
        (
            {
                "proposal_id": item.proposal_id,
                "seed_id": item.seed_id,
                "topic": item.topic,
                "proposal": item.proposal.to_record(),
            }
            for item in items
        ),
    )


def read_proposal_items(path: Path) -> list[ProposalItem]:
    return [
        ProposalItem(
            r["proposal_id"], Proposal.from_record(r["proposal"]), r["seed_id"], r["topic"]
        )
        for r in read_jsonl(path)
    ]


def write_solver_items(path: Path, items: Iterable[SolverItem], image_dir: str) -> None:
    """The Solver training set; each item's image is `image_dir/ITEM_ID.png` beside the file."""
    write_jsonl(
        path,
        (
            {
                "item_id": item.item_id,
                "question": item.question,
                "label": item.label,
                "hard_consistency": item.hard_consistency,
                "easy_consistency": item.easy_consistency,
                "image": f"{image_dir}/{item.item_id}.png",
            }
            for item in items
        ),
    )


def read_solver_items(path: Path) -> list[SolverItem]:
    return [
        SolverItem(
            item_id=r["item_id"],
            question=r["question"],
            label=r["label"],
            image=load_png(path.parent / r["image"]),
            hard_consistency=float(r["hard_consistency"]),
            easy_consistency=float(r["easy_consistency"]),
        )
        for r in read_jsonl(path)
    ]


def tagged(records: Iterable[Any], **tags: Any) -> list[dict[str, Any]]:
    """Game records as JSON dicts with the recipe name and `tags` added."""
    return [{**r.to_record(), "recipe": RECIPE, **tags} for r in records]
