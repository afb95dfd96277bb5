"""`accelerate launch --num_processes 2` on CPU: ranks play different episodes, stay identical."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest


@pytest.mark.slow
def test_two_cpu_processes_keep_parameters_identical(tmp_path):
    script = Path(__file__).with_name("colour_task.py")
    path = os.pathsep.join(filter(None, [str(script.parent), os.environ.get("PYTHONPATH")]))
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONPATH=path)
    # accelerate's torchrun launcher is the `--multi_gpu` one; with Accelerator(cpu=True) the
    # ranks join a gloo group on the CPU.
    cmd = [
        sys.executable,
        "-m",
        "accelerate.commands.launch",
        "--multi_gpu",
        "--num_processes",
        "2",
    ]
    cmd += ["--num_machines", "1", "--mixed_precision", "no", "--dynamo_backend", "no"]
    cmd += [str(script), str(tmp_path), "2"]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    ranks = json.loads((tmp_path / "ranks.json").read_text())
    assert [r["rank"] for r in ranks] == [0, 1]
    assert ranks[0]["param_sum"] == ranks[1]["param_sum"], "gradients were not reduced"
    assert ranks[0]["played"] != ranks[1]["played"], "each rank must play its own episodes"
