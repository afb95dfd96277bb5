"""Helpers for the data tests: tiny CLEVR settings that render in a fraction of a second."""

from __future__ import annotations

import importlib.util

import pytest

from zeroplay.data.clevr.pairs import ClevrPairConfig
from zeroplay.data.clevr.render import RenderConfig
from zeroplay.data.clevr.scene import SceneConfig

requires_mitsuba = pytest.mark.skipif(
    importlib.util.find_spec("mitsuba") is None, reason="needs the render extra (mitsuba)"
)


def tiny_clevr_config(seed: int = 0, **changes) -> ClevrPairConfig:
    """96x72 images at 4 samples per pixel with the CPU variant (deterministic everywhere)."""
    return ClevrPairConfig(
        seed=seed,
        scene=SceneConfig(width=96, height=72),
        render=RenderConfig(spp=4, variant="scalar_rgb"),
        **changes,
    )
