"""What every learning proof evaluates with: a plain HF engine, held-out QA outcomes, and a
metric with paired-bootstrap intervals against the warm start and against the control."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from contextlib import nullcontext
from pathlib import Path
from typing import Any

from zeroplay.engines.hf import HFEngine
from zeroplay.engines.request import ChatRequest, SamplingParams
from zeroplay.eval.benchmarks import load_benchmark_file
from zeroplay.eval.response_cache import Generated
from zeroplay.eval.runner import GenerationSettings, decode_batch, evaluate, score_item
from zeroplay.eval.scoring import ScoringSettings
from zeroplay.eval.suites.common import SuiteOptions
from zeroplay.eval.suites.registry import make_suite
from zeroplay.models.loader import ModelSettings, load_policy
from zeroplay.proof.result import ITERATION_COLUMNS, ProofMetric, ProofResult
from zeroplay.proof.stats import paired_bootstrap
from zeroplay.recipes.config_io import deep_merge, parse_overrides, read_preset, validate
from zeroplay.rl.checkpoint import load_policy_from_run

BASE_MODEL = "toy"

Say = Callable[[str], None]


def preset_config(
    config_type: type[Any],
    recipe: str,
    preset: str,
    seed: int,
    control: bool,
    overrides: Sequence[str] = (),
) -> Any:
    """A recipe's proof preset with `run.seed=seed` and `overrides`; the control run adds
    `control.permute_rewards=true` and nothing else."""
    lines = [f"run.seed={seed}", *overrides]
    if control:
        lines.append("control.permute_rewards=true")
    return validate(config_type, deep_merge(read_preset(recipe, preset), parse_overrides(lines)))


def train_both(
    make_config: Callable[[bool], Any],
    train: Callable[[Any, Path], Any],
    out: Path,
    say: Say,
    describe: Callable[[Any], str],
) -> dict[str, tuple[Any, float]]:
    """Train the proof's two runs into `out/trained` and `out/control` (`make_config(control)`);
    returns each run's config and wall seconds. A finished run is reused (the recipes resume)."""
    runs = {}
    for label, control in (("trained", False), ("control", True)):
        config = make_config(control)
        say(f"training the {label} run ({describe(config)}) ...")
        started = time.perf_counter()
        train(config, out / label)
        runs[label] = (config, time.perf_counter() - started)
    return runs


def heldout_qa_suite(out: Path, seed: int, n: int) -> Path:
    """`out/heldout/toy-qa.jsonl`: `n` held-out toy-qa items (the suite maps `seed` into the
    evaluation seed space); made once, reused by a rerun."""
    suite = out / "heldout" / "toy-qa.jsonl"
    if not suite.exists():
        make_suite("toy-qa", SuiteOptions(n=n, seed=seed, questions_per_image=2), suite)
    return suite


def proof_result(
    recipe: str,
    seed: int,
    out: Path,
    started: float,
    metrics: list[ProofMetric],
    runs: dict[str, tuple[Any, float]],
    **details: Any,
) -> ProofResult:
    """The proof's result with the details every proof records (its two runs' wall seconds and
    folders) and the recipe's own `details`, written to `out/proof.json`. A `per_iteration`
    table goes with its columns (`ITERATION_COLUMNS`), so readers need not know the recipe."""
    if "per_iteration" in details:
        details["per_iteration_columns"] = [list(c) for c in ITERATION_COLUMNS[recipe]]
    result = ProofResult(
        recipe=recipe,
        seed=seed,
        base_model=BASE_MODEL,
        wall_seconds=time.perf_counter() - started,
        metrics=metrics,
        details={
            "train_seconds": round(runs["trained"][1], 1),
            "control_seconds": round(runs["control"][1], 1),
            **details,
            "runs": {"trained": "trained", "control": "control"},
        },
    )
    result.write(out)
    return result


def proof_models(out: Path, policy: str | None = None) -> dict[str, tuple[Any, Any]]:
    """The three models a proof compares, on the CPU in fp32: the warm start, and the last
    checkpoints of `out/trained` and `out/control` (role `policy` of a multi-policy run)."""
    settings = {"device": "cpu", "dtype": "float32"}
    return {
        "base": load_policy(ModelSettings(name=BASE_MODEL, **settings)),
        "trained": load_policy_from_run(out / "trained", policy=policy, **settings),
        "control": load_policy_from_run(out / "control", policy=policy, **settings),
    }


def hf_engine(model: Any, processor: Any, seed: int) -> HFEngine:
    """A single-policy engine over `model` (adapters, if any, already applied)."""
    return HFEngine(model, processor, seed=seed, policy_switch=lambda _p: nullcontext())


def qa_outcomes(model: tuple[Any, Any], suite: Path, seed: int) -> list[float]:
    """1.0 per correct item of a held-out suite file, in the evaluation harness's own prompt."""
    benchmark = load_benchmark_file(suite)
    settings = GenerationSettings(max_new_tokens=24, batch_size=32, seed=seed)
    records = evaluate(benchmark, hf_engine(*model, seed=seed), settings, ScoringSettings())
    return [float(r.correct) for r in records]


RequestFor = Callable[[str, Any, SamplingParams], ChatRequest]


def own_prompt_outcomes(
    model: tuple[Any, Any], suite: Path, seed: int, batch_size: int, request_for: RequestFor
) -> list[float]:
    """1.0 per held-out item the model answers right (greedy) when asked in a recipe's own
    prompt (`request_for(question, image, sampling)`), scored by the evaluation harness's rules;
    an item whose image cannot be read scores 0."""
    engine = hf_engine(*model, seed=seed)
    greedy = SamplingParams(n=1, temperature=0.0, max_new_tokens=24, seed=seed)
    items = load_benchmark_file(suite).items
    outcomes: list[float] = []
    for start in range(0, len(items), batch_size):
        batch = decode_batch(items[start : start + batch_size])
        failed = {item.id for item, _ in batch.failed}
        requests = [request_for(item.question, images[0], greedy) for item, images in batch.ready]
        answers = iter(engine.generate(requests) if requests else [])
        for item in items[start : start + batch_size]:
            if item.id in failed:
                outcomes.append(0.0)
                continue
            sample = next(answers)[0]
            generated = Generated(sample.text, sample.finish_reason, sample.num_tokens)
            outcomes.append(float(score_item(item, generated, ScoringSettings()).correct))
    return outcomes


def paired_metric(
    name: str, primary: bool, outcomes: Mapping[str, list[float]], seed: int
) -> ProofMetric:
    """A metric over the same items for every model (`outcomes` of "base", "trained" and
    "control"): trained - base and trained - control with paired-bootstrap 95% intervals."""
    base, trained, control = (outcomes[k] for k in ("base", "trained", "control"))
    delta, lo, hi = paired_bootstrap(base, trained, seed=seed)
    vs, vlo, vhi = paired_bootstrap(control, trained, seed=seed + 1)
    mean = lambda xs: sum(xs) / len(xs)  # noqa: E731
    return ProofMetric(
        name=name,
        primary=primary,
        base=mean(base),
        trained=mean(trained),
        control=mean(control),
        delta=delta,
        ci95=(lo, hi),
        n=len(base),
        interval="paired bootstrap",
        delta_vs_control=vs,
        ci95_vs_control=(vlo, vhi),
    )
