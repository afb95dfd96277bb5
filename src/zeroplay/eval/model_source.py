"""What `--model` names: a model (local folder, Hub id, tiny alias) or a training run directory.

A run directory is recognised by its `checkpoints/` folder (`RUN_DIR/checkpoints/step_N/`). Its
latest step is evaluated unless a step is given, with the chosen policy's LoRA adapter applied,
through `zeroplay.rl.checkpoint.load_policy_from_run`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_STEP_DIR = re.compile(r"step_(\d+)")


class ModelSourceError(ValueError):
    """`--model` / `--step` / `--policy` do not name something that can be evaluated."""


@dataclass(frozen=True)
class ModelSource:
    """The evaluated model; `label` names it in results and comparisons."""

    label: str
    name: str
    run_dir: Path | None = None
    step: int | None = None
    policy: str | None = None

    def describe(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "name": self.name,
            "run_dir": str(self.run_dir) if self.run_dir else None,
            "step": self.step,
            "policy": self.policy,
        }

    def default_out(self) -> Path:
        """Where results go by default: inside the run directory, else ./eval-results/LABEL."""
        if self.run_dir is not None:
            suffix = f"-{self.policy}" if self.policy else ""
            return self.run_dir / "eval" / f"step_{self.step}{suffix}"
        return Path("eval-results") / safe_name(self.label)


def safe_name(text: str) -> str:
    """`text` usable as one file or folder name."""
    cleaned = re.sub(r"[^A-Za-z0-9._@+-]+", "_", text).strip("._")
    return cleaned or "model"


def is_run_dir(path: Path) -> bool:
    return (path / "checkpoints").is_dir()


def checkpoint_steps(run_dir: Path) -> list[int]:
    """Steps with a `checkpoints/step_N` folder, ascending."""
    steps = []
    for child in (run_dir / "checkpoints").iterdir():
        match = _STEP_DIR.fullmatch(child.name)
        if match and child.is_dir():
            steps.append(int(match.group(1)))
    return sorted(steps)


def resolve_source(
    model: str, step: int | None = None, policy: str | None = None, label: str | None = None
) -> ModelSource:
    """Interpret `--model`, `--step`, `--policy` and `--label` (see the module docstring)."""
    path = Path(model).expanduser()
    if path.is_dir() and is_run_dir(path):
        steps = checkpoint_steps(path)
        if not steps:
            raise ModelSourceError(f"run directory {model!r} has no checkpoints/step_N folders")
        chosen = steps[-1] if step is None else step
        if chosen not in steps:
            raise ModelSourceError(
                f"run directory {model!r} has no checkpoint for step {chosen}; "
                f"steps: {', '.join(map(str, steps))}"
            )
        default_label = f"{path.resolve().name}@step{chosen}" + (f":{policy}" if policy else "")
        return ModelSource(label or default_label, model, path, chosen, policy)
    for flag, value in (("--step", step), ("--policy", policy)):
        if value is not None:
            raise ModelSourceError(
                f"{flag} applies only to a run directory (one with checkpoints/)"
            )
    default_label = path.name if path.is_dir() else model
    return ModelSource(label or default_label, model)


def load_source(source: ModelSource, device: str = "auto", dtype: str = "auto") -> tuple[Any, Any]:
    """(model, processor) of `source`; a run directory goes through the checkpoint loader."""
    if source.run_dir is not None:
        from zeroplay.rl.checkpoint import load_policy_from_run

        return load_policy_from_run(source.run_dir, step=source.step, policy=source.policy)
    from zeroplay.models.loader import ModelSettings, load_policy

    return load_policy(ModelSettings(name=source.name, device=device, dtype=dtype))


def generation_policy(model: Any, source: ModelSource) -> str:
    """The engine policy name to ask with: the chosen adapter, else the model's active one.

    Raises `ModelSourceError` when the chosen policy is not one of the model's LoRA adapters.
    """
    adapters = set(getattr(model, "peft_config", None) or {})
    if source.policy:
        if adapters and source.policy not in adapters | {"base"}:
            raise ModelSourceError(
                f"no policy {source.policy!r} in this checkpoint; it has {', '.join(sorted(adapters))}"
            )
        return source.policy
    active = getattr(model, "active_adapter", None)
    return active if adapters and isinstance(active, str) else "default"
