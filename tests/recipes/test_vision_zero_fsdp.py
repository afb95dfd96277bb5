"""FSDP2 on two CPU processes: the tiny Vision-Zero run trains sharded, checkpoints, is killed,
resumes from its sharded checkpoint, and ends with the weights of the two-process DDP run."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parents[2]
# Four steps of two games; the entropy bonus gives every step a gradient (the untrained tiny
# model's rewards are often all equal) and the KL term then sees moved weights.
OVERRIDES = [
    "schedule.steps=4",
    "schedule.games_per_step=2",
    "run.save_every=2",
    "trainer.loss.entropy_coef=0.01",
]


def _command(config: str, out: Path) -> list[str]:
    cmd = [sys.executable, "-m", "accelerate.commands.launch", "--config_file"]
    cmd += [str(ROOT / "configs" / "accelerate" / config)]
    cmd += ["-m", "zeroplay.cli.main", "train", "vision-zero", "--preset", "tiny"]
    cmd += ["--out", str(out), *OVERRIDES]
    return cmd


def _env() -> dict[str, str]:
    return dict(os.environ, OMP_NUM_THREADS="1")


def _run(config: str, out: Path) -> None:
    done = subprocess.run(
        _command(config, out), env=_env(), capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr[-3000:]


def _kill_tree(pid: int) -> None:
    """SIGKILL a launcher and every process under it (torchrun starts each rank in its own
    session, so killing the launcher's process group would leave the ranks running)."""
    import psutil

    launcher = psutil.Process(pid)
    everyone = [*launcher.children(recursive=True), launcher]
    for p in everyone:
        with contextlib.suppress(psutil.NoSuchProcess):
            p.send_signal(signal.SIGKILL)
    psutil.wait_procs(everyone, timeout=30)


def _weights(out: Path, step: int) -> dict[str, torch.Tensor]:
    from safetensors.torch import load_file

    folder = out / "checkpoints" / f"step_{step}" / "policy"
    weights: dict[str, torch.Tensor] = {}
    for f in sorted(folder.glob("*.safetensors")):
        weights.update(load_file(f))
    return weights


@pytest.mark.slow
def test_fsdp2_run_is_killed_resumes_and_equals_ddp(tmp_path):
    sharded = tmp_path / "fsdp"
    proc = subprocess.Popen(
        _command("fsdp-cpu2.yaml", sharded),
        env=_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    marker = sharded / "checkpoints" / "step_2" / "state.json"
    deadline = time.monotonic() + 600
    while not marker.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.2)
    assert marker.exists(), "the sharded run wrote no checkpoint at step 2"
    _kill_tree(proc.pid)  # the launcher and both ranks, mid-run
    proc.wait()
    assert not (sharded / "checkpoints" / "step_4").exists(), "killed too late to test resume"
    shards = sorted(p.name for p in (sharded / "checkpoints" / "step_2" / "sharded").rglob("*"))
    assert "__0_0.distcp" in shards and "__1_0.distcp" in shards, shards
    first_rollout = sharded / "rollouts" / "step_000001_rank0.jsonl"
    written = first_rollout.stat().st_mtime_ns

    _run("fsdp-cpu2.yaml", sharded)  # the same command resumes
    assert first_rollout.stat().st_mtime_ns == written, "the resumed run replayed step 1"

    plain = tmp_path / "ddp"
    _run("cpu2.yaml", plain)
    got, expected = _weights(sharded, 4), _weights(plain, 4)
    assert got.keys() == expected.keys()
    start = _weights(plain, 2)
    assert any(not torch.equal(expected[k], start[k]) for k in expected), "weights must move"
    for name, value in expected.items():
        torch.testing.assert_close(got[name], value, rtol=0, atol=1e-5, msg=name)


@pytest.mark.slow
def test_fsdp2_without_a_distributed_launch_is_a_clear_error(tmp_path):
    cmd = [sys.executable, "-m", "zeroplay.cli.main", "train", "vision-zero", "--preset", "tiny"]
    cmd += ["--out", str(tmp_path / "run"), "trainer.sharding=fsdp2"]
    done = subprocess.run(cmd, env=_env(), capture_output=True, text=True, timeout=300)
    assert done.returncode != 0
    assert "FSDP2 needs a distributed run" in done.stdout + done.stderr
    assert "Traceback" not in done.stderr
