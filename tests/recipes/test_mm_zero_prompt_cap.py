"""The released code's Solver prompt cap, counted with the policy's own processor."""

from __future__ import annotations

from PIL import Image
from transformers import AutoProcessor

from zeroplay.games.mm_zero.records import SolverItem
from zeroplay.models.tiny import cached_tiny
from zeroplay.recipes.config_io import read_preset, validate
from zeroplay.recipes.mm_zero import Config
from zeroplay.recipes.mm_zero.prompts import solver_prompt_tokens, within_prompt_cap


def _item(item_id: str, question: str) -> SolverItem:
    image = Image.new("RGB", (64, 48), "white")
    return SolverItem(item_id, question, "3", image, 0.5, 1.0)


def test_items_with_prompts_over_the_cap_are_dropped():
    processor = AutoProcessor.from_pretrained(cached_tiny("tiny"))
    short = _item("a", "How many bars are there?")
    long = _item("b", "How many bars are there? " * 60)
    short_tokens = solver_prompt_tokens(processor, short)
    long_tokens = solver_prompt_tokens(processor, long)
    assert short_tokens < long_tokens
    kept, dropped = within_prompt_cap([short, long], processor, short_tokens)
    assert [i.item_id for i in kept] == ["a"] and dropped == 1
    everything, none = within_prompt_cap([short, long], processor, 0)
    assert len(everything) == 2 and none == 0


def test_only_the_released_code_preset_caps_prompts_and_refuses_large_canvases():
    released = validate(Config, read_preset("mm-zero", "released-code"))
    assert released.solver.max_prompt_tokens == 8192
    assert released.render.build().limits.oversize == "refuse"
    assert released.render.max_side_px == 16384
    for name in ("tiny", "qwen3-vl-8b", "qwen3-vl-4b"):
        config = validate(Config, read_preset("mm-zero", name))
        assert config.solver.max_prompt_tokens == 0 and config.render.oversize == "scale"
