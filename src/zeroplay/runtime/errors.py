"""The one user-facing error of a run's set-up, and the resolved config as YAML."""

from __future__ import annotations

import yaml
from pydantic import BaseModel


class ConfigError(ValueError):
    """A config that cannot be used; the message says which key and why."""


def to_yaml(model: BaseModel) -> str:
    """Every resolved value, as YAML (written to RUN_DIR/config.yaml)."""
    return yaml.safe_dump(model.model_dump(mode="json"), sort_keys=False)
