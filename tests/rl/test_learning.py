"""The whole loop learns: GRPO lifts held-out accuracy on an image-dependent task to >= 0.9.

Sampling, logprobs, advantages, loss and optimizer must all be right for this to pass; keep it.
"""

from __future__ import annotations

import pytest
from colour_task import ColourTask, TaskConfig


@pytest.mark.slow
def test_grpo_learns_colours_from_images(tmp_path):
    from accelerate import Accelerator

    task = ColourTask(TaskConfig(steps=60), tmp_path, Accelerator(cpu=True))
    before = task.heldout_accuracy()
    task.run(60)
    after = task.heldout_accuracy()
    assert before <= 0.4, f"the untrained model should be near or below chance (1/3), got {before}"
    assert after >= 0.9, f"held-out accuracy after 60 GRPO steps is {after} (from {before})"
