"""Prompt contents per role and domain (structure of reference note §2)."""

from __future__ import annotations

import pytest

from zeroplay.answers.parsed import Parsed
from zeroplay.games.protocol import ScriptedGeneration
from zeroplay.games.vision_zero.config import VisionZeroGameConfig
from zeroplay.games.vision_zero.domains import DOMAIN_TEXTS
from zeroplay.games.vision_zero.prompts import (
    civilian_vote_prompt,
    clue_listing,
    clue_prompt,
    observer_prompt,
)
from zeroplay.games.vision_zero.result import ClueTurn


def turn(seat: int, round_: int, clue: str | None) -> ClueTurn:
    parsed = Parsed.valid(clue) if clue is not None else Parsed.invalid("no \\boxed{...}")
    return ClueTurn(
        seat=seat,
        round=round_,
        role="civilian",
        policy="default",
        generated=ScriptedGeneration(f"r{seat}"),
        clue=parsed,
        reasoning=f"r{seat}",
    )


@pytest.mark.parametrize(
    ("domain", "phrase"),
    [
        ("clevr", "two objects were replaced"),
        ("chart", "two attributes of the chart were swapped"),
        ("photo", "some objects or parts of the scene differ"),
    ],
)
def test_domain_wording_reaches_every_prompt(domain: str, phrase: str) -> None:
    cfg = VisionZeroGameConfig(domain=domain)  # type: ignore[arg-type]
    text = DOMAIN_TEXTS[cfg.domain]
    clue = clue_prompt(cfg, seat=1, round_=1, is_spy=False, earlier=[])
    assert phrase in clue and text.clue_scope in clue
    assert all(f"\\boxed{{{e}}}" in clue for e in text.examples)
    assert phrase in observer_prompt(cfg, [turn(1, 1, "x")])
    assert phrase in civilian_vote_prompt(cfg, 2, [turn(1, 1, "x")])


def test_roles_are_told() -> None:
    cfg = VisionZeroGameConfig()
    civilian = clue_prompt(cfg, seat=2, round_=1, is_spy=False, earlier=[turn(1, 1, "x")])
    spy = clue_prompt(cfg, seat=2, round_=1, is_spy=True, earlier=[turn(1, 1, "x")])
    assert "Your role: CIVILIAN" in civilian and "SPY" not in civilian.split("\n")[3]
    assert "Your role: SPY (your picture is the different one)." in spy
    assert "Be strategic!" in spy and "Be strategic!" not in civilian
    assert "4 players" in spy and "ROUND 1 of 2" in spy
    assert "first to speak" not in spy


def test_clue_listing_groups_rounds_and_hides_invalid_clues() -> None:
    turns = [turn(1, 1, "a"), turn(2, 1, None), turn(1, 2, "b"), turn(2, 2, "c")]
    assert clue_listing(turns) == (
        "Round 1:\nPlayer 1: a\nPlayer 2: No valid clue provided.\n\nRound 2:\nPlayer 1: b\n"
        "Player 2: c"
    )


def test_decision_prompts() -> None:
    cfg = VisionZeroGameConfig(n_players=5)
    observer = observer_prompt(cfg, [turn(1, 1, "a")])
    assert "ORIGINAL picture" in observer and "\\boxed{N/A}" in observer
    assert "4 players, the civilians" in observer and "do not vote for yourself" not in observer
    voter = civilian_vote_prompt(cfg, 3, [turn(1, 1, "a")])
    assert voter.startswith("You are PLAYER 3, a CIVILIAN")
    assert "do not vote for yourself (Player 3)" in voter
