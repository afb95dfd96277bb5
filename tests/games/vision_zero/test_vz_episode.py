"""Whole games played by scripted players: turn order, visibility, tallies, rewards, records."""

from __future__ import annotations

import json
import random

import pytest
from PIL import Image

from zeroplay.engines.request import ChatRequest
from zeroplay.games.protocol import Context, run_scripted
from zeroplay.games.vision_zero import (
    NO_VALID_CLUE,
    GameResult,
    GameSetup,
    VisionZeroGameConfig,
    draw_setup,
    play_game,
)

ORIGINAL = Image.new("RGB", (6, 4), (255, 0, 0))
MODIFIED = Image.new("RGB", (6, 4), (0, 0, 255))


def setup(spy_seat: int, n_players: int = 4, seed: int | None = 7) -> GameSetup:
    return GameSetup(
        game_id="g1",
        original=ORIGINAL,
        modified=MODIFIED,
        spy_seat=spy_seat,
        seat_policies=("default",) * n_players,
        seed=seed,
    )


def prompt_text(request: ChatRequest) -> str:
    return request.messages[0]["content"][-1]["text"]


class Scripted:
    """Clue turns write a secret reasoning and a clue; votes follow a per-sample script."""

    def __init__(self, votes: list[str], bad_clue_seat: int | None = None) -> None:
        self.votes = votes
        self.bad_clue_seat = bad_clue_seat
        self.requests: list[ChatRequest] = []

    def __call__(self, request: ChatRequest, i: int) -> str:
        if i == 0:
            self.requests.append(request)
        seat, round_ = request.meta["seat"], request.meta["round"]
        if request.meta["stage"] == "clue":
            if seat == self.bad_clue_seat:
                return f"secret-{seat}-{round_} and no box"
            return f"secret-{seat}-{round_} \\boxed{{clue-{seat}-{round_}}}"
        return f"Looking at every clue carefully. \\boxed{{{self.votes[i]}}}"


def play(game: GameSetup, cfg: VisionZeroGameConfig, player: Scripted) -> GameResult:
    return run_scripted(play_game(Context(), game, cfg), player)


def test_observer_game_reproduces_the_worked_example() -> None:
    player = Scripted(votes=["2", "2", "2", "2", "2", "2", "1", "N/A"])
    result = play(setup(spy_seat=2), VisionZeroGameConfig(), player)

    # 2 rounds x 4 seats in seat order, then one observer prompt sampled G = 8 times.
    clue_requests, decision_requests = player.requests[:8], player.requests[8:]
    assert [(r.meta["round"], r.meta["seat"]) for r in clue_requests] == [
        (r, s) for r in (1, 2) for s in (1, 2, 3, 4)
    ]
    assert all(r.sampling.n == 1 for r in clue_requests)
    assert [r.images[0] is MODIFIED for r in clue_requests] == [s == 2 for s in (1, 2, 3, 4)] * 2
    assert [r.meta["role"] for r in clue_requests[:4]] == [
        "civilian",
        "spy",
        "civilian",
        "civilian",
    ]
    (observer,) = decision_requests
    assert observer.sampling.n == 8 and observer.images == [ORIGINAL]
    assert observer.meta == {
        "game_id": "g1",
        "seat": 0,
        "round": None,
        "stage": "decision",
        "role": "observer",
    }

    assert result.tally == (1.0, 6.0, 0.0, 0.0)
    assert result.spy_identified
    assert result.psi == pytest.approx(17 / 3)
    assert result.clue_rewards == pytest.approx((0.12222, -0.56667, 0.22222, 0.22222), abs=1e-5)
    assert (result.n_votes, result.n_abstained, result.n_invalid) == (8, 1, 0)
    assert result.votes_by_voter == {0: [2, 2, 2, 2, 2, 2, 1, "abstain"]}

    turns = result.turns
    clue_turns, decision_turns = turns[:8], turns[8:]
    assert [t.reward for t in clue_turns] == pytest.approx(list(result.clue_rewards) * 2)
    assert {(t.stage, t.group) for t in clue_turns} == {("clue", "g1/clue")}
    assert [t.role for t in clue_turns[:4]] == ["civilian", "spy", "civilian", "civilian"]
    assert {(t.stage, t.role, t.group) for t in decision_turns} == {
        ("decision", "observer", "g1/decision")
    }
    assert [t.reward for t in decision_turns] == [1.0] * 6 + [-1.0, -0.5]


