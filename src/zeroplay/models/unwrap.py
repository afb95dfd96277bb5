"""The transformers model inside a PEFT wrapper, for code that reads its modules or config."""

from __future__ import annotations

from typing import Any


def unwrap_peft(model: Any) -> Any:
    """The model a PEFT wrapper holds (`get_base_model()`), or `model` itself when unwrapped."""
    get_base = getattr(model, "get_base_model", None)
    return get_base() if callable(get_base) else model
