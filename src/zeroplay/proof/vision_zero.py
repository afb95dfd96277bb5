"""The Vision-Zero learning proof: self-play from the warm-started `toy`, judged on held-out pairs.

1. train: the `proof` preset from `toy` (pairs from the training seed space; the recipe reads
   only images, never a pair's JSON);
2. control: the same run with every batch's rewards permuted among its samples;
3. evaluate the warm start, the trained model and the control on items generated from the
   evaluation seed space (greedy decoding):
   - decision accuracy (primary): on held-out pairs the warm start plays every seat and each
     model judges the same clues; the decision is right when it names the spy (the game knows
     which seat it gave the modified picture; no label is read);
   - spy-game win rate against the warm start: mirrored matches (the model plays the civilians
     in one game and the spy in its mirror, same pair, seat and seeds), Wilson interval;
   - `toy-qa`: held-out questions about toy scenes with exact answers (ground truth from the
     scene generator).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from zeroplay.data.clevr.pairs import ClevrPairMaker
from zeroplay.data.clevr.toy import toy_pair_config
from zeroplay.data.pairs import load_pairs
from zeroplay.data.runner import generate_pairs
from zeroplay.data.seed_spaces import eval_seed
from zeroplay.games.protocol import Context
from zeroplay.games.vision_zero import VisionZeroGameConfig, play_game
from zeroplay.games.vision_zero.config import TurnSampling
from zeroplay.proof.evaluation import (
    Say,
    heldout_qa_suite,
    hf_engine,
    paired_metric,
    preset_config,
    proof_models,
    proof_result,
    qa_outcomes,
    train_both,
)
from zeroplay.proof.result import ProofMetric, ProofResult
from zeroplay.proof.stats import paired_bootstrap, wilson
from zeroplay.recipes.vision_zero import Config, train
from zeroplay.recipes.vision_zero.data import GameStream, generate_pairs_into
from zeroplay.recipes.vision_zero.winrate import MODEL_A, MODEL_B, ModelRouter, a_won, plan_matches
from zeroplay.rl.rollout import run_episodes

RECIPE = "vision-zero"
PRESET = "proof"


@dataclass(frozen=True)
class Budget:
    """How much the proof trains and evaluates. `steps` None keeps the preset's."""

    steps: int | None = None
    train_pairs: int | None = None  # None keeps the preset's data.generate.pairs
    heldout_pairs: int = 200
    decision_games: int = 200
    winrate_games: int = 200
    qa_items: int = 300
    games_per_batch: int = 32

    def quick(self) -> Budget:
        """A minutes-long run of the same pipeline (tests, smoke checks): not a proof."""
        return replace(
            self,
            steps=2,
            train_pairs=4,
            heldout_pairs=4,
            decision_games=4,
            winrate_games=4,
            qa_items=4,
        )


def proof_config(seed: int, steps: int | None, control: bool, extra: list[str]) -> Config:
    """The proof preset for `seed`, optionally as the control run."""
    sized = [] if steps is None else [f"schedule.steps={steps}"]
    return preset_config(Config, RECIPE, PRESET, seed, control, [*extra, *sized])


def greedy(cfg: VisionZeroGameConfig) -> VisionZeroGameConfig:
    """The evaluation game: greedy clues and one greedy vote."""

    def argmax(turn: TurnSampling) -> TurnSampling:
        return replace(turn, temperature=0.0, top_p=1.0, top_k=0, repetition_penalty=1.0)

    return replace(
        cfg,
        group_size=1,
        clue_sampling=argmax(cfg.clue_sampling),
        decision_sampling=argmax(cfg.decision_sampling),
    )


def heldout_stream(
    folder: Path, seed: int, n_pairs: int, game: VisionZeroGameConfig, config: Config
) -> GameStream:
    """Held-out pairs (evaluation seed space) and the game stream over them."""
    pairs_seed = eval_seed(seed, 0)
    generate_pairs(ClevrPairMaker(toy_pair_config(pairs_seed)), folder, n_pairs)
    pairs = load_pairs(folder)
    return GameStream(
        pairs, pairs_seed, lambda _domain: game, config.data.min_pixels, config.data.max_pixels
    )


def decision_outcomes(
    judge: tuple[Any, Any],
    players: tuple[Any, Any],
    stream: GameStream,
    n_games: int,
    per_batch: int,
    seed: int,
) -> list[float]:
    """1.0 for each held-out game whose decision names the spy, else 0.0.

    Every seat is played by `players` (the warm start) and the decision by `judge`, so each
    evaluated model judges the very same clues (greedy, seeded): a paired test of the skill the
    decision stage trains, unaffected by how sneaky the model's own spy has become.
    """
    router = ModelRouter(
        {MODEL_A: hf_engine(*judge, seed=seed), MODEL_B: hf_engine(*players, seed=seed)}
    )
    outcomes: list[float] = []
    for start in range(0, n_games, per_batch):
        games = [
            stream.game(k, civilian_policy=MODEL_B, spy_policy=MODEL_B, judge_policy=MODEL_A)
            for k in range(start, min(n_games, start + per_batch))
        ]
        episodes = [play_game(Context(), g.setup, g.config) for g in games]
        outcomes.extend(float(r.spy_identified) for r in run_episodes(router, episodes))
    return outcomes