def test_players_see_all_clues_but_only_their_own_reasoning() -> None:
    player = Scripted(votes=["1"] * 8, bad_clue_seat=2)
    play(setup(spy_seat=4), VisionZeroGameConfig(), player)
    first = prompt_text(player.requests[0])
    assert "You are the first to speak" in first
    seat3_round2 = prompt_text(player.requests[6])
    assert "PLAYER 3" in seat3_round2 and "ROUND 2 of 2" in seat3_round2
    assert "Your private reasoning: secret-3-1" in seat3_round2
    assert "secret-1-" not in seat3_round2 and "secret-2-" not in seat3_round2
    assert "Player 1: clue-1-1" in seat3_round2 and "Player 4: clue-4-1" in seat3_round2
    assert "Player 1: clue-1-2" in seat3_round2 and "clue-4-2" not in seat3_round2
    assert f"Player 2: {NO_VALID_CLUE}" in seat3_round2

    observer = prompt_text(player.requests[-1])
    assert "secret-" not in observer and "spy" in observer
    assert observer.endswith(
        "All clues:\nRound 1:\nPlayer 1: clue-1-1\nPlayer 2: No valid clue provided.\n"
        "Player 3: clue-3-1\nPlayer 4: clue-4-1\n\nRound 2:\nPlayer 1: clue-1-2\n"
        "Player 2: No valid clue provided.\nPlayer 3: clue-3-2\nPlayer 4: clue-4-2"
    )


def test_civilians_mode_votes_g_times_per_civilian() -> None:
    cfg = VisionZeroGameConfig(n_players=5, decision_mode="civilians", group_size=4)
    # Each civilian samples: spy (5), spy, N/A, and an unparseable answer.
    player = Scripted(votes=["5", "Player 5", "n/a", "the spy"])
    result = play(setup(spy_seat=5, n_players=5), cfg, player)

    decision_requests = player.requests[10:]
    assert [r.meta["seat"] for r in decision_requests] == [1, 2, 3, 4]
    assert all(r.sampling.n == 4 and r.images == [ORIGINAL] for r in decision_requests)
    assert "You are PLAYER 3, a CIVILIAN" in prompt_text(decision_requests[2])
    # 4 civilians x 2 spy votes x weight 1/4 = 2 votes for the spy.
    assert result.tally == (0.0, 0.0, 0.0, 0.0, 2.0)
    assert result.spy_identified
    assert result.psi == 2.0
    # r_spy = -0.1 * 2; r_civ = 0.1 / 4 * 2 - 0.1 * 0.
    assert result.clue_rewards == pytest.approx((0.05, 0.05, 0.05, 0.05, -0.2))
    assert (result.n_votes, result.n_abstained, result.n_invalid) == (16, 4, 4)
    decision_turns = result.turns[10:]
    assert [t.group for t in decision_turns[::4]] == [f"g1/decision/p{s}" for s in (1, 2, 3, 4)]
    assert {t.role for t in decision_turns} == {"civilian"}
    assert [t.reward for t in decision_turns[:4]] == [1.0, 1.0, -0.5, -1.0]


def test_blank_spy_gets_a_blank_image_and_blank_prompts() -> None:
    player = Scripted(votes=["1"] * 8)
    play(setup(spy_seat=1), VisionZeroGameConfig(blank_spy=True, domain="chart"), player)
    spy_request = player.requests[0]
    (image,) = spy_request.images
    assert image is not MODIFIED and image.size == ORIGINAL.size
    assert image.getcolors() == [(24, (255, 255, 255))]
    spy_text = prompt_text(spy_request)
    assert "blank picture" in spy_text and "You speak first" in spy_text
    assert "a chart" in spy_text
    assert player.requests[1].images == [ORIGINAL]
    assert "blank picture" in prompt_text(player.requests[-1])


