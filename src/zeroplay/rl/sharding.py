"""FSDP2 (`torch.distributed.fsdp.fully_shard`) for full-weight training, and its checkpoints.

Under sharding each rank holds 1/world of every trained parameter (fp32 master shards), of its
gradient and of the AdamW moments. The pieces that need the whole model are handled here:

- training forwards run through a `CompletionScorer` that is the FSDP root, so every forward
  gathers its layers' parameters (in the compute dtype of the `MixedPrecisionPolicy`) and frees
  them again; gradients are reduce-scattered in fp32;
- rollouts run on a plain, unsharded copy of the model in the compute dtype (what a vLLM engine
  would hold), refreshed after every optimizer step by gathering one parameter at a time
  (`refresh_rollout_copy`; a collective, so every rank calls it after the same steps);
- the frozen KL reference is sharded like the policy (its own FSDP root);
- checkpoints save and load the model and optimizer shards collectively with
  `torch.distributed.checkpoint` (each rank writes its own shards; exact resume).

`sharding="auto"` turns FSDP2 on when `accelerate launch` was given an FSDP config with
`fsdp_version: 2` (it exports ACCELERATE_USE_FSDP / FSDP_VERSION); zeroplay then shards the
model itself, on the CPU (gloo) as on GPUs (NCCL).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import torch
from torch import nn

from zeroplay.models.unwrap import unwrap_peft


class ShardingError(ValueError):
    """A run that cannot be sharded as asked (a user's setting, not a bug)."""


def fsdp_requested(setting: str) -> bool:
    """Whether to shard: `fsdp2` always, `none` never, `auto` when accelerate asked for FSDP2."""
    if setting == "fsdp2":
        return True
    if setting == "none":
        return False
    use_fsdp = os.environ.get("ACCELERATE_USE_FSDP", "").strip().lower() in ("1", "true")
    return use_fsdp and os.environ.get("FSDP_VERSION", "1").strip() == "2"


def device_mesh(device: torch.device) -> Any:
    """A 1-D mesh over every rank of the default process group (gloo on CPU, NCCL on GPU)."""
    from torch.distributed.device_mesh import init_device_mesh

    if not torch.distributed.is_initialized():
        raise ShardingError(
            "FSDP2 needs a distributed run: start it with `accelerate launch` (or torchrun)"
        )
    return init_device_mesh(device.type, (torch.distributed.get_world_size(),))


def block_classes(model: nn.Module) -> set[str]:
    """Class names of the transformer blocks that become their own FSDP units.

    Hugging Face models list them in `_no_split_modules` (decoder layers and vision blocks).
    """
    inner = unwrap_peft(model)
    names = set(getattr(inner, "_no_split_modules", None) or ())
    if not names:
        raise ShardingError(
            f"{type(inner).__name__} lists no _no_split_modules; zeroplay cannot tell which "
            "blocks to shard with FSDP2"
        )
    return names


def shard(root: nn.Module, model: nn.Module, mesh: Any, compute_dtype: torch.dtype | None) -> None:
    """`fully_shard` every transformer block of `model`, then `root` (which holds `model`).

    With `compute_dtype` (bf16/fp16) the gathered parameters are cast to it for the forward
    and gradients are reduced in fp32; the sharded parameters (master weights) keep their dtype.
    """
    from torch.distributed.fsdp import MixedPrecisionPolicy, fully_shard

    policy = MixedPrecisionPolicy()
    if compute_dtype is not None and compute_dtype != torch.float32:
        policy = MixedPrecisionPolicy(param_dtype=compute_dtype, reduce_dtype=torch.float32)
    wanted = block_classes(model)
    for module in list(model.modules()):
        if type(module).__name__ in wanted:
            fully_shard(module, mesh=mesh, mp_policy=policy)
    fully_shard(root, mesh=mesh, mp_policy=policy)


def is_sharded(module: nn.Module) -> bool:
    from torch.distributed.fsdp import FSDPModule

    return isinstance(module, FSDPModule)


def full_tensor(t: torch.Tensor) -> torch.Tensor:
    """The whole tensor behind a DTensor shard (a collective), or `t` itself."""
    from torch.distributed.tensor import DTensor

    return t.full_tensor() if isinstance(t, DTensor) else t


@torch.no_grad()
def refresh_rollout_copy(sharded: nn.Module, copy: nn.Module) -> None:
    """Copy the sharded model's current weights into its unsharded rollout copy.

    Gathers one parameter at a time (peak memory: one full parameter on top of the copy).
    Every rank must call this at the same point: each gather is a collective.
    """
    target = dict(copy.named_parameters())
    for name, param in sharded.named_parameters():
        full = full_tensor(param.detach())
        target[name].copy_(full.to(target[name].dtype))
    buffers = dict(copy.named_buffers())
    for name, buf in sharded.named_buffers():
        if name in buffers:
            buffers[name].copy_(full_tensor(buf).to(buffers[name].dtype))


def full_state_dict(model: nn.Module) -> dict[str, torch.Tensor]:
    """Every parameter and buffer of a sharded `model` as full CPU tensors, on every rank.

    A collective (one all-gather per parameter); used to write the Hugging Face weights.
    """
    out: dict[str, torch.Tensor] = {}
    for name, t in model.state_dict().items():
        out[name] = full_tensor(t.detach()).cpu()
    return out


def save_sharded(folder: Path, root: nn.Module, optimizer: torch.optim.Optimizer) -> None:
    """Write the model and optimizer shards of `root` to `folder` (collective; all ranks)."""
    import torch.distributed.checkpoint as dcp
    from torch.distributed.checkpoint.state_dict import get_state_dict

    model_state, optim_state = get_state_dict(root, optimizer)
    dcp.save({"model": model_state, "optim": optim_state}, checkpoint_id=str(folder))


def load_sharded(folder: Path, root: nn.Module, optimizer: torch.optim.Optimizer) -> None:
    """Read shards written by `save_sharded` into `root` and `optimizer` (collective)."""
    import torch.distributed.checkpoint as dcp
    from torch.distributed.checkpoint.state_dict import get_state_dict, set_state_dict

    model_state, optim_state = get_state_dict(root, optimizer)
    state = {"model": model_state, "optim": optim_state}
    dcp.load(state, checkpoint_id=str(folder))
    set_state_dict(
        root, optimizer, model_state_dict=state["model"], optim_state_dict=state["optim"]
    )
