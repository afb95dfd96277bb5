"""The Vision-Zero recipe's parts: image sizing, the game stream, finding pairs, advantages,
cross-rank sums. No model is loaded."""

from __future__ import annotations

import math
from dataclasses import dataclass

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from zeroplay.data.pairs import load_pairs
from zeroplay.games.vision_zero import DecisionStats, VisionZeroGameConfig
from zeroplay.recipes.config_io import ConfigError
from zeroplay.recipes.vision_zero.advantages import (
    assign_advantages,
    baseline_metrics,
    new_baselines,
)
from zeroplay.recipes.vision_zero.config import AdvantageSection, DataSection
from zeroplay.recipes.vision_zero.data import (
    GameStream,
    check_domains,
    find_pairs,
    fit_pixels,
    game_indices,
    resize_pair,
)
from zeroplay.recipes.vision_zero.ranks import (
    combine_over_ranks,
    sum_decision_stats,
    sum_over_ranks,
)
from zeroplay.rl.advantages import AdvantageSpec
from zeroplay.rl.samples import Sample

# -- image sizing ------------------------------------------------------------------------------


def test_fit_pixels_hand_computed():
    assert fit_pixels(640, 480, 100, 76800) == (320, 240)  # s = sqrt(76800 / 307200) = 1/2
    assert fit_pixels(10, 10, 400, 10_000) == (20, 20)  # s = sqrt(400 / 100) = 2
    # s = sqrt(1000 / 5000) = 0.4472: 44.72 -> 44, 22.36 -> 22 (floored, area 968 <= 1000)
    assert fit_pixels(100, 50, 1, 1000) == (44, 22)
    # s = sqrt(700 / 300) = 1.5275: 30.55 -> 31, 22.91 -> 23 (ceiled, area 713 >= 700)
    assert fit_pixels(20, 15, 700, 10_000) == (31, 23)
    assert fit_pixels(320, 240, 3136, 1003520) == (320, 240)  # inside the window: unchanged


@given(st.integers(1, 4000), st.integers(1, 4000), st.integers(1, 10**6), st.integers(1, 10**6))
def test_fit_pixels_lands_in_the_window(width, height, a, b):
    low, high = min(a, b), max(a, b)
    w, h = fit_pixels(width, height, low, high)
    if width * height > high and min(w, h) > 1:
        assert w * h <= high
    elif width * height < low:
        assert w * h >= low
    elif low <= width * height <= high:
        assert (w, h) == (width, height)


def test_resize_pair_keeps_both_images_aligned():
    original = Image.new("RGB", (640, 480), "red")
    modified = Image.new("RGB", (600, 500), "blue")  # another size is resized to the same
    a, b = resize_pair(original, modified, 100, 76800)
    assert a.size == b.size == (320, 240)


# -- data folders ------------------------------------------------------------------------------


def _public_pairs(folder, n: int, broken: tuple[int, ...] = ()) -> None:
    """Image-only pairs in the public Vision-Zero layout."""
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        Image.new("RGB", (40, 30), (10 * i, 0, 0)).save(folder / f"s{i}_original.png")
        if i in broken:
            (folder / f"s{i}_modified.png").write_bytes(b"not a png")
        else:
            Image.new("RGB", (40, 30), (0, 10 * i, 0)).save(folder / f"s{i}_modified.png")


def test_find_pairs_reads_public_layout_with_a_domain(tmp_path):
    _public_pairs(tmp_path / "pairs", 3)
    data = DataSection(path=str(tmp_path / "pairs"), domain="clevr")
    pairs, folder = find_pairs(data, tmp_path / "run", seed=0)
    assert folder == tmp_path / "pairs" and [p.domain for p in pairs] == ["clevr"] * 3
    check_domains(pairs, "auto", folder)
    unknown, _ = find_pairs(DataSection(path=str(tmp_path / "pairs")), tmp_path / "run", 0)
    with pytest.raises(ConfigError, match=r"set data\.domain"):
        check_domains(unknown, "auto", folder)
    check_domains(unknown, "photo", folder)  # a fixed game domain needs no pair domains


def test_find_pairs_without_data_or_generation_explains(tmp_path):
    (tmp_path / "empty").mkdir()
    for path in (None, str(tmp_path / "empty"), str(tmp_path / "missing")):
        with pytest.raises(ConfigError, match="zeroplay data clevr"):
            find_pairs(DataSection(path=path), tmp_path / "run", seed=0)


