"""What a rollout record is, from the fields the games' `to_record()` write, and which recipe
produced a run.

Records carry a `"recipe"` key; the kind within a recipe is recognised by the fields its record
class has (the games define them: `vision_zero.result.GameResult`, `visplay.records`,
`mm_zero.records`). A record nobody recognises is shown as plain JSON.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

VISION_ZERO = "vision-zero"
VISPLAY = "visplay"
MM_ZERO = "mm-zero"
RECIPES = (VISION_ZERO, VISPLAY, MM_ZERO)

# kind -> (recipe, fields that must all be present). Checked in order, most specific first.
_SIGNATURES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("vz_game", VISION_ZERO, ("clue_turns", "votes")),
    ("vp_question", VISPLAY, ("question_id", "cluster_size", "uncertainty")),
    ("vp_answer", VISPLAY, ("question_id", "think_format", "accuracy")),
    ("vp_labelled", VISPLAY, ("question_id", "kept", "majority_count", "reasoner_answers")),
    ("mz_proposer", MM_ZERO, ("proposal_id", "svgs", "avg_solvability")),
    ("mz_render_filter", MM_ZERO, ("proposal_id", "svgs", "render_rate")),
    ("mz_codegen", MM_ZERO, ("proposal_id", "svg", "difficulty")),
    ("mz_label", MM_ZERO, ("proposal_id", "code", "hard_consistency", "easy_consistency")),
    ("mz_generated", MM_ZERO, ("proposal_id", "seed_id", "topic", "valid")),
    ("mz_solver", MM_ZERO, ("item_id", "answer", "label", "format")),
)

KIND_TITLES = {
    "vz_game": "Vision-Zero games",
    "vp_question": "VisPlay questioner training",
    "vp_labelled": "VisPlay labelled questions",
    "vp_answer": "VisPlay reasoner training",
    "mz_proposer": "MM-Zero proposer training",
    "mz_render_filter": "MM-Zero render-rate filter",
    "mz_codegen": "MM-Zero CodeGen training",
    "mz_generated": "MM-Zero generated proposals",
    "mz_label": "MM-Zero solver data (labelling)",
    "mz_solver": "MM-Zero solver training",
    "other": "Other records",
}


def record_kind(record: Mapping[str, Any]) -> str:
    """The kind of a rollout record (a key of `KIND_TITLES`)."""
    declared = record.get("kind")
    if isinstance(declared, str) and declared in KIND_TITLES:
        return declared
    for kind, _, fields in _SIGNATURES:
        if all(f in record for f in fields):
            return kind
    return "other"


def kind_recipe(kind: str) -> str | None:
    for name, recipe, _ in _SIGNATURES:
        if name == kind:
            return recipe
    return None


def normalize_recipe(name: Any) -> str | None:
    """Spellings such as vision_zero, Vision-Zero or mm_zero -> the CLI name, or None."""
    if not isinstance(name, str):
        return None
    value = name.strip().lower().replace("_", "-")
    return value if value in RECIPES else None


def detect_recipe(
    config: Mapping[str, Any],
    metrics: list[Mapping[str, Any]],
    rollouts: list[Mapping[str, Any]],
) -> str | None:
    """The recipe of a run: a `recipe` key in the config, metrics or rollouts, else the kinds
    of its rollout records, else None."""
    candidates = [config.get("recipe")]
    candidates += [r.get("recipe") for r in metrics[:1]]
    candidates += [r.get("recipe") for r in rollouts[:50]]
    for value in candidates:
        recipe = normalize_recipe(value)
        if recipe is not None:
            return recipe
    for record in rollouts[:200]:
        recipe = kind_recipe(record_kind(record))
        if recipe is not None:
            return recipe
    return None
