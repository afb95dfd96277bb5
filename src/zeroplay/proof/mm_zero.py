"""The MM-Zero learning proof: Proposer, CodeGen and Solver self-play from the warm-started `toy`,
judged on held-out ground truth.

1. train: the `proof` preset (LoRA roles proposer, codegen and solver on `toy`; three iterations of
   proposer -> CodeGen -> Solver); no input images, and nothing from a generator: the Solver
   sees only what the CodeGen's own SVG renders to;
2. control: the same run with every batch's rewards permuted among its samples;
3. evaluate the warm start and each run's roles on held-out charts from the chart generator
   (`chart-qa`, evaluation seed space):
   - the Solver's accuracy on the charts' questions under MM-Zero's own Solver prompt, greedy
     (primary);
   - the CodeGen's render success: for each held-out chart, a proposal is written from its spec
     (caption, an easy and a hard question with their answers), the CodeGen answers it (greedy)
     and its SVG goes to the same sandboxed renderer as in training;
   - the Proposer's valid-proposal rate: one proposal per seed row (temperature 1, seeded),
     parsed as the reward parses it.
   Per iteration, the runs' co-evolution metrics (the funnel from proposals to kept training
   items, render rate, solvability) show how far the model's own output reached.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from zeroplay.data.charts.caption import chart_caption
from zeroplay.data.charts.spec import ChartSpec
from zeroplay.data.seed_spaces import eval_seed
from zeroplay.data.svg import SvgRenderer
from zeroplay.engines.request import ChatRequest, SamplingParams
from zeroplay.eval.benchmarks import load_benchmark_file
from zeroplay.eval.suites.common import SuiteOptions
from zeroplay.eval.suites.registry import make_suite
from zeroplay.games.mm_zero.asking import (
    codegen_request,
    proposer_request,
    render_codes,
    solver_request,
)
from zeroplay.games.mm_zero.proposal import Proposal, parse_proposal_strict
from zeroplay.games.mm_zero.seeds import seed_prompts
from zeroplay.games.mm_zero.svg_code import extract_svg_code
from zeroplay.proof.evaluation import (
    Say,
    hf_engine,
    own_prompt_outcomes,
    paired_metric,
    preset_config,
    proof_models,
    proof_result,
    train_both,
)
from zeroplay.proof.result import ProofResult
from zeroplay.recipes.mm_zero import Config, train

RECIPE = "mm-zero"
PRESET = "proof"
CHART_SLOT = 2  # the held-out charts' slot in the evaluation seed space (0, 1: Vision-Zero, toy-qa)


@dataclass(frozen=True)
class Budget:
    """How much the proof trains and evaluates. `iterations` None keeps the preset's."""

    iterations: int | None = None
    qa_items: int = 200
    proposals: int = 64  # held-out proposals for the CodeGen, and seed rows for the Proposer
    batch_size: int = 16
    extra: tuple[str, ...] = ()  # overrides applied to both runs (the quick budget's sizes)

    def quick(self) -> Budget:
        """A minutes-long run of the same pipeline (tests, smoke checks): not a proof."""
        return replace(
            self,
            iterations=1,
            qa_items=4,
            proposals=4,
            extra=(
                "game.seeds_per_topic=1",
                "proposer.steps=1",
                "proposer.rollout_batch=2",
                "proposer.global_batch=2",
                "codegen.steps=1",
                "codegen.proposals=2",
                "codegen.rollout_batch=2",
                "codegen.global_batch=2",
                "solver.steps=1",
                "solver.proposals=2",
                "solver.rollout_batch=2",
                "solver.global_batch=2",
                "game.proposer_rollout.max_new_tokens=24",
                "game.proposer_offline.max_new_tokens=24",
                "game.codegen_filter.max_new_tokens=24",
                "game.codegen_rollout.max_new_tokens=24",
                "game.codegen_offline.max_new_tokens=24",
                "game.codegen_scoring.max_new_tokens=24",
            ),
        )


def proof_config(seed: int, budget: Budget, control: bool, extra: list[str]) -> Config:
    """The proof preset for `seed`, optionally as the control run."""
    sized = [] if budget.iterations is None else [f"iterations={budget.iterations}"]
    return preset_config(Config, RECIPE, PRESET, seed, control, [*budget.extra, *extra, *sized])


def heldout_chart_suite(out: Path, seed: int, n: int) -> Path:
    """`out/heldout/chart-qa.jsonl`: `n` questions about charts drawn from the evaluation seed
    space (slot `CHART_SLOT`); made once, reused by a rerun."""
    suite = out / "heldout" / "chart-qa.jsonl"
    if not suite.exists():
        options = SuiteOptions(n=n, seed=eval_seed(seed, CHART_SLOT), questions_per_image=2)
        make_suite("chart-qa", options, suite)
    return suite


def chart_proposals(suite: Path, n: int) -> list[Proposal]:
    """Up to `n` proposals, one per held-out chart: its caption, and its first two questions
    as the easy and the hard one (N/A when the chart has one)."""
    by_chart: dict[str, list[Any]] = {}
    for item in load_benchmark_file(suite).items:
        by_chart.setdefault(str(item.meta["spec"]), []).append(item)
    proposals = []
    for spec_path, items in list(by_chart.items())[:n]:
        spec = ChartSpec.from_json(json.loads((suite.parent / spec_path).read_text("utf-8")))
        hard = items[1] if len(items) > 1 else None
        proposals.append(
            Proposal(
                caption=chart_caption(spec),
                easy_question=items[0].question,
                easy_answer=str(items[0].answer),
                hard_question=hard.question if hard else "N/A",
                hard_answer=str(hard.answer) if hard else "N/A",
                content_type="data_chart",
            )
        )
    return proposals


