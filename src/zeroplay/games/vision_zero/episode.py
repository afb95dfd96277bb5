"""One Vision-Zero game as an episode coroutine: R clue rounds in seat order, then the decision.

Clue turns are sequential (each player sees the clues before it); the decision prompts are
independent and go out together. Rewards are filled in here; advantages are the RL core's.
"""

from __future__ import annotations

from typing import Any

from zeroplay.engines.request import ChatRequest, user_message
from zeroplay.games.protocol import Context, Generated
from zeroplay.games.vision_zero.config import VisionZeroGameConfig
from zeroplay.games.vision_zero.game_setup import GameSetup, blank_like
from zeroplay.games.vision_zero.parsing import (
    decision_format_ok,
    parse_clue,
    parse_vote,
    reasoning_of,
)
from zeroplay.games.vision_zero.prompts import civilian_vote_prompt, clue_prompt, observer_prompt
from zeroplay.games.vision_zero.result import OBSERVER_SEAT, ClueTurn, GameResult, VoteSample
from zeroplay.games.vision_zero.rewards import (
    clue_rewards,
    decision_reward,
    spy_identified,
    suspicion_gap,
    tally_votes,
    vote_outcome,
)
from zeroplay.games.vision_zero.roles import (
    ROLE_CIVILIAN,
    ROLE_OBSERVER,
    ROLE_SPY,
    STAGE_CLUE,
    STAGE_DECISION,
    Role,
)

_SEED_MODULUS = 2**63


def _request_seed(base: int | None, index: int) -> int | None:
    """The sampling seed of the game's `index`-th request (None when the game is unseeded)."""
    return None if base is None else (base + index) % _SEED_MODULUS


def _meta(game: GameSetup, seat: int, round_: int | None, stage: str, role: Role) -> dict[str, Any]:
    return {"game_id": game.game_id, "seat": seat, "round": round_, "stage": stage, "role": role}


async def _play_clue_rounds(
    ctx: Context, game: GameSetup, cfg: VisionZeroGameConfig
) -> list[ClueTurn]:
    spy_image = blank_like(game.original) if cfg.blank_spy else game.modified
    turns: list[ClueTurn] = []
    for round_ in range(1, cfg.n_rounds + 1):
        for seat in range(1, cfg.n_players + 1):
            is_spy = seat == game.spy_seat
            role: Role = ROLE_SPY if is_spy else ROLE_CIVILIAN
            request = ChatRequest(
                messages=[user_message(clue_prompt(cfg, seat, round_, is_spy, turns), n_images=1)],
                images=[spy_image if is_spy else game.original],
                sampling=cfg.clue_sampling.params(1, _request_seed(game.seed, len(turns))),
                policy=game.policy_of(seat),
                meta=_meta(game, seat, round_, STAGE_CLUE, role),
            )
            generated = (await ctx.generate(request))[0]
            turns.append(
                ClueTurn(
                    seat=seat,
                    round=round_,
                    role=role,
                    policy=game.policy_of(seat),
                    generated=generated,
                    clue=parse_clue(generated.text),
                    reasoning=reasoning_of(generated.text),
                )
            )
    return turns


async def play_game(ctx: Context, game: GameSetup, cfg: VisionZeroGameConfig) -> GameResult:
    """Plays one game with whatever drives `ctx` and returns every turn with its reward."""
    game.check(cfg)
    clue_turns = await _play_clue_rounds(ctx, game, cfg)

    # Decision: one observer prompt sampled G times (code), or each civilian G times (paper).
    voters: list[tuple[int, Role, str, str]]  # (seat, role, policy, prompt)
    if cfg.decision_mode == "observer":
        voters = [
            (OBSERVER_SEAT, ROLE_OBSERVER, game.judge_policy, observer_prompt(cfg, clue_turns))
        ]
        vote_weight = 1.0
    else:
        voters = [
            (seat, ROLE_CIVILIAN, game.policy_of(seat), civilian_vote_prompt(cfg, seat, clue_turns))
            for seat in range(1, cfg.n_players + 1)
            if seat != game.spy_seat
        ]
        vote_weight = 1.0 / cfg.group_size  # each civilian's G samples count as one vote in all
    first_seed_index = len(clue_turns)
    requests = [
        ChatRequest(
            messages=[user_message(prompt, n_images=1)],
            images=[game.original],
            sampling=cfg.decision_sampling.params(
                cfg.group_size, _request_seed(game.seed, first_seed_index + i)
            ),
            policy=policy,
            meta=_meta(game, seat, None, STAGE_DECISION, role),
        )
        for i, (seat, role, policy, prompt) in enumerate(voters)
    ]
    outputs = await ctx.generate_many(requests)

    votes = [
        _score_vote(seat, role, policy, sample, generated, game.spy_seat, cfg)
        for (seat, role, policy, _), samples in zip(voters, outputs, strict=True)
        for sample, generated in enumerate(samples)
    ]
    tally = tally_votes(
        (v.vote.value if v.vote.ok else None for v in votes), cfg.n_players, vote_weight
    )
    return GameResult(
        game_id=game.game_id,
        domain=cfg.domain,
        n_players=cfg.n_players,
        spy_seat=game.spy_seat,
        decision_mode=cfg.decision_mode,
        blank_spy=cfg.blank_spy,
        clue_turns=tuple(clue_turns),
        votes=tuple(votes),
        tally=tuple(tally),
        spy_identified=spy_identified(tally, game.spy_seat),
        psi=suspicion_gap(tally, game.spy_seat),
        clue_rewards=tuple(clue_rewards(tally, game.spy_seat, cfg.beta, cfg.lam)),
    )


def _score_vote(
    voter: int,
    role: Role,
    policy: str,
    sample: int,
    generated: Generated,
    spy_seat: int,
    cfg: VisionZeroGameConfig,
) -> VoteSample:
    vote = parse_vote(generated.text, cfg.n_players)
    outcome = vote_outcome(vote.value if vote.ok else None, spy_seat)
    format_ok = decision_format_ok(generated.text)
    return VoteSample(
        voter=voter,
        role=role,
        policy=policy,
        sample=sample,
        generated=generated,
        vote=vote,
        outcome=outcome,
        format_ok=format_ok,
        reward=decision_reward(cfg.decision_reward, outcome, format_ok),
    )
