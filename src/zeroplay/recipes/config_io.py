"""Recipe configs: YAML presets and files mapped onto strict pydantic models, plus overrides.

A run's config is built from (1) the recipe's defaults, (2) a preset or YAML file, (3) command
line `key=value` overrides with dotted keys (`trainer.optim.lr=1e-5`). Unknown keys and wrong
types are rejected with a message that names the key and the valid choices.
"""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from zeroplay.runtime.errors import ConfigError, to_yaml

__all__ = [
    "ConfigError",
    "deep_merge",
    "parse_overrides",
    "preset_names",
    "preset_summary",
    "read_preset",
    "read_yaml_file",
    "to_yaml",
    "validate",
]

M = TypeVar("M", bound=BaseModel)


def preset_names(recipe: str) -> list[str]:
    """Names of the presets shipped for `recipe` (file stems under zeroplay/configs/<recipe>/)."""
    folder = resources.files("zeroplay") / "configs" / recipe.replace("-", "_")
    if not folder.is_dir():
        return []
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".yaml"))


def preset_summary(recipe: str, name: str, width: int = 110) -> str:
    """The first sentence of a preset's leading comment, at most `width` characters (for --help)."""
    path = resources.files("zeroplay") / "configs" / recipe.replace("-", "_") / f"{name}.yaml"
    lines = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            break
        lines.append(line.lstrip("#").strip())
    text = " ".join(lines)
    if text.lower().startswith(f"{name}:"):
        text = text[len(name) + 1 :].strip()
    # End at the first ". " or ": " that leaves at least 40 characters (so "tiny: reproduces
    # nothing." is followed by what the preset does).
    cuts = [m.start() for m in re.finditer(r"[.:] ", text) if m.start() >= 40]
    sentence = text[: cuts[0] + (text[cuts[0]] == ".")] if cuts else text
    if len(sentence) > width:
        sentence = sentence[: width - 3].rsplit(" ", 1)[0].rstrip(",;") + "..."
    return sentence


def read_preset(recipe: str, name: str) -> dict[str, Any]:
    """The mapping in preset `name` of `recipe`."""
    names = preset_names(recipe)
    if name not in names:
        raise ConfigError(f"unknown preset {name!r} for {recipe}; choose from {', '.join(names)}")
    path = resources.files("zeroplay") / "configs" / recipe.replace("-", "_") / f"{name}.yaml"
    return _mapping(yaml.safe_load(path.read_text(encoding="utf-8")), f"preset {name}")


def read_yaml_file(path: str | Path) -> dict[str, Any]:
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"config file {str(path)!r} does not exist")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ConfigError(f"config file {str(path)!r} is not valid YAML: {exc}") from None
    return _mapping(data, str(path))


def _mapping(data: Any, where: str) -> dict[str, Any]:
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{where} must hold a mapping of keys to values")
    return data


def deep_merge(base: dict[str, Any], update: dict[str, Any]) -> dict[str, Any]:
    """`update` laid over `base`, merging nested mappings."""
    out = dict(base)
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def _over_defaults(defaults: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    """`data` merged over `defaults`, except that a section whose `kind` changes (e.g. another
    advantage estimator) is taken from `data` alone: the old kind's knobs do not apply to it."""
    out = dict(defaults)
    for key, value in data.items():
        base = out.get(key)
        if isinstance(value, dict) and isinstance(base, dict):
            changed_kind = "kind" in value and "kind" in base and value["kind"] != base["kind"]
            out[key] = value if changed_kind else _over_defaults(base, value)
        else:
            out[key] = value
    return out


def parse_overrides(items: list[str]) -> dict[str, Any]:
    """`["a.b=1", "c=[1, 2]"]` -> `{"a": {"b": 1}, "c": [1, 2]}` (values parsed as YAML)."""
    tree: dict[str, Any] = {}
    for item in items:
        if "=" not in item:
            raise ConfigError(
                f"override {item!r} must look like key=value (e.g. trainer.optim.lr=1e-5)"
            )
        key, raw = item.split("=", 1)
        key = key.strip()
        if not key or any(not part for part in key.split(".")):
            raise ConfigError(f"override {item!r} has an empty key")
        try:
            value = yaml.safe_load(raw) if raw.strip() else ""
        except yaml.YAMLError:
            value = raw
        node = tree
        parts = key.split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise ConfigError(f"override {item!r} conflicts with another override")
        node[parts[-1]] = value
    return tree


def _valid_keys(model: type[BaseModel], prefix: str = "") -> list[str]:
    return [f"{prefix}{name}" for name in model.model_fields]


def _field_model(model: type[BaseModel], path: tuple[Any, ...]) -> type[BaseModel] | None:
    """The model class at `path` inside `model` (for listing valid keys)."""
    current: Any = model
    for part in path:
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return None
        field = current.model_fields.get(str(part))
        if field is None:
            return None
        current = field.annotation
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def validate(model: type[M], data: dict[str, Any]) -> M:
    """Build `model` from `data`, turning pydantic errors into one readable ConfigError.

    `data` is laid over the recipe's own defaults first, so a partial section (say
    `trainer: {optim: {lr: 1e-5}}`) keeps the recipe's other values (its KL coefficient, clip
    range, ...) instead of falling back to the section class's generic defaults.
    """
    try:
        defaults = model().model_dump(mode="python", round_trip=True)
    except ValidationError:
        defaults = {}
    data = _over_defaults(defaults, data)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            loc = tuple(err["loc"])
            key = ".".join(str(p) for p in loc)
            if err["type"] == "extra_forbidden":
                parent = _field_model(model, loc[:-1]) or model
                valid = ", ".join(parent.model_fields)
                lines.append(f"unknown key {key!r}; valid keys here: {valid}")
            elif isinstance(err.get("input"), dict):
                # A cross-field check of a whole section: its message names the fields; the
                # section's values would bury it.
                message = err["msg"].removeprefix("Value error, ")
                lines.append(f"{key}: {message}" if key else message)
            else:
                lines.append(f"{key}: {err['msg']} (got {err.get('input')!r})")
        raise ConfigError("; ".join(lines)) from None