def win_outcomes(
    model_a: tuple[Any, Any],
    model_b: tuple[Any, Any],
    stream: GameStream,
    n_games: int,
    per_batch: int,
    seed: int,
) -> list[float]:
    """1.0 for each mirrored match A wins against B (A civilians in one, spy in the other)."""
    router = ModelRouter(
        {MODEL_A: hf_engine(*model_a, seed=seed), MODEL_B: hf_engine(*model_b, seed=seed)}
    )
    matches = plan_matches(stream, n_games)
    wins: list[float] = []
    for start in range(0, len(matches), per_batch):
        chunk = matches[start : start + per_batch]
        episodes = [play_game(Context(), m.game.setup, m.game.config) for m in chunk]
        for match, result in zip(chunk, run_episodes(router, episodes), strict=True):
            wins.append(float(a_won(match.side, result)))
    return wins


# The bar for Vision-Zero: at least 60% of mirrored games won against the warm start,
# with the Wilson interval's lower end above 50% (and above the control, as for every metric).
MIN_WIN_RATE = 0.60


def winrate_metric(trained_wins: list[float], control_wins: list[float], seed: int) -> ProofMetric:
    """Win rate against the warm start (required to pass); the warm start against itself is 0.5
    by symmetry."""
    n = len(trained_wins)
    rate = sum(trained_wins) / n
    lo, hi = wilson(int(sum(trained_wins)), n)
    vs, vlo, vhi = paired_bootstrap(control_wins, trained_wins, seed=seed + 2)
    return ProofMetric(
        name="win rate vs warm start",
        primary=False,
        base=0.5,
        trained=rate,
        control=sum(control_wins) / n,
        delta=rate - 0.5,
        ci95=(lo - 0.5, hi - 0.5),
        n=n,
        interval="wilson vs 0.5",
        delta_vs_control=vs,
        ci95_vs_control=(vlo, vhi),
        ci95_trained=(lo, hi),
        required=True,
        min_rate=MIN_WIN_RATE,
    )


def prove(
    seed: int,
    out: Path,
    budget: Budget = Budget(),
    extra: list[str] | None = None,
    say: Say = print,
) -> ProofResult:
    """Run the whole proof into `out` (resumable: finished training runs are reused)."""
    started = time.perf_counter()
    extra = list(extra or [])
    # Both runs play the same training pairs: made once (training seed space) and read by path.
    preset = proof_config(seed, budget.steps, False, extra)
    section = preset.data.generate
    assert section is not None, "the proof preset generates its pairs"
    if budget.train_pairs is not None:
        section = section.model_copy(update={"pairs": budget.train_pairs})
    pairs_dir = out / "train-pairs"
    say(f"{RECIPE}: making {section.pairs} training pairs (training seeds) ...")
    generate_pairs_into(section, pairs_dir, seed)
    extra = [*extra, f"data.path={pairs_dir}", "data.generate=null"]
    runs = train_both(
        lambda control: proof_config(seed, budget.steps, control, extra),
        train,
        out,
        lambda line: say(f"{RECIPE}: {line}"),
        lambda c: f"{c.schedule.steps} steps",
    )
    config = runs["trained"][0]
    game = greedy(config.game.build("clevr"))

    say(f"{RECIPE}: generating held-out pairs and questions (evaluation seeds) ...")
    stream = heldout_stream(out / "heldout" / "pairs", seed, budget.heldout_pairs, game, config)
    suite = heldout_qa_suite(out, seed, budget.qa_items)

    say(f"{RECIPE}: evaluating the warm start, the trained model and the control ...")
    models = proof_models(out)
    decisions = {
        label: decision_outcomes(
            model, models["base"], stream, budget.decision_games, budget.games_per_batch, seed
        )
        for label, model in models.items()
    }
    qa = {label: qa_outcomes(model, suite, seed) for label, model in models.items()}
    wins = {
        label: win_outcomes(
            models[label],
            models["base"],
            stream,
            budget.winrate_games,
            budget.games_per_batch,
            seed,
        )
        for label in ("trained", "control")
    }
    metrics = [
        paired_metric(
            "decision accuracy (held-out pairs, warm-start clues)",
            True,
            decisions,
            seed,
        ),
        winrate_metric(wins["trained"], wins["control"], seed),
        paired_metric("toy-qa accuracy", False, qa, seed),
    ]
    return proof_result(
        RECIPE,
        seed,
        out,
        started,
        metrics,
        runs,
        steps=config.schedule.steps,
        games_per_step=config.schedule.games_per_step,
        eval_seeds={"pairs": eval_seed(seed, 0), "toy_qa": eval_seed(seed, 1)},
    )