def test_code_preset_decision_reward() -> None:
    player = Scripted(votes=["3", "1", "N/A", "nobody", "3", "3", "3", "3"])
    result = play(setup(spy_seat=3), VisionZeroGameConfig(decision_reward="code"), player)
    assert [v.reward for v in result.votes[:4]] == pytest.approx([2.49, -0.9, -0.3, -0.9])


def test_policy_vs_policy_setup_routes_requests() -> None:
    cfg = VisionZeroGameConfig()
    game = draw_setup(
        (ORIGINAL, MODIFIED),
        random.Random(3),
        cfg,
        "eval-0",
        civilian_policy="A",
        spy_policy="B",
        judge_policy="A",
    )
    player = Scripted(votes=["1"] * 8)
    result = play(game, cfg, player)
    assert [r.policy for r in player.requests[:4]] == [
        "B" if s == game.spy_seat else "A" for s in (1, 2, 3, 4)
    ]
    assert player.requests[-1].policy == "A"
    assert [t.policy for t in result.turns[:4]] == [r.policy for r in player.requests[:4]]


def test_draw_setup_is_reproducible_and_uniform() -> None:
    cfg = VisionZeroGameConfig()
    a = draw_setup((ORIGINAL, MODIFIED), random.Random(11), cfg, "g")
    b = draw_setup((ORIGINAL, MODIFIED), random.Random(11), cfg, "g")
    assert (a.spy_seat, a.seed) == (b.spy_seat, b.seed)
    rng = random.Random(0)
    seats = [draw_setup((ORIGINAL, MODIFIED), rng, cfg, "g").spy_seat for _ in range(400)]
    assert set(seats) == {1, 2, 3, 4}
    assert all(60 < seats.count(s) < 140 for s in (1, 2, 3, 4))


def test_every_request_gets_its_own_seed() -> None:
    player = Scripted(votes=["1"] * 8)
    play(setup(spy_seat=1, seed=100), VisionZeroGameConfig(), player)
    assert [r.sampling.seed for r in player.requests] == list(range(100, 109))
    unseeded = Scripted(votes=["1"] * 8)
    play(setup(spy_seat=1, seed=None), VisionZeroGameConfig(), unseeded)
    assert {r.sampling.seed for r in unseeded.requests} == {None}


def test_sampling_settings_reach_the_requests() -> None:
    from zeroplay.games.vision_zero import TurnSampling

    cfg = VisionZeroGameConfig(
        clue_sampling=TurnSampling(max_new_tokens=1024, min_new_tokens=20, temperature=0.8),
        decision_sampling=TurnSampling(max_new_tokens=1024, top_p=0.9, top_k=50),
    )
    player = Scripted(votes=["1"] * 8)
    play(setup(spy_seat=1), cfg, player)
    clue, decision = player.requests[0].sampling, player.requests[-1].sampling
    assert (clue.max_new_tokens, clue.min_new_tokens, clue.temperature) == (1024, 20, 0.8)
    assert (decision.top_p, decision.top_k, decision.n) == (0.9, 50, 8)


@pytest.mark.parametrize(
    ("game", "message"),
    [
        (setup(spy_seat=5), "spy_seat 5"),
        (setup(spy_seat=1, n_players=3), "seat_policies names 3 seats"),
    ],
)
def test_setup_that_does_not_fit_the_config_is_rejected(game: GameSetup, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        play(game, VisionZeroGameConfig(), Scripted(votes=["1"] * 8))


def test_record_is_json_and_complete() -> None:
    player = Scripted(votes=["2", "2", "2", "2", "2", "2", "1", "N/A"], bad_clue_seat=3)
    record = play(setup(spy_seat=2), VisionZeroGameConfig(), player).to_record()
    assert json.loads(json.dumps(record)) == record
    assert record["spy_seat"] == 2 and record["tally"] == [1.0, 6.0, 0.0, 0.0]
    seat3 = record["clue_turns"][2]
    assert seat3["clue"] is None and seat3["clue_invalid_reason"] == "no \\boxed{...}"
    assert seat3["reasoning"] == "secret-3-1 and no box"
    assert [v["vote"] for v in record["votes"]] == [2] * 6 + [1, "abstain"]
    assert record["votes"][7]["outcome"] == "abstain" and record["votes"][7]["reward"] == -0.5
