"""Model resolution and loading: tiny aliases, local folders, offline failures, LoRA, freezing."""

from __future__ import annotations

import pytest

from zeroplay.models.loader import (
    LoraSettings,
    ModelNotFoundError,
    ModelSettings,
    freeze_vision_tower,
    is_vision_module,
    load_policy,
    resolve_model_path,
)


def test_unknown_hub_model_fails_fast_offline(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(ModelNotFoundError, match=r"someone/does-not-exist.*tiny"):
        resolve_model_path("someone/does-not-exist")


def test_missing_local_folder(tmp_path):
    with pytest.raises(ModelNotFoundError, match="does not exist"):
        resolve_model_path(str(tmp_path / "nope" / "deeper"))


def test_folder_without_config(tmp_path):
    with pytest.raises(ModelNotFoundError, match=r"no config\.json"):
        resolve_model_path(str(tmp_path))


@pytest.mark.parametrize("alias", ["tiny", "tiny-llava"])
def test_lora_skips_vision_and_freezes_base(alias):
    model, _ = load_policy(
        ModelSettings(
            name=alias, device="cpu", lora=LoraSettings(r=4), adapters=("questioner", "reasoner")
        )
    )
    trainable = [n for n, p in model.named_parameters() if p.requires_grad]
    assert trainable, "the active adapter must be trainable"
    assert all("lora_" in n for n in trainable)
    assert not any(is_vision_module(n) for n in trainable)
    assert set(model.peft_config) == {"questioner", "reasoner"}


def test_freeze_vision(tiny_qwen):
    from zeroplay.models.loader import ModelSettings, load_policy

    model, _ = load_policy(ModelSettings(name="tiny", device="cpu", freeze_vision=True))
    frozen = {n for n, p in model.named_parameters() if not p.requires_grad}
    assert frozen and all(is_vision_module(n) for n in frozen)
    assert any("visual" in n for n in frozen)
    assert freeze_vision_tower(model) == len(frozen)