def test_find_pairs_generates_charts_into_the_run(tmp_path):
    data = DataSection.model_validate({"generate": {"kind": "chart", "pairs": 2}})
    pairs, folder = find_pairs(data, tmp_path / "run", seed=0)
    assert folder == tmp_path / "run" / "data" / "pairs"
    assert [p.domain for p in pairs] == ["chart", "chart"]


def test_a_named_data_folder_is_used_or_refused_never_replaced_by_generated_pairs(tmp_path):
    generate = {"kind": "chart", "pairs": 2}
    missing = DataSection.model_validate({"path": str(tmp_path / "missing"), "generate": generate})
    with pytest.raises(ConfigError, match="does not exist"):
        find_pairs(missing, tmp_path / "run", seed=0)
    _public_pairs(tmp_path / "broken", 2, broken=(0, 1))
    unreadable = DataSection.model_validate({"path": str(tmp_path / "broken"), "domain": "clevr"})
    with pytest.raises(ConfigError, match=r"none of the 2 pairs .* can be read"):
        find_pairs(unreadable, tmp_path / "run", seed=0)
    assert not (tmp_path / "run").exists() and not (tmp_path / "missing").exists()


# -- the game stream ---------------------------------------------------------------------------


def _stream(tmp_path, n: int = 5, seed: int = 0, broken: tuple[int, ...] = ()) -> GameStream:
    _public_pairs(tmp_path / "pairs", n, broken)
    pairs = load_pairs(tmp_path / "pairs", domain="clevr")
    configs = {"clevr": VisionZeroGameConfig(n_players=4, domain="clevr")}
    return GameStream(pairs, seed, configs.__getitem__, 100, 600)


def test_game_indices_give_ranks_disjoint_slices():
    assert list(game_indices(0, 0, 2, 3)) == [0, 1, 2]
    assert list(game_indices(0, 1, 2, 3)) == [3, 4, 5]
    assert list(game_indices(1, 0, 2, 3)) == [6, 7, 8]
    seen = [k for step in range(4) for rank in range(3) for k in game_indices(step, rank, 3, 2)]
    assert sorted(seen) == list(range(24))


def test_stream_resamples_each_epoch_and_is_reproducible(tmp_path):
    stream = _stream(tmp_path)
    epoch0 = [stream.game(k).pair_id for k in range(5)]
    epoch1 = [stream.game(k).pair_id for k in range(5, 10)]
    assert sorted(epoch0) == sorted(epoch1) == [f"s{i}" for i in range(5)]  # each pair once
    assert epoch0 != epoch1  # a new order each epoch
    again = GameStream(stream.pairs, 0, stream.config_for, 100, 600)
    for k in (0, 3, 7):
        a, b = stream.game(k), again.game(k)
        assert (a.pair_id, a.setup.spy_seat, a.setup.seed) == (
            b.pair_id,
            b.setup.spy_seat,
            b.setup.seed,
        )
    other = GameStream(stream.pairs, 1, stream.config_for, 100, 600)
    assert [other.game(k).setup.seed for k in range(5)] != [
        stream.game(k).setup.seed for k in range(5)
    ]
    game = stream.game(2)
    # 40x30 = 1200 pixels > 600: s = sqrt(1/2), 28.28 -> 28, 21.21 -> 21.
    assert game.epoch == 0 and game.setup.original.size == game.setup.modified.size == (28, 21)


def test_stream_skips_unreadable_pairs(tmp_path):
    stream = _stream(tmp_path, n=3, broken=(1,))
    ids = {stream.game(k).pair_id for k in range(9)}
    assert ids == {"s0", "s2"}


def test_same_game_with_other_policies_keeps_seat_and_seed(tmp_path):
    stream = _stream(tmp_path)
    a = stream.game(4, civilian_policy="A", spy_policy="B", judge_policy="A")
    b = stream.game(4, civilian_policy="B", spy_policy="A", judge_policy="B")
    assert a.setup.spy_seat == b.setup.spy_seat and a.setup.seed == b.setup.seed
    assert a.setup.policy_of(a.setup.spy_seat) == "B" and b.setup.policy_of(b.setup.spy_seat) == "A"


# -- advantages --------------------------------------------------------------------------------


def _sample(reward: float, stage: str, role: str, game: str, group: str = "") -> Sample:
    return Sample(
        prompt=None,  # type: ignore[arg-type]  # estimators read only rewards and labels
        completion_ids=torch.zeros(1, dtype=torch.long),
        old_logprobs=torch.zeros(1),
        temperature=1.0,
        reward=reward,
        group=group or f"{game}/{stage}",
        role=role,
        stage=stage,
        policy="default",
        episode=game,
    )


