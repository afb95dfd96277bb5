"""Checkpoints: `RUN_DIR/checkpoints/step_N/`, written atomically, loadable without zeroplay.

Layout of one checkpoint:

    policy/ or policy/<name>/    full weights in Hugging Face format (shared / separate models)
    adapters/<name>/             PEFT LoRA adapters (one folder per role), base model in state.json
    processor/                   the processor, so the folder is self-describing
    trainer.pt                   optimizers, schedulers, step counters, trainer RNG
    rng_rank<R>.pt               python / numpy / torch RNG states of data-parallel rank R
    state.json                   step, model kind, base model, policies, estimator and recipe state

The folder is assembled under a temporary name and renamed to `step_N` last, so a crash leaves
either a whole checkpoint or none.
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import torch

from zeroplay.rl.policies import Policies
from zeroplay.rl.rundir import atomic_write_json

STEP_DIR = re.compile(r"^step_(\d+)$")


def list_checkpoints(run_dir: str | os.PathLike[str]) -> list[tuple[int, Path]]:
    """Complete checkpoints of a run as (step, path), oldest first."""
    root = Path(run_dir) / "checkpoints"
    if not root.exists():
        return []
    found = []
    for p in root.iterdir():
        m = STEP_DIR.match(p.name)
        if m and (p / "state.json").exists():
            found.append((int(m.group(1)), p))
    return sorted(found)


def latest_checkpoint(run_dir: str | os.PathLike[str]) -> Path | None:
    found = list_checkpoints(run_dir)
    return found[-1][1] if found else None


def rng_state() -> dict[str, Any]:
    state = {
        "python": random.getstate(),
        "numpy": np.random.get_state(),
        "torch": torch.get_rng_state(),
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict[str, Any]) -> None:
    random.setstate(state["python"])
    np.random.set_state(state["numpy"])
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def _save_policies(policies: Policies, accelerator: Any, out: Path) -> dict[str, Any]:
    info: dict[str, Any] = {"kind": policies.mode, "base_model": policies.base_name}
    if policies.mode == "lora":
        model = accelerator.unwrap_model(policies.distinct_models()[0])
        for name in policies.names:
            tmp = out / ".adapter_tmp"
            model.save_pretrained(tmp, selected_adapters=[name])
            src = tmp if name == "default" else tmp / name
            shutil.move(str(src), str(out / "adapters" / name))
            shutil.rmtree(tmp, ignore_errors=True)
        info["adapters"] = policies.names
    elif policies.mode == "shared":
        model = accelerator.unwrap_model(policies.distinct_models()[0])
        model.save_pretrained(out / "policy", state_dict=accelerator.get_state_dict(model))
        policies.processor.save_pretrained(out / "policy")
        info["policies"] = policies.names
    else:
        for name in policies.names:
            model = accelerator.unwrap_model(policies.model(name))
            folder = out / "policy" / name
            model.save_pretrained(folder, state_dict=accelerator.get_state_dict(model))
            policies.processor.save_pretrained(folder)
        info["policies"] = policies.names
    policies.processor.save_pretrained(out / "processor")
    return info


def save_checkpoint(
    run_dir: str | os.PathLike[str],
    step: int,
    policies: Policies,
    trainer: Any,
    accelerator: Any,
    *,
    recipe_state: dict[str, Any] | None = None,
    extra: dict[str, Any] | None = None,
    keep_last: int | None = 2,
) -> Path:
    """Write `checkpoints/step_<step>/` (see module docstring); returns its path.

    Every rank writes its own RNG file; the main process writes the rest. `extra` holds
    picklable per-run objects (e.g. engine RNG states) saved in `trainer.pt`.
    """
    root = Path(run_dir) / "checkpoints"
    final = root / f"step_{step}"
    tmp = root / f".tmp_step_{step}"
    if accelerator.is_main_process:
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
    accelerator.wait_for_everyone()
    torch.save(rng_state(), tmp / f"rng_rank{accelerator.process_index}.pt")
    info = _save_policies(policies, accelerator, tmp) if accelerator.is_main_process else {}
    if accelerator.is_main_process:
        torch.save({"trainer": trainer.state_dict(), "extra": extra or {}}, tmp / "trainer.pt")
        state = {
            "step": step,
            "num_processes": accelerator.num_processes,
            **info,
            "recipe_state": recipe_state or {},
        }
        atomic_write_json(tmp / "state.json", state)
    accelerator.wait_for_everyone()
    if accelerator.is_main_process:
        if final.exists():
            shutil.rmtree(final)
        os.rename(tmp, final)
        if keep_last:
            for _, old in list_checkpoints(run_dir)[:-keep_last]:
                shutil.rmtree(old, ignore_errors=True)
    accelerator.wait_for_everyone()
    return final


def _load_weights_into(model: Any, folder: Path) -> None:
    from transformers import AutoModelForImageTextToText

    loaded = AutoModelForImageTextToText.from_pretrained(
        folder, dtype=next(model.parameters()).dtype
    )
    model.load_state_dict(loaded.state_dict())


def load_checkpoint(
    path: str | os.PathLike[str], policies: Policies, trainer: Any, accelerator: Any
) -> dict[str, Any]:
    """Restore weights, optimizer, scheduler and RNG from `path`; returns state.json plus `extra`."""
    path = Path(path)
    state = json.loads((path / "state.json").read_text())
    if state.get("kind") != policies.mode:
        raise ValueError(
            f"checkpoint {path} holds {state.get('kind')!r} policies, the run uses {policies.mode!r}"
        )
    if state.get("num_processes", 1) != accelerator.num_processes:
        raise ValueError(
            f"checkpoint {path} was written by {state.get('num_processes')} processes; "
            f"resume with the same number (now {accelerator.num_processes})"
        )
    if policies.mode == "lora":
        from peft import set_peft_model_state_dict
        from safetensors.torch import load_file

        model = accelerator.unwrap_model(policies.distinct_models()[0])
        for name in policies.names:
            weights = load_file(path / "adapters" / name / "adapter_model.safetensors")
            set_peft_model_state_dict(model, weights, adapter_name=name)
    elif policies.mode == "shared":
        _load_weights_into(accelerator.unwrap_model(policies.distinct_models()[0]), path / "policy")
    else:
        for name in policies.names:
            _load_weights_into(
                accelerator.unwrap_model(policies.model(name)), path / "policy" / name
            )
    blob = torch.load(path / "trainer.pt", weights_only=False)
    trainer.load_state_dict(blob["trainer"])
    set_rng_state(torch.load(path / f"rng_rank{accelerator.process_index}.pt", weights_only=False))
    state["extra"] = blob.get("extra", {})
    return state


def load_policy_from_run(
    run_dir: str | os.PathLike[str],
    step: int | None = None,
    policy: str | None = None,
    *,
    device: str = "auto",
    dtype: str = "auto",
) -> tuple[Any, Any]:
    """(model, processor) of a run's checkpoint (latest when `step` is None), adapters applied.

    `policy` picks the role of a multi-policy run; it may be omitted when the run has one.
    """
    from transformers import AutoModelForImageTextToText, AutoProcessor

    from zeroplay.models.loader import ModelSettings, load_policy, pick_device, pick_dtype

    found = dict(list_checkpoints(run_dir))
    if not found:
        raise FileNotFoundError(f"{run_dir} has no complete checkpoint under checkpoints/")
    if step is None:
        step = max(found)
    if step not in found:
        raise FileNotFoundError(
            f"{run_dir} has no checkpoint for step {step}; have {sorted(found)}"
        )
    path = found[step]
    state = json.loads((path / "state.json").read_text())
    names = state.get("adapters") or state.get("policies") or []
    if policy is None:
        if len(set(names)) > 1 and state["kind"] != "shared":
            raise ValueError(f"this run has several policies {names}; choose one with --policy")
        policy = names[0] if names else None
    elif names and policy not in names:
        raise ValueError(f"no policy {policy!r} in this run; have {names}")
    dev = pick_device(device)
    if state["kind"] == "lora":
        from peft import PeftModel

        base, _ = load_policy(ModelSettings(name=state["base_model"], device=dev, dtype=dtype))
        model = PeftModel.from_pretrained(base, path / "adapters" / policy, adapter_name=policy)
        model = model.merge_and_unload().eval()
    else:
        folder = path / "policy" if state["kind"] == "shared" else path / "policy" / policy
        model = AutoModelForImageTextToText.from_pretrained(
            folder, dtype=pick_dtype(dtype, dev)
        ).to(dev)
    processor = AutoProcessor.from_pretrained(path / "processor")
    return model.eval(), processor
