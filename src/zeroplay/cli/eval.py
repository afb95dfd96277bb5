"""`zeroplay eval`: run benchmarks, make synthetic suites, compare results.

Each command is a plain function registered on `app`, so more commands can be added beside
them (for example the spy win-rate evaluation).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from zeroplay.cli.common import console, fail, quiet_libraries

app = typer.Typer(
    help="Evaluate models: benchmark files, synthetic suites with exact answers, judges, "
    "comparisons.",
    no_args_is_help=True,
)


@contextmanager
def progress_bar(description: str, total: int) -> Iterator[Any]:
    """A rich progress bar; yields a callback that advances it by a count."""
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=False) as progress:
        task = progress.add_task(description, total=total)
        yield lambda count: progress.advance(task, count)


def _load_benchmarks(suites: list[str], limit: int | None) -> list[tuple[Any, int]]:
    """(benchmark limited to `limit` items, items in its file) per --suite, or exit."""
    from zeroplay.eval.benchmarks import (
        limited,
        load_benchmark,
        resolve_benchmark_path,
        suite_needs_build,
    )
    from zeroplay.eval.errors import BenchmarkError
    from zeroplay.eval.suites.common import SuiteOptions

    loaded = []
    names: dict[str, str] = {}
    for spec in suites:
        try:
            if suite_needs_build(spec):
                with progress_bar(f"making suite {spec}", SuiteOptions().n) as advance:
                    resolve_benchmark_path(spec, advance)
            benchmark = load_benchmark(spec)
        except BenchmarkError as error:
            fail(str(error))
        if benchmark.name in names:
            fail(
                f"two suites are named {benchmark.name!r} ({names[benchmark.name]} and {spec}); "
                "their results would overwrite each other"
            )
        names[benchmark.name] = spec
        loaded.append((limited(benchmark, limit), len(benchmark)))
    return loaded


def _make_http_judge(url: str, model: str, max_tokens: int, concurrency: int, key_env: str):
    from zeroplay.eval.judge_http import HttpJudge, HttpJudgeSettings, JudgeUnavailable

    try:
        judge = HttpJudge(
            HttpJudgeSettings(
                url=url,
                model=model,
                max_tokens=max_tokens,
                concurrency=concurrency,
                api_key_env=key_env,
            )
        )
        judge.check()
    except JudgeUnavailable as error:
        fail(str(error))
    return judge


def _print_summaries(documents: list[dict[str, Any]], paths: list[Path]) -> None:
    from zeroplay.eval.tables import breakdown_table, summary_table

    console.print(summary_table(documents))
    for document in documents:
        for key, title in (("by_type", "answer type"), ("by_category", "category")):
            if key == "by_category" and len(document["summary"].get(key) or {}) > 20:
                continue
            table = breakdown_table(document, key, title)
            if table is not None:
                console.print(table)
    for path in paths:
        console.print(f"wrote {path}", highlight=False)


@app.command("run")
def run(
    model: str = typer.Option(
        ..., "--model", "-m", help="Model folder, Hub id, 'tiny', or a run directory."
    ),
    suite: list[str] = typer.Option(
        ...,
        "--suite",
        "-s",
        help="Benchmark file (.jsonl or VLMEvalKit .tsv), synthetic suite name (clevr-qa, "
        "chart-qa, spot-the-difference), or a VLMEvalKit name found in $LMUData. Repeatable.",
    ),
    limit: int | None = typer.Option(None, "--limit", min=1, help="First N items of each suite."),
    out: Path | None = typer.Option(
        None,
        "--out",
        help="Results folder (default: RUN_DIR/eval/step_N, else eval-results/LABEL).",
    ),
    step: int | None = typer.Option(None, "--step", min=0, help="Run directory: checkpoint step."),
    policy: str | None = typer.Option(
        None, "--policy", help="Run directory: which policy (LoRA adapter / role) answers."
    ),
    label: str | None = typer.Option(None, "--label", help="Name of the model in results."),
    max_new_tokens: int = typer.Option(1024, "--max-new-tokens", min=1),
    temperature: float = typer.Option(0.0, "--temperature", min=0.0, help="0 is greedy."),
    seed: int = typer.Option(0, "--seed", help="Sampling seed (used when temperature > 0)."),
    batch_size: int = typer.Option(16, "--batch-size", min=1, help="Items per engine call."),
    rel_tol: float = typer.Option(
        0.0, "--rel-tol", min=0.0, help="Relative tolerance for numeric answers (0.05 = 5%)."
    ),
    judge: str | None = typer.Option(
        None, "--judge", help="Judge with a local model (folder, Hub id): any VLM or LLM."
    ),
    judge_url: str | None = typer.Option(
        None, "--judge-url", help="Judge through an OpenAI-compatible endpoint (http://.../v1)."
    ),
    judge_model: str | None = typer.Option(
        None, "--judge-model", help="Model name sent to --judge-url."
    ),
    judge_max_tokens: int = typer.Option(16, "--judge-max-tokens", min=1),
    judge_concurrency: int = typer.Option(4, "--judge-concurrency", min=1),
    judge_api_key_env: str = typer.Option(
        "OPENAI_API_KEY", "--judge-api-key-env", help="Env variable holding the endpoint's key."
    ),
    fresh: bool = typer.Option(
        False, "--fresh", help="Ignore responses saved by an interrupted run of the same command."
    ),
    device: str = typer.Option("auto", "--device", help="'auto', 'cpu', 'cuda', 'cuda:1', ..."),
    dtype: str = typer.Option("auto", "--dtype", help="'auto' (bf16 on GPU, fp32 on CPU), ..."),
) -> None:
    """Evaluate MODEL on each suite; write one results JSON per suite and print a summary."""
    quiet_libraries()
    from zeroplay.answers.grader_process import GraderUnavailableError
    from zeroplay.eval.model_source import (
        ModelSourceError,
        generation_policy,
        load_source,
        resolve_source,
        safe_name,
    )
    from zeroplay.eval.response_cache import ResponseCache
    from zeroplay.eval.results import results_document, write_results
    from zeroplay.eval.runner import GenerationSettings, evaluate, judge_records
    from zeroplay.eval.scoring import ScoringSettings

    if judge and judge_url:
        fail("use either --judge (a local model) or --judge-url (an endpoint), not both")
    if judge_url and not judge_model:
        fail("--judge-url needs --judge-model (the model name the endpoint serves)")
    if judge_model and not judge_url:
        fail("--judge-model goes with --judge-url; a local judge is named by --judge")
    try:
        source = resolve_source(model, step=step, policy=policy, label=label)
    except ModelSourceError as error:
        fail(str(error))
    benchmarks = _load_benchmarks(suite, limit)
    http_judge = (
        _make_http_judge(
            judge_url, judge_model, judge_max_tokens, judge_concurrency, judge_api_key_env
        )
        if judge_url and judge_model
        else None
    )
    out_dir = out or source.default_out()
    from zeroplay.models.loader import ModelNotFoundError, resolve_model_path

    if judge:
        try:
            resolve_model_path(judge)  # a mistyped judge fails now, not after generation
        except ModelNotFoundError as error:
            fail(f"judge: {error}")

    try:
        policy_model, processor = load_source(source, device=device, dtype=dtype)
    except (ModelNotFoundError, ValueError, FileNotFoundError, ImportError) as error:
        fail(f"cannot load {model!r}: {error}")
    from zeroplay.engines.hf import HFEngine

    try:
        answering_policy = generation_policy(policy_model, source)
    except ModelSourceError as error:
        fail(str(error))
    engine = HFEngine(policy_model, processor, seed=seed)
    settings = GenerationSettings(
        max_new_tokens=max_new_tokens,
        temperature=temperature,
        batch_size=batch_size,
        policy=answering_policy,
        seed=seed,
    )
    scoring = ScoringSettings(rel_tol=rel_tol)
    fingerprint = {
        "model": source.describe(),
        "decoding": settings.describe(),
        "device": device,
        "dtype": dtype,
    }
    evaluated = []
    for benchmark, _ in benchmarks:
        cache_path = out_dir / f"{safe_name(benchmark.name)}.responses.jsonl"
        if fresh:
            cache_path.unlink(missing_ok=True)
        cache = ResponseCache(cache_path, {**fingerprint, "benchmark": benchmark.source})
        with progress_bar(benchmark.name, len(benchmark)) as advance:
            try:
                records = evaluate(benchmark, engine, settings, scoring, cache, advance)
            except GraderUnavailableError as error:
                fail(
                    f"{error}; math answers need MathRuler (pip install 'zeroplay[math]'); "
                    "the responses are saved, so the same command resumes"
                )
        evaluated.append((benchmark, records, cache))
    judge_info = None
    if judge or http_judge:
        if judge:
            # Free the evaluated model before loading the judge, so both need not fit at once.
            del engine, policy_model, processor
            _release_memory()
            active_judge = _load_engine_judge(judge, judge_max_tokens, device, dtype)
        else:
            active_judge = http_judge
        judge_info = active_judge.describe()
        for benchmark, records, _ in evaluated:
            with progress_bar(f"judging {benchmark.name}", len(records)) as advance:
                judge_records(active_judge, benchmark, records, progress=advance)
    documents, paths = [], []
    for (benchmark, records, cache), (_, items_in_file) in zip(evaluated, benchmarks, strict=True):
        document = results_document(
            benchmark,
            records,
            model=source.describe(),
            decoding=settings.describe(),
            scoring=scoring,
            judge=judge_info,
            limit=limit,
            items_in_file=items_in_file,
        )
        path = out_dir / f"{safe_name(benchmark.name)}.json"
        write_results(path, document)
        cache.remove()
        documents.append(document)
        paths.append(path)
    _print_summaries(documents, paths)


def _release_memory() -> None:
    import torch

    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()


def _load_engine_judge(name: str, max_tokens: int, device: str, dtype: str):
    from zeroplay.eval.judge_engine import EngineJudge, load_judge_model
    from zeroplay.models.loader import ModelNotFoundError

    try:
        model, processor = load_judge_model(name, device=device, dtype=dtype)
    except (ModelNotFoundError, ValueError, OSError) as error:
        fail(f"cannot load judge {name!r}: {error}")
    return EngineJudge(name, model, processor, max_new_tokens=max_tokens)


@app.command("make-suite")
def make_suite(
    name: str = typer.Argument(..., help="clevr-qa, chart-qa or spot-the-difference."),
    out: Path = typer.Option(..., "--out", help="The suite file to write (.jsonl)."),
    n: int = typer.Option(200, "--n", min=1, help="Number of items."),
    seed: int = typer.Option(0, "--seed", help="Same seed, same suite."),
    width: int | None = typer.Option(None, "--width", min=8, help="Image width in pixels."),
    height: int | None = typer.Option(None, "--height", min=8, help="Image height in pixels."),
    spp: int | None = typer.Option(
        None, "--spp", min=1, help="CLEVR suites: Mitsuba samples per pixel (default 16)."
    ),
    variant: str | None = typer.Option(
        None, "--variant", help="CLEVR suites: Mitsuba variant (default: fastest available)."
    ),
    questions_per_image: int | None = typer.Option(
        None, "--questions-per-image", min=1, help="clevr-qa, chart-qa: questions per image (4)."
    ),
) -> None:
    """Generate a synthetic suite with exact answers as a JSONL benchmark file (deterministic)."""
    from zeroplay.eval.suites.common import SuiteOptions
    from zeroplay.eval.suites.registry import SUITES
    from zeroplay.eval.suites.registry import make_suite as build

    if name not in SUITES:
        listed = "; ".join(f"{s.name} ({s.description})" for s in SUITES.values())
        fail(f"unknown suite {name!r}; choose from: {listed}")
    if out.suffix != ".jsonl":
        fail(f"--out must be a .jsonl file, got {str(out)!r}")
    rendered = name in ("clevr-qa", "spot-the-difference")
    if not rendered and (spp is not None or variant is not None):
        fail(f"--spp and --variant apply to rendered CLEVR suites, not {name}")
    if name == "spot-the-difference" and questions_per_image is not None:
        fail("spot-the-difference asks one question per image pair; drop --questions-per-image")
    if name == "chart-qa" and ((width or 480) < 160 or (height or 360) < 120):
        fail("chart-qa needs at least 160x120 pixels")
    try:
        options = SuiteOptions(
            n=n,
            seed=seed,
            width=width,
            height=height,
            spp=spp or 16,
            variant=variant or "auto",
            questions_per_image=questions_per_image or 4,
        )
        with progress_bar(f"making {name}", n) as advance:
            count = build(name, options, out, advance)
    except (ValueError, RuntimeError) as error:
        fail(str(error))
    console.print(f"wrote {count} items to {out}", highlight=False)


@app.command("compare")
def compare(
    results: list[Path] = typer.Argument(
        ..., help="Results files, or folders searched for them (recursively)."
    ),
    baseline: str | None = typer.Option(
        None, "--baseline", help="Label of the baseline model (default: the first one)."
    ),
    judge: bool = typer.Option(False, "--judge", help="Compare judge accuracy, not the rules'."),
    plot: Path = typer.Option(Path("comparison.png"), "--plot", help="Bar chart PNG to write."),
    json_out: Path | None = typer.Option(None, "--json", help="Also write the numbers as JSON."),
) -> None:
    """Micro and macro accuracy, per-benchmark deltas against a baseline, and a bar chart."""
    from zeroplay.data.layout import write_json_atomic
    from zeroplay.eval.compare import CompareError, build_comparison
    from zeroplay.eval.compare_plot import plot_comparison
    from zeroplay.eval.results import ResultsError, read_results
    from zeroplay.eval.tables import comparison_table

    documents = []
    for path in results:
        if path.is_dir():
            found = 0
            for candidate in sorted(path.rglob("*.json")):
                try:
                    documents.append((str(candidate), read_results(candidate)))
                    found += 1
                except ResultsError:
                    continue  # other JSON files (specs, diffs) live in result folders too
            if not found:
                fail(f"no results files under {str(path)!r}")
            continue
        if not path.exists():
            fail(f"results file {str(path)!r} does not exist")
        try:
            documents.append((str(path), read_results(path)))
        except ResultsError as error:
            fail(str(error))
    try:
        comparison = build_comparison(documents, baseline, "judge" if judge else "rules")
    except CompareError as error:
        fail(str(error))
    console.print(comparison_table(comparison))
    for warning in comparison.warnings:
        console.print(f"[yellow]warning:[/] {warning}", highlight=False)
    plot_comparison(comparison, plot)
    console.print(f"wrote {plot}", highlight=False)
    if json_out is not None:
        json_out.parent.mkdir(parents=True, exist_ok=True)
        write_json_atomic(json_out, comparison.to_json())
        console.print(f"wrote {json_out}", highlight=False)


@app.command("spy-winrate")
def spy_winrate(
    model: str = typer.Option(
        ..., "--model", "-m", help="Model A: folder, Hub id, 'tiny', or a run directory."
    ),
    against: str = typer.Option(
        ..., "--against", "-b", help="Model B (e.g. the untrained base): same forms as --model."
    ),
    games: int = typer.Option(
        100, "--games", min=2, help="Games in all (even): half with A as the civilians."
    ),
    data: Path | None = typer.Option(
        None,
        "--data",
        help="Folder of image pairs (default: fresh chart pairs in a temporary folder).",
    ),
    domain: str | None = typer.Option(
        None, "--domain", help="Domain of image-only pairs: clevr, chart or photo."
    ),
    players: int = typer.Option(4, "--players", min=3, help="Players per game, spy included."),
    rounds: int = typer.Option(2, "--rounds", min=1, help="Clue rounds before the decision."),
    decision_mode: str = typer.Option(
        "observer",
        "--decision-mode",
        help="observer (one judge, played by the civilians' model) or civilians (each votes).",
    ),
    group_size: int = typer.Option(8, "--group-size", min=1, help="Votes sampled per voter."),
    max_new_tokens: int = typer.Option(512, "--max-new-tokens", min=1),
    temperature: float = typer.Option(0.8, "--temperature", min=0.0),
    min_pixels: int = typer.Option(3136, "--min-pixels", min=1),
    max_pixels: int = typer.Option(1003520, "--max-pixels", min=1),
    seed: int = typer.Option(0, "--seed", help="Picks pairs, spy seats and sampling seeds."),
    games_per_batch: int = typer.Option(16, "--games-per-batch", min=1),
    out: Path | None = typer.Option(
        None, "--out", help="Folder for winrate.json and games.jsonl (the played games)."
    ),
    device: str = typer.Option("auto", "--device", help="'auto', 'cpu', 'cuda', 'cuda:1', ..."),
    dtype: str = typer.Option("auto", "--dtype", help="'auto' (bf16 on GPU, fp32 on CPU), ..."),
) -> None:
    """Win rate of A against B in "Who is the spy?" (Vision-Zero Fig. 6), with 95% intervals."""
    quiet_libraries()
    import tempfile

    from rich.table import Table

    from zeroplay.data.pairs import load_pairs
    from zeroplay.eval.model_source import ModelSourceError, load_source, resolve_source
    from zeroplay.games.vision_zero import TurnSampling, VisionZeroGameConfig
    from zeroplay.models.loader import ModelNotFoundError
    from zeroplay.recipes.vision_zero.config import GenerateSection
    from zeroplay.recipes.vision_zero.data import GameStream, generate_pairs_into
    from zeroplay.recipes.vision_zero.winrate import (
        make_router,
        match_records,
        plan_matches,
        play_matches,
        summarize,
    )
    from zeroplay.rl.rundir import atomic_write_json, write_jsonl

    if games % 2:
        fail(f"--games must be even (half with A as the civilians), got {games}")
    if min_pixels > max_pixels:
        fail(f"--min-pixels ({min_pixels}) exceeds --max-pixels ({max_pixels})")
    if domain is not None and domain not in ("clevr", "chart", "photo"):
        fail(f"--domain must be clevr, chart or photo, got {domain!r}")
    try:
        sampling = TurnSampling(max_new_tokens=max_new_tokens, temperature=temperature)
        game_config = {
            d: VisionZeroGameConfig(
                n_players=players,
                n_rounds=rounds,
                decision_mode=decision_mode,  # type: ignore[arg-type]
                group_size=group_size,
                domain=d,  # type: ignore[arg-type]
                clue_sampling=sampling,
                decision_sampling=sampling,
            )
            for d in ("clevr", "chart", "photo")
        }
    except ValueError as error:
        fail(str(error))
    try:
        sources = {"A": resolve_source(model), "B": resolve_source(against)}
    except ModelSourceError as error:
        fail(str(error))

    with tempfile.TemporaryDirectory(prefix="spy-winrate-") as scratch:
        if data is None:
            folder = Path(scratch)
            with progress_bar("making chart pairs", 1) as advance:
                generate_pairs_into(
                    GenerateSection(kind="chart", pairs=min(games // 2, 50), width=320, height=240),
                    folder,
                    seed,
                )
                advance(1)
        else:
            folder = data
        try:
            pairs = load_pairs(folder, domain=domain)
        except (FileNotFoundError, ValueError) as error:
            fail(str(error))
        if not pairs:
            fail(f"no <id>_original/<id>_modified image pairs under {str(folder)!r}")
        unknown = [p.id for p in pairs if p.domain == "unknown"]
        if unknown:
            fail(f"{len(unknown)} pairs have no known domain (e.g. {unknown[0]!r}); pass --domain")
        stream = GameStream(pairs, seed, game_config.__getitem__, min_pixels, max_pixels)
        matches = plan_matches(stream, games)

        loaded: dict[str, tuple[Any, Any]] = {}
        for name, source in sources.items():
            same = [k for k, s in sources.items() if k in loaded and s == source]
            if same:
                loaded[name] = loaded[same[0]]
                continue
            try:
                loaded[name] = load_source(source, device=device, dtype=dtype)
            except (ModelNotFoundError, ValueError, FileNotFoundError, ImportError) as error:
                fail(f"cannot load {source.name!r}: {error}")
        router = make_router(loaded, seed=seed)
        with progress_bar("playing", len(matches)) as advance:
            results = play_matches(router, matches, games_per_batch, advance)
    report = summarize(matches, results)

    table = Table(title=f"A = {sources['A'].label}  vs  B = {sources['B'].label}")
    for column in ("A plays", "games", "A wins", "win rate", "95% CI (Wilson)"):
        table.add_column(column, justify="left" if column == "A plays" else "right")
    for label, tally in (
        ("civilians", report.as_civilians),
        ("spy", report.as_spy),
        ("both", report.overall),
    ):
        low, high = tally.interval
        table.add_row(
            label,
            str(tally.games),
            str(tally.wins),
            f"{tally.rate:.3f}",
            f"[{low:.3f}, {high:.3f}]",
        )
    console.print(table)
    if out is not None:
        document = {
            "evaluation": "spy-winrate",
            "model_a": sources["A"].describe(),
            "model_b": sources["B"].describe(),
            "decision": "the civilian side's model decides (observer or civilian votes)",
            "settings": {
                "games": games,
                "players": players,
                "rounds": rounds,
                "decision_mode": decision_mode,
                "group_size": group_size,
                "max_new_tokens": max_new_tokens,
                "temperature": temperature,
                "min_pixels": min_pixels,
                "max_pixels": max_pixels,
                "seed": seed,
                "data": str(data) if data is not None else None,
            },
            **report.to_json(),
        }
        atomic_write_json(out / "winrate.json", document)
        write_jsonl(out / "games.jsonl", match_records(matches, results))
        console.print(f"wrote {out / 'winrate.json'} and {out / 'games.jsonl'}", highlight=False)