def _two_games() -> list[Sample]:
    samples = []
    # Game A: spy -0.3, civilians 0.1 each (two turns each). Game B: spy 0.2, civilians 0, .3, -.3
    for game, spy, civs in (("A", -0.3, (0.1, 0.1, 0.1)), ("B", 0.2, (0.0, 0.3, -0.3))):
        for _ in range(2):
            samples.append(_sample(spy, "clue", "spy", game))
            samples += [_sample(r, "clue", "civilian", game) for r in civs]
    samples += [_sample(r, "decision", "observer", "A") for r in (1.0, -1.0, -0.5, 1.0)]
    return samples


SPECS = {
    "clue": AdvantageSpec(kind="role_ema", alpha=0.5, rae_update="per_game"),
    "decision": AdvantageSpec(kind="zscore", std="population", eps=1e-8),
}


def test_advantages_hand_computed():
    samples = _two_games()
    baselines = new_baselines(SPECS)
    assign_advantages(samples, SPECS, baselines)
    clue = [s.advantage for s in samples if s.stage == "clue"]
    # Game A: b_spy = 0.5 * -0.3 = -0.15, b_civ = 0.5 * 0.1 = 0.05 (updated, then subtracted).
    assert clue[:4] == pytest.approx([-0.15, 0.05, 0.05, 0.05])
    # Game B: b_spy = 0.5 * -0.15 + 0.5 * 0.2 = 0.025, b_civ = 0.5 * 0.05 + 0.5 * 0 = 0.025.
    assert clue[8:12] == pytest.approx([0.175, -0.025, 0.275, -0.325])
    assert baseline_metrics(baselines) == pytest.approx(
        {"rae/clue/civilian": 0.025, "rae/clue/spy": 0.025}
    )
    # Decision group (1, -1, -0.5, 1): mean 0.125, population std sqrt(3.1875 / 4).
    std = math.sqrt(3.1875 / 4)
    decision = [s.advantage for s in samples if s.stage == "decision"]
    assert decision == pytest.approx([0.875 / std, -1.125 / std, -0.625 / std, 0.875 / std])


def test_a_second_rank_with_the_same_games_doubles_the_updates():
    # Rank 0 of two, both ranks holding the same two games: four per-game updates in order
    # (rank 0's games, then rank 1's), exactly what one rank playing the four games makes.
    one, two = new_baselines(SPECS), new_baselines(SPECS)
    a, b = _two_games() + _renamed(_two_games(), "r1-"), _two_games()
    assign_advantages(a, SPECS, one)
    assign_advantages(b, SPECS, two, gather=lambda values: ([values, values], 0))
    assert [s.advantage for s in a[: len(b)]] == pytest.approx([s.advantage for s in b])
    assert one["clue"].baselines == pytest.approx(two["clue"].baselines)
    assert one["clue"].state_dict()["updates"] == two["clue"].state_dict()["updates"]
    assert two["clue"].state_dict()["updates"] == {"civilian": 4, "spy": 4}


def _renamed(samples, prefix):
    for s in samples:
        s.episode = prefix + s.episode
        s.group = prefix + s.group
    return samples


def test_raw_clue_advantages_keep_no_baseline():
    specs = {**SPECS, "clue": AdvantageSection(kind="raw").build()}
    samples = _two_games()
    baselines = new_baselines(specs)
    assign_advantages(samples, specs, baselines)
    assert baselines == {}
    assert [s.advantage for s in samples if s.stage == "clue"][:2] == [-0.3, 0.1]


# -- cross-rank sums ---------------------------------------------------------------------------


@dataclass
class _OneProcess:
    num_processes: int = 1
    device: str = "cpu"


@dataclass
class _TwoEqualRanks:
    """Stands in for two ranks that hold the same values: an all-reduce SUM doubles them."""

    num_processes: int = 2
    device: str = "cpu"

    def reduce(self, tensor: torch.Tensor, reduction: str) -> torch.Tensor:
        assert reduction == "sum"
        return tensor * 2


def test_rank_sums():
    stats = DecisionStats(games=3, identified=2, votes=24, abstained=5, invalid=1)
    assert sum_decision_stats(_OneProcess(), stats) == stats
    assert sum_decision_stats(_TwoEqualRanks(), stats) == stats + stats
    assert sum_over_ranks(_TwoEqualRanks(), [0.5, -1.0]) == [1.0, -2.0]
    combined = combine_over_ranks(_OneProcess(), {"games": 2.0, "x": 0.5}, lambda k: k == "games")
    assert combined == {"games": 2.0, "x": 0.5}
