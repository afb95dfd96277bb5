"""The embedded tiny models build deterministically and load with plain transformers."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from zeroplay.models.tiny import TINY_ALIASES, build_tiny, cached_tiny


def _digests(folder: Path) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.iterdir())
        if p.is_file()
    }


@pytest.mark.slow
@pytest.mark.parametrize("alias", ["tiny", "tiny-llava"])
def test_build_is_byte_identical(tmp_path, alias):
    a = build_tiny(TINY_ALIASES[alias], tmp_path / "a")
    b = build_tiny(TINY_ALIASES[alias], tmp_path / "b")
    da, db = _digests(a), _digests(b)
    assert "model.safetensors" in da and "tokenizer.json" in da
    assert da == db


@pytest.mark.parametrize("alias", ["tiny", "tiny-llava"])
def test_loads_without_zeroplay_and_is_small(alias):
    from transformers import AutoModelForImageTextToText, AutoProcessor

    folder = cached_tiny(alias)
    model = AutoModelForImageTextToText.from_pretrained(folder)
    processor = AutoProcessor.from_pretrained(folder)
    assert sum(p.numel() for p in model.parameters()) < 5_000_000
    text = processor.apply_chat_template(
        [{"role": "user", "content": [{"type": "image"}, {"type": "text", "text": "colour?"}]}],
        add_generation_prompt=True,
        tokenize=False,
    )
    from PIL import Image

    out = processor(text=[text], images=[Image.new("RGB", (70, 50), "red")], return_tensors="pt")
    logits = model(**out).logits
    assert logits.shape[:2] == out["input_ids"].shape


def test_architectures_differ():
    import json

    qwen = json.loads((cached_tiny("tiny") / "config.json").read_text())
    llava = json.loads((cached_tiny("tiny-llava") / "config.json").read_text())
    assert qwen["model_type"] == "qwen2_5_vl"
    assert llava["model_type"] == "llava"


def test_build_refuses_non_empty_folder(tmp_path):
    (tmp_path / "x").write_text("keep me")
    with pytest.raises(FileExistsError):
        build_tiny(TINY_ALIASES["tiny"], tmp_path)
