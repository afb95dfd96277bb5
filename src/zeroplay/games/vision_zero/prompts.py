"""Prompt texts of the Vision-Zero game: the clue turn, the observer's decision and a civilian's
vote. Structure from reference note §2; the wording is ours and changes with the domain."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import groupby

from zeroplay.games.vision_zero.config import VisionZeroGameConfig
from zeroplay.games.vision_zero.domains import DOMAIN_TEXTS
from zeroplay.games.vision_zero.result import ClueTurn

GAME_NAME = "Who is the spy?"


def _spy_difference(cfg: VisionZeroGameConfig) -> str:
    if cfg.blank_spy:
        return "The spy was given a blank picture and has never seen the real one."
    return f"In the spy's picture, {DOMAIN_TEXTS[cfg.domain].difference}."


def _role_lines(
    cfg: VisionZeroGameConfig, is_spy: bool, speaks_first: bool
) -> tuple[str, str, str]:
    """(role line, role goal bullet, step 2 of "what you should do") for this player."""
    if not is_spy:
        return (
            "Your role: CIVILIAN (your picture is the same as most players').",
            "- As a civilian you win when the spy is found: give clues that other civilians can "
            "confirm and that the spy is unlikely to match.",
            "2. Describe one clear, specific feature of your picture that no earlier clue has "
            "mentioned.",
        )
    goal = (
        "- As the spy you win when the votes fall on someone else: blend in and do not reveal "
        "that your picture is different."
    )
    if cfg.blank_spy:
        step = (
            "2. Be strategic! Infer from the earlier clues what the picture shows (its objects, "
            "their attributes and how they relate), then state a plausible feature that nobody "
            "has mentioned yet."
        )
        if speaks_first:
            step += (
                " You speak first, so there is nothing to go on yet: describe something that "
                "fits most pictures of this kind."
            )
        return (
            "Your role: SPY (you were given a blank picture instead of the real one).",
            goal,
            step,
        )
    return (
        "Your role: SPY (your picture is the different one).",
        goal,
        "2. Be strategic! Work out from the earlier clues what the others' picture probably "
        "shows. Describe something your picture most likely shares with theirs, and steer clear "
        "of the parts that may differ.",
    )


def _history(seat: int, earlier: Sequence[ClueTurn]) -> str:
    """Every earlier clue by round; the player's own turns also show its own private reasoning."""
    if not earlier:
        return "You are the first to speak, so there are no earlier clues."
    lines = ["Earlier turns (you see your own private reasoning and every player's clue):"]
    for round_, turns in groupby(earlier, key=lambda t: t.round):
        lines.append(f"Round {round_}:")
        for t in turns:
            if t.seat == seat:
                lines.append(f"Player {t.seat} (you):")
                lines.append(f"  Your private reasoning: {t.reasoning}")
                lines.append(f"  Your clue: {t.shown}")
            else:
                lines.append(f"Player {t.seat}: {t.shown}")
    return "\n".join(lines)


def clue_prompt(
    cfg: VisionZeroGameConfig, seat: int, round_: int, is_spy: bool, earlier: Sequence[ClueTurn]
) -> str:
    """The text of one clue turn; the player's own image goes before it in the message."""
    domain = DOMAIN_TEXTS[cfg.domain]
    n = cfg.n_players
    role_line, goal, step = _role_lines(cfg, is_spy, speaks_first=not earlier)
    examples = [f"\\boxed{{{e}}}" for e in domain.examples]
    return "\n".join(
        [
            f'You are PLAYER {seat} in a game of "{GAME_NAME}" with {n} players. '
            f"This is ROUND {round_} of {cfg.n_rounds}.",
            f"Your task is to describe your picture in one sentence. {domain.clue_scope}",
            "",
            role_line,
            "",
            "Game rules:",
            f"- The pictures show {domain.picture}. {n - 1} players see the same picture; one "
            "player, the spy, sees a different picture.",
            f"- {_spy_difference(cfg)}",
            "- Every player gives one clue per round, in seat order. After the last round the "
            "votes decide who the spy is, and the player voted as the spy is severely punished.",
            goal,
            "",
            "What you should do:",
            "1. Compare your picture with the clues given so far.",
            step,
            "",
            "Output format: first think step by step (your reasoning is private: the other "
            "players never see it), then give your one-sentence description inside \\boxed{}. "
            "Examples:",
            *examples,
            "",
            _history(seat, earlier),
        ]
    )


def clue_listing(turns: Sequence[ClueTurn]) -> str:
    """All clues by round ("Round 1:\\nPlayer 1: ...") without roles or reasoning."""
    blocks = []
    for round_, group in groupby(turns, key=lambda t: t.round):
        lines = [f"Round {round_}:"] + [f"Player {t.seat}: {t.shown}" for t in group]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def _decision_prompt(
    cfg: VisionZeroGameConfig, opening: str, image_line: str, rule: str, turns: Sequence[ClueTurn]
) -> str:
    domain = DOMAIN_TEXTS[cfg.domain]
    return "\n".join(
        [
            opening,
            "",
            "Game setup:",
            f"- The pictures show {domain.picture}. {cfg.n_civilians} players, the civilians, "
            "saw the same picture; one player, the spy, saw a different one.",
            f"- {_spy_difference(cfg)}",
            "- The spy tries to blend in; the civilians try to give clues that expose the spy.",
            f"- {image_line}",
            "",
            "Look for:",
            "1. clues that contradict your picture or most of the other clues;",
            "2. clues that are vague or generic, which may hide a different picture;",
            "3. clues that are misleading;",
            "4. any other sign of deception.",
            "",
            "Output format: first think step by step, then give the number of the player you "
            "believe is the spy, or N/A, inside \\boxed{}, for example \\boxed{1}, \\boxed{3} or "
            "\\boxed{N/A}. If you are uncertain, answer \\boxed{N/A}: it costs less than a wrong "
            f"vote.{rule}",
            "",
            "All clues:",
            clue_listing(turns),
        ]
    )


def observer_prompt(cfg: VisionZeroGameConfig, turns: Sequence[ClueTurn]) -> str:
    """The role-less judge's prompt (observer mode); the original image goes before it."""
    return _decision_prompt(
        cfg,
        opening=f'You are the judge of a game of "{GAME_NAME}". {cfg.n_players} players have '
        f"each described their picture in {cfg.n_rounds} rounds of one-sentence clues. Find "
        "the spy.",
        image_line="The picture shown to you is the ORIGINAL picture, the one the civilians saw.",
        rule="",
        turns=turns,
    )


def civilian_vote_prompt(cfg: VisionZeroGameConfig, seat: int, turns: Sequence[ClueTurn]) -> str:
    """A civilian's vote prompt (civilians mode); the civilian's own image goes before it."""
    return _decision_prompt(
        cfg,
        opening=f'You are PLAYER {seat}, a CIVILIAN in a game of "{GAME_NAME}" with '
        f"{cfg.n_players} players. The {cfg.n_rounds} rounds of clues are over; now vote for "
        "the spy.",
        image_line="The picture shown to you is your own, the one all civilians saw.",
        rule=f" You are a civilian, so do not vote for yourself (Player {seat}).",
        turns=turns,
    )
