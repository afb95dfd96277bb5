"""Run a test script as one process or as CPU data-parallel ranks (accelerate launch, gloo)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def run_script(
    script: Path, *args: object, world: int = 2, import_from: Path | None = None, timeout: int = 600
) -> None:
    """Run `script ARGS` plainly (world 1) or as `world` ranks, one thread each, with
    `import_from` (default: the script's folder) on PYTHONPATH; fail with its stderr."""
    folder = import_from or Path(script).parent
    path = os.pathsep.join(filter(None, [str(folder), os.environ.get("PYTHONPATH")]))
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONPATH=path)
    cmd = [sys.executable]
    if world > 1:
        cmd += ["-m", "accelerate.commands.launch", "--multi_gpu", "--num_processes", str(world)]
        cmd += ["--num_machines", "1", "--mixed_precision", "no", "--dynamo_backend", "no"]
    cmd += [str(script), *map(str, args)]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, done.stderr[-3000:]
