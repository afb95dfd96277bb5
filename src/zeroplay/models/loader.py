"""Loading a policy: any `AutoModelForImageTextToText` model and its `AutoProcessor`.

A model is named by a local folder, a Hugging Face Hub id, or a tiny alias (`tiny`,
`tiny-llava`) that resolves to a cached offline build. Offline or unknown names fail at once with
a message that says what to do.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from zeroplay.models.tiny import TINY_ALIASES, cached_tiny
from zeroplay.models.toy_cache import TOY_NAME, ToyNotBuiltError, built_toy_path

# Module-name fragments that belong to the vision side of the supported VLM families; LoRA skips
# them by default and `freeze_vision` freezes them.
VISION_KEYWORDS = (
    "visual",
    "vision_tower",
    "vision_model",
    "vision_encoder",
    "multi_modal_projector",
    "mm_projector",
    "image_newline",
)
DEFAULT_LORA_TARGETS = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")


class ModelNotFoundError(RuntimeError):
    """A named model is neither a local folder, a tiny alias, nor reachable on the Hub."""


@dataclass(frozen=True)
class LoraSettings:
    """PEFT LoRA settings; `targets` are leaf module names, vision modules excluded unless asked."""

    r: int = 16
    alpha: int = 32
    dropout: float = 0.0
    targets: tuple[str, ...] = DEFAULT_LORA_TARGETS
    include_vision: bool = False


@dataclass(frozen=True)
class ModelSettings:
    """How to load a policy. `dtype="auto"` is fp32 on CPU and bf16 on GPU."""

    name: str = "tiny"
    dtype: str = "auto"
    device: str = "auto"
    freeze_vision: bool = False
    lora: LoraSettings | None = None
    adapters: tuple[str, ...] = field(default_factory=tuple)
    trust_remote_code: bool = False
    attn_implementation: str | None = None


def hub_offline() -> bool:
    """True when the user asked transformers / huggingface_hub not to reach the network."""
    return any(
        os.environ.get(var, "").strip().lower() in ("1", "true", "yes", "on")
        for var in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")
    )


def hub_reachable(timeout_s: float = 3.0) -> bool:
    """Whether a TCP connection to the Hub endpoint opens within `timeout_s` (no retries)."""
    import socket
    from urllib.parse import urlparse

    url = urlparse(os.environ.get("HF_ENDPOINT", "https://huggingface.co"))
    port = url.port or (443 if url.scheme == "https" else 80)
    try:
        with socket.create_connection((url.hostname or "", port), timeout=timeout_s):
            return True
    except OSError:
        return False


def resolve_model_path(name: str) -> str:
    """Turn a model name into something `from_pretrained` accepts, failing fast if it cannot.

    Tiny aliases build (once) into the user cache. Local folders must hold a `config.json`.
    Hub ids are checked with a cache-only lookup when offline.
    """
    if name in TINY_ALIASES:
        return str(cached_tiny(name))
    if name == TOY_NAME:
        try:
            return str(built_toy_path())
        except ToyNotBuiltError as exc:
            raise ModelNotFoundError(str(exc)) from None
    path = Path(name).expanduser()
    if path.exists():
        if not (path / "config.json").exists():
            raise ModelNotFoundError(
                f"model folder {str(path)!r} has no config.json; point --model at a folder saved "
                "with save_pretrained, a Hub id, or 'tiny'"
            )
        return str(path)
    looks_like_path = name.startswith((".", "/", "~")) or name.count("/") > 1
    if looks_like_path:
        raise ModelNotFoundError(f"model folder {name!r} does not exist")
    try:
        from huggingface_hub import try_to_load_from_cache

        cached = try_to_load_from_cache(name, "config.json")
    except Exception:  # a malformed repo id
        cached = None
    if isinstance(cached, str):
        return name
    if hub_offline():
        raise ModelNotFoundError(
            f"model {name!r} is not in the local Hugging Face cache and HF_HUB_OFFLINE is set; "
            "pass a local folder, download it first, or use 'tiny'"
        )
    if not hub_reachable():
        raise ModelNotFoundError(
            f"model {name!r} is not a local folder or in the Hugging Face cache, and the Hub "
            "cannot be reached from here; pass a local folder or use 'tiny'"
        )
    try:
        from transformers import AutoConfig

        AutoConfig.from_pretrained(name)
    except Exception as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ModelNotFoundError(
            f"model {name!r} is not a local folder and could not be fetched from the Hugging Face "
            f"Hub ({reason[:200]}); pass a local folder or use 'tiny'"
        ) from None
    return name


def pick_device(device: str = "auto") -> str:
    """`auto` is the local CUDA device when present, else CPU."""
    if device != "auto":
        return device
    import torch

    if torch.cuda.is_available():
        local_rank = int(os.environ.get("LOCAL_RANK", "0"))
        return f"cuda:{local_rank}"
    return "cpu"


def pick_dtype(dtype: str, device: str) -> Any:
    """`auto` is bf16 on CUDA and fp32 elsewhere; otherwise a torch dtype by name."""
    import torch

    if dtype == "auto":
        return torch.bfloat16 if device.startswith("cuda") else torch.float32
    names = {"float32": torch.float32, "fp32": torch.float32, "bfloat16": torch.bfloat16}
    names |= {"bf16": torch.bfloat16, "float16": torch.float16, "fp16": torch.float16}
    if dtype not in names:
        raise ValueError(f"unknown dtype {dtype!r}; choose from {sorted(names)} or 'auto'")
    return names[dtype]


def is_vision_module(name: str) -> bool:
    """True for modules of the vision tower or the vision-to-text projector."""
    return any(key in name.split(".") or key in name for key in VISION_KEYWORDS)


def lora_target_modules(model: Any, lora: LoraSettings) -> list[str]:
    """Full names of the linear modules LoRA should wrap (vision excluded unless asked)."""
    import torch

    names = [
        name
        for name, module in model.named_modules()
        if isinstance(module, torch.nn.Linear)
        and name.rsplit(".", 1)[-1] in lora.targets
        and (lora.include_vision or not is_vision_module(name))
    ]
    if not names:
        raise ValueError(f"no linear modules named {list(lora.targets)} found for LoRA")
    return names


def freeze_vision_tower(model: Any) -> int:
    """Freeze every parameter of the vision side; returns how many tensors were frozen."""
    frozen = 0
    for name, param in model.named_parameters():
        if is_vision_module(name):
            param.requires_grad_(False)
            frozen += 1
    return frozen


def load_processor(name: str, *, trust_remote_code: bool = False) -> Any:
    """The `AutoProcessor` of a model name (resolved like `load_policy`)."""
    from transformers import AutoProcessor

    return AutoProcessor.from_pretrained(
        resolve_model_path(name), trust_remote_code=trust_remote_code
    )


def load_policy(settings: ModelSettings) -> tuple[Any, Any]:
    """Load `(model, processor)`; with LoRA, returns a PEFT model with one adapter per name.

    `settings.adapters` names the LoRA adapters to create (one per role); with LoRA and no names a
    single adapter called "default" is made. The base weights are frozen under LoRA.
    """
    from transformers import AutoModelForImageTextToText, AutoProcessor

    path = resolve_model_path(settings.name)
    device = pick_device(settings.device)
    dtype = pick_dtype(settings.dtype, device)
    kwargs: dict[str, Any] = {"dtype": dtype, "trust_remote_code": settings.trust_remote_code}
    if settings.attn_implementation:
        kwargs["attn_implementation"] = settings.attn_implementation
    model = AutoModelForImageTextToText.from_pretrained(path, **kwargs).to(device)
    processor = AutoProcessor.from_pretrained(path, trust_remote_code=settings.trust_remote_code)
    if settings.freeze_vision:
        freeze_vision_tower(model)
    if settings.lora is not None:
        model = attach_lora(model, settings.lora, settings.adapters or ("default",))
    return model, processor


def attach_lora(model: Any, lora: LoraSettings, adapters: tuple[str, ...]) -> Any:
    """Wrap `model` with PEFT LoRA adapters named `adapters` (the first one active)."""
    from peft import LoraConfig, get_peft_model

    config = LoraConfig(
        r=lora.r,
        lora_alpha=lora.alpha,
        lora_dropout=lora.dropout,
        target_modules=lora_target_modules(model, lora),
        bias="none",
    )
    peft_model = get_peft_model(model, config, adapter_name=adapters[0])
    for name in adapters[1:]:
        peft_model.add_adapter(name, config)
    peft_model.set_adapter(adapters[0])
    return peft_model
