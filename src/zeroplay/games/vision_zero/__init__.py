"""The Vision-Zero "Who is the spy?" game (arXiv 2509.25541), pure: prompts, parsing, rewards,
the Iterative-SPO stage controller and the episode coroutine. See docs/vision_zero.md."""

from zeroplay.games.vision_zero.config import TurnSampling, VisionZeroGameConfig
from zeroplay.games.vision_zero.controller import ControllerConfig, StageController
from zeroplay.games.vision_zero.episode import play_game
from zeroplay.games.vision_zero.game_setup import GameSetup, draw_setup
from zeroplay.games.vision_zero.parsing import ABSTAIN, NO_VALID_CLUE, parse_clue, parse_vote
from zeroplay.games.vision_zero.result import ClueTurn, GameResult, VoteSample
from zeroplay.games.vision_zero.stats import DecisionStats, decision_stats, game_statistics

__all__ = [
    "ABSTAIN",
    "NO_VALID_CLUE",
    "ClueTurn",
    "ControllerConfig",
    "DecisionStats",
    "GameResult",
    "GameSetup",
    "StageController",
    "TurnSampling",
    "VisionZeroGameConfig",
    "VoteSample",
    "decision_stats",
    "draw_setup",
    "game_statistics",
    "parse_clue",
    "parse_vote",
    "play_game",
]
