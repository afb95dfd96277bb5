"""Training-set filters for the CodeGen and Solver phases (note §4.6)."""

from __future__ import annotations

from zeroplay.games.mm_zero.config import MMZeroGameConfig


def render_rate_drop_reason(rate: float, config: MMZeroGameConfig) -> str | None:
    """None when a proposal enters CodeGen training: render rate in the window, inclusive.

    Over 4 samples the default window [0.25, 0.75] keeps 1, 2 or 3 successes: proposals the
    current CodeGen sometimes but not always draws.
    """
    if not config.codegen_render_filter:
        return None
    low, high = config.render_rate_window
    if rate < low:
        return f"render rate {rate:g} below {low:g}"
    if rate > high:
        return f"render rate {rate:g} above {high:g}"
    return None


def solver_item_drop_reason(
    label: str | None, easy_consistency: float, hard_consistency: float, config: MMZeroGameConfig
) -> str | None:
    """None when an item enters Solver training (note §4.6c).

    The label must be a real answer (not empty, not 'None'), the easy question self-consistent
    (>= 0.5) and the hard question neither trivial nor hopeless (consistency in [0.25, 0.75]).
    """
    if label is None or label.strip().lower() in ("", "none"):
        return "no majority label"
    if easy_consistency < config.min_easy_consistency:
        return f"easy consistency {easy_consistency:g} below {config.min_easy_consistency:g}"
    low, high = config.hard_consistency_window
    if not low <= hard_consistency <= high:
        return f"hard consistency {hard_consistency:g} outside [{low:g}, {high:g}]"
    return None
