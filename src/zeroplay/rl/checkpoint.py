"""Checkpoints: `RUN_DIR/checkpoints/step_N/`, written atomically, loadable without zeroplay.

Layout of one checkpoint:

    policy/ or policy/<name>/    full weights in Hugging Face format (shared / separate models),
                                 in the model's configured dtype (bf16 on GPU by default)
    master/<name>.safetensors    the fp32 master weights, when the HF weights are narrower
                                 (exact resume; not written when sharded, see sharded/)
    sharded/<name>/              FSDP2 runs: every rank's model and optimizer shards
                                 (torch.distributed.checkpoint), read back collectively
    adapters/<name>/             PEFT LoRA adapters (one folder per role), base model in state.json
    processor/                   the processor, so the folder is self-describing
    trainer.pt                   optimizers (unless sharded), schedulers, step counters, RNG
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
from zeroplay.rl.sharding import full_state_dict

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


def _full_weights(model: Any, accelerator: Any, sharded: bool) -> dict[str, torch.Tensor]:
    """The whole state dict of a (possibly wrapped or sharded) model; collective when sharded."""
    if sharded:
        return full_state_dict(model)
    return accelerator.get_state_dict(model)


def _write_full_model(
    model: Any,
    weights: dict[str, torch.Tensor],
    policies: Policies,
    folder: Path,
    master: Path | None,
) -> None:
    """HF weights in the export dtype; the fp32 masters beside them when narrower."""
    export = policies.export_dtype
    narrower = export is not None and export != torch.float32
    if narrower:
        cast = {k: v.to(export) if v.is_floating_point() else v for k, v in weights.items()}
    else:
        cast = weights
    model.save_pretrained(folder, state_dict=cast)
    if narrower and master is not None:
        from safetensors.torch import save_model

        master.parent.mkdir(parents=True, exist_ok=True)
        save_model(model, str(master))
    policies.processor.save_pretrained(folder)


def _save_policies(
    policies: Policies, accelerator: Any, out: Path, sharded: bool = False
) -> dict[str, Any]:
    """Weights of every policy; under FSDP2 every rank gathers, the main process writes."""
    info: dict[str, Any] = {"kind": policies.mode, "base_model": policies.base_name}
    main = accelerator.is_main_process
    if policies.mode == "lora":
        if main:
            model = accelerator.unwrap_model(policies.distinct_models()[0])
            for name in policies.names:
                tmp = out / ".adapter_tmp"
                model.save_pretrained(tmp, selected_adapters=[name])
                src = tmp if name == "default" else tmp / name
                shutil.move(str(src), str(out / "adapters" / name))
                shutil.rmtree(tmp, ignore_errors=True)
        info["adapters"] = policies.names
    else:
        targets = (
            [("shared", policies.distinct_models()[0], out / "policy")]
            if policies.mode == "shared"
            else [(n, policies.model(n), out / "policy" / n) for n in policies.names]
        )
        for name, wrapped, folder in targets:
            weights = _full_weights(wrapped, accelerator, sharded)
            if main:
                model = accelerator.unwrap_model(wrapped)
                master = None if sharded else out / "master" / f"{name}.safetensors"
                _write_full_model(model, weights, policies, folder, master)
        info["policies"] = policies.names
    if main:
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

    Every rank writes its own RNG file (and, under FSDP2, its model and optimizer shards); the
    main process writes the rest. Every rank must call this. `extra` holds picklable per-run
    objects (e.g. engine RNG states) saved in `trainer.pt`.
    """
    root = Path(run_dir) / "checkpoints"
    final = root / f"step_{step}"
    tmp = root / f".tmp_step_{step}"
    if accelerator.is_main_process:
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
    accelerator.wait_for_everyone()
    torch.save(rng_state(), tmp / f"rng_rank{accelerator.process_index}.pt")
    sharded = bool(getattr(trainer, "sharded", False))
    info = _save_policies(policies, accelerator, tmp, sharded)
    if sharded:
        trainer.save_sharded_state(tmp / "sharded")
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