def solver_outcomes(model: tuple[Any, Any], suite: Path, seed: int, batch: int) -> list[float]:
    """1.0 per held-out chart question answered right under MM-Zero's Solver prompt."""

    def ask(question: str, image: Any, sampling: SamplingParams) -> ChatRequest:
        return solver_request(question, image, sampling, phase="proof", use="eval")

    return own_prompt_outcomes(model, suite, seed, batch, ask)


def render_outcomes(
    model: tuple[Any, Any], proposals: Sequence[Proposal], seed: int, renderer: Any
) -> list[float]:
    """1.0 per proposal whose greedy CodeGen reply holds SVG that renders."""
    engine = hf_engine(*model, seed=seed)
    greedy = SamplingParams(n=1, temperature=0.0, max_new_tokens=256, seed=seed)
    replies = engine.generate(
        [codegen_request(p, greedy, phase="proof", use="eval") for p in proposals]
    )
    return render_success([extract_svg_code(group[0].text) for group in replies], renderer)


def render_success(codes: Sequence[str], renderer: Any) -> list[float]:
    """1.0 per SVG code that renders (an empty code is a failure, and is not sent)."""
    return [float(r is not None and r.ok) for r in render_codes(codes, renderer)]


def proposal_outcomes(model: tuple[Any, Any], n: int, seed: int) -> list[float]:
    """1.0 per seed row whose sampled proposal parses (the reward's strict parser). The rows
    are drawn with a seed from the evaluation space; a Proposer prompt is a topic with a
    subject and a focus, not a labelled item, so rows may repeat the training run's."""
    rows = seed_prompts(max(1, -(-n // 8)), seed=eval_seed(seed, CHART_SLOT))[:n]
    sampling = SamplingParams(n=1, temperature=1.0, top_p=0.95, max_new_tokens=160, seed=seed)
    replies = hf_engine(*model, seed=seed).generate(
        [proposer_request(r.text, sampling, phase="proof", use="eval") for r in rows]
    )
    return [float(parse_proposal_strict(group[0].text).ok) for group in replies]


COEVOLUTION_KEYS = ("render_rate", "solvability", "codegen_training_size", "solver_training_size")


def coevolution(run: Path) -> dict[str, dict[str, Any]]:
    """Per iteration, the run's co-evolution funnel and rates (data/iter_i/coevolution.json)."""
    out: dict[str, dict[str, Any]] = {}
    for folder in sorted((run / "data").glob("iter_*"), key=lambda p: int(p.name[5:])):
        path = folder / "coevolution.json"
        if path.exists():
            data = json.loads(path.read_text(encoding="utf-8"))
            funnel = data.get("funnel", {})
            out[folder.name[5:]] = {
                **{f"funnel_{k}": v for k, v in funnel.items()},
                **{k: data.get(k) for k in COEVOLUTION_KEYS},
            }
    return out


def per_iteration_rows(runs: dict[str, dict[str, dict[str, Any]]]) -> list[dict[str, Any]]:
    """One row per (run, iteration) of the co-evolution metrics (the proof's second table)."""
    return [
        {"run": run, "iteration": int(it), **row}
        for run in ("trained", "control")
        for it, row in sorted(runs[run].items(), key=lambda kv: int(kv[0]))
    ]


def prove(
    seed: int,
    out: Path,
    budget: Budget = Budget(),
    extra: list[str] | None = None,
    say: Say = print,
) -> ProofResult:
    """Run the whole proof into `out` (resumable: finished training runs are reused)."""
    started = time.perf_counter()
    runs = train_both(
        lambda control: proof_config(seed, budget, control, list(extra or [])),
        train,
        out,
        lambda line: say(f"{RECIPE}: {line}"),
        lambda c: f"{c.iterations} iteration(s)",
    )
    say(f"{RECIPE}: drawing held-out charts and questions (evaluation seeds) ...")
    suite = heldout_chart_suite(out, seed, budget.qa_items)
    proposals = chart_proposals(suite, budget.proposals)

    say(f"{RECIPE}: evaluating the warm start, the trained and the control roles ...")
    solver = {
        label: solver_outcomes(model, suite, seed, budget.batch_size)
        for label, model in proof_models(out, policy="solver").items()
    }
    with SvgRenderer(runs["trained"][0].render.build()) as renderer:
        rendered = {
            label: render_outcomes(model, proposals, seed, renderer)
            for label, model in proof_models(out, policy="codegen").items()
        }
    valid = {
        label: proposal_outcomes(model, budget.proposals, seed)
        for label, model in proof_models(out, policy="proposer").items()
    }
    metrics = [
        paired_metric(
            "solver accuracy (held-out chart-qa, MM-Zero's prompt)",
            True,
            solver,
            seed,
        ),
        paired_metric(
            "CodeGen render success (held-out chart proposals)",
            False,
            rendered,
            seed + 10,
        ),
        paired_metric(
            "Proposer valid-proposal rate (seed rows)",
            False,
            valid,
            seed + 20,
        ),
    ]
    co = {run: coevolution(out / run) for run in ("trained", "control")}
    return proof_result(
        RECIPE,
        seed,
        out,
        started,
        metrics,
        runs,
        iterations=runs["trained"][0].iterations,
        coevolution=co,
        per_iteration=per_iteration_rows(co),
        eval_seeds={"chart_qa": eval_seed(seed, CHART_SLOT)},
    )
