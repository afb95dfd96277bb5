"""Names of the Vision-Zero roles and stages, as they appear on scored turns and in records."""

from __future__ import annotations

from typing import Final, Literal

# Turn stages. The RL core picks the advantage estimator by stage: clue turns get role baselines
# (RAE, no group normalisation), decision turns a group z-score.
STAGE_CLUE: Final = "clue"
STAGE_DECISION: Final = "decision"

# Roles. Clue turns are "spy" or "civilian" (one RAE baseline each). Decision turns are "observer"
# in observer mode and "civilian" in civilians mode (the spy never votes).
ROLE_SPY: Final = "spy"
ROLE_CIVILIAN: Final = "civilian"
ROLE_OBSERVER: Final = "observer"

Role = Literal["spy", "civilian", "observer"]