def _load_weights_into(model: Any, folder: Path, master: Path | None = None) -> None:
    """Load the fp32 masters when the checkpoint has them, else its HF weights."""
    if master is not None and master.exists():
        from safetensors.torch import load_model

        load_model(model, str(master))
        return
    from transformers import AutoModelForImageTextToText

    loaded = AutoModelForImageTextToText.from_pretrained(folder)
    state = {k: v.to(model.state_dict()[k].dtype) for k, v in loaded.state_dict().items()}
    model.load_state_dict(state)


def load_checkpoint(
    path: str | os.PathLike[str], policies: Policies, trainer: Any, accelerator: Any
) -> dict[str, Any]:
    """Restore weights, optimizer, scheduler and RNG from `path`; returns state.json plus `extra`."""
    path = Path(path)
    state = _read_compatible_state(path, policies, accelerator)
    _load_policy_weights(path, policies, trainer, accelerator)
    blob = torch.load(path / "trainer.pt", weights_only=False)
    trainer.load_state_dict(blob["trainer"])
    set_rng_state(torch.load(path / f"rng_rank{accelerator.process_index}.pt", weights_only=False))
    state["extra"] = blob.get("extra", {})
    return state


def _read_compatible_state(path: Path, policies: Policies, accelerator: Any) -> dict[str, Any]:
    """state.json of `path`, refused when its policies or process count differ from the run's."""
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
    return state


def _load_policy_weights(path: Path, policies: Policies, trainer: Any, accelerator: Any) -> None:
    """Every policy's weights from `path` (FSDP2 shards through `trainer`)."""
    if policies.mode == "lora":
        from peft import set_peft_model_state_dict
        from safetensors.torch import load_file

        model = accelerator.unwrap_model(policies.distinct_models()[0])
        for name in policies.names:
            weights = load_file(path / "adapters" / name / "adapter_model.safetensors")
            set_peft_model_state_dict(model, weights, adapter_name=name)
    elif trainer is not None and getattr(trainer, "sharded", False):
        if not (path / "sharded").exists():
            raise ValueError(f"checkpoint {path} was not written by an FSDP2 run; resume it so")
        trainer.load_sharded_state(path / "sharded")
    elif policies.mode == "shared":
        _load_weights_into(
            accelerator.unwrap_model(policies.distinct_models()[0]),
            path / "policy",
            path / "master" / "shared.safetensors",
        )
    else:
        for name in policies.names:
            _load_weights_into(
                accelerator.unwrap_model(policies.model(name)),
                path / "policy" / name,
                path / "master" / f"{name}.safetensors",
            )


def load_weights(path: str | os.PathLike[str], policies: Policies, accelerator: Any) -> None:
    """Restore only the policies' weights from `path`: no optimizer, schedule or RNG (a phase
    that starts from another phase's result). Not for FSDP2 shards, which need their trainer."""
    path = Path(path)
    _read_compatible_state(path, policies, accelerator)
    if (path / "sharded").exists():
        raise ValueError(f"checkpoint {path} holds FSDP2 shards; load it with its trainer")
    _load_policy_weights(path, policies, None, accelerator)


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


def checkpoint_recipe_state(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The recipe state stored in a checkpoint's state.json."""
    state = json.loads((Path(path) / "state.json").read_text(encoding="utf-8"))
    return dict(state.get("recipe_state") or {})


def prune_checkpoints(
    run_dir: str | os.PathLike[str], keep_last: int, *, count_boundaries: bool
) -> None:
    """Delete old checkpoints but never a phase boundary (`recipe_state.phase_end`): the end of
    one phase is the start of the next, so every version of each role stays loadable.

    `count_boundaries`: whether the newest `keep_last` kept are counted over all checkpoints
    (boundaries included) or over the mid-phase ones only.
    """
    found = [
        (path, bool(checkpoint_recipe_state(path).get("phase_end")))
        for _, path in list_checkpoints(run_dir)
    ]
    if count_boundaries:
        candidates = [path for path, boundary in found[:-keep_last] if not boundary]
    else:
        candidates = [path for path, boundary in found if not boundary][:-keep_last]
    for path in candidates:
        shutil.rmtree(path, ignore_errors=True)
