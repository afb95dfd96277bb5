"""Embedded tiny VLMs: built offline, deterministically, and saved in plain Hugging Face format.

Two architectures, so nothing in zeroplay assumes one model family:

- `tiny` (alias `tiny-qwen2.5-vl`): Qwen2.5-VL (M-RoPE, patch-merged vision tokens, ChatML).
- `tiny-llava`: LLaVA (CLIP vision tower, one token per patch, a different chat format and EOS).
- `tiny-hd32`: the Qwen2.5-VL build with two 32-wide attention heads instead of four 16-wide ones,
  for vLLM, whose CPU attention refuses head sizes under 32.

Each build trains a byte-level BPE tokenizer on the built-in corpus (`tiny_corpus`), creates a
randomly initialised model from a fixed seed and writes it with `save_pretrained`, so
`AutoModelForImageTextToText.from_pretrained(dir)` and `AutoProcessor.from_pretrained(dir)` load
it without zeroplay. Same zeroplay version and seed give byte-identical files.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from zeroplay import __version__
from zeroplay.models.tiny_corpus import corpus_text

QWEN_SPECIALS = (
    "<|endoftext|>",
    "<|im_start|>",
    "<|im_end|>",
    "<|object_ref_start|>",
    "<|object_ref_end|>",
    "<|box_start|>",
    "<|box_end|>",
    "<|quad_start|>",
    "<|quad_end|>",
    "<|vision_start|>",
    "<|vision_end|>",
    "<|vision_pad|>",
    "<|image_pad|>",
    "<|video_pad|>",
)
LLAVA_SPECIALS = ("<|endoftext|>", "<|user|>", "<|assistant|>", "<|system|>", "<|end|>", "<image>")

# ChatML, as Qwen models use; content may be a string or a list of {"type": "image"|"text"} parts.
QWEN_CHAT_TEMPLATE = (
    "{%- for message in messages -%}"
    "{{- '<|im_start|>' + message['role'] + '\\n' -}}"
    "{%- if message['content'] is string -%}{{- message['content'] -}}"
    "{%- else -%}{%- for part in message['content'] -%}"
    "{%- if part['type'] == 'image' -%}{{- '<|vision_start|><|image_pad|><|vision_end|>' -}}"
    "{%- elif part['type'] == 'text' -%}{{- part['text'] -}}{%- endif -%}"
    "{%- endfor -%}{%- endif -%}"
    "{{- '<|im_end|>\\n' -}}"
    "{%- endfor -%}"
    "{%- if add_generation_prompt -%}{{- '<|im_start|>assistant\\n' -}}{%- endif -%}"
)

# A deliberately different format (role tags, `<|end|>` as EOS, image token before the text).
LLAVA_CHAT_TEMPLATE = (
    "{%- for message in messages -%}"
    "{{- '<|' + message['role'] + '|>\\n' -}}"
    "{%- if message['content'] is string -%}{{- message['content'] -}}"
    "{%- else -%}{%- for part in message['content'] -%}"
    "{%- if part['type'] == 'image' -%}{{- '<image>\\n' -}}"
    "{%- elif part['type'] == 'text' -%}{{- part['text'] -}}{%- endif -%}"
    "{%- endfor -%}{%- endif -%}"
    "{{- '<|end|>\\n' -}}"
    "{%- endfor -%}"
    "{%- if add_generation_prompt -%}{{- '<|assistant|>\\n' -}}{%- endif -%}"
)


@dataclass(frozen=True)
class TinySpec:
    """What a tiny build is: its architecture, sizes and seed (all part of the cache key)."""

    arch: str  # "qwen2_5_vl" | "llava"
    seed: int = 0
    bpe_vocab: int = 640
    hidden: int = 64
    layers: int = 2
    heads: int = 4
    kv_heads: int = 2
    intermediate: int = 128
    vision_hidden: int = 32
    vision_layers: int = 2
    vision_heads: int = 2

    @property
    def key(self) -> str:
        """Cache folder name; changes whenever the build could produce different bytes."""
        digest = hashlib.sha256(repr(self).encode()).hexdigest()[:10]
        return f"tiny-{self.arch}-v{__version__}-{digest}"


TINY_ALIASES: dict[str, TinySpec] = {
    "tiny": TinySpec("qwen2_5_vl"),
    "tiny-qwen2.5-vl": TinySpec("qwen2_5_vl"),
    "tiny-llava": TinySpec("llava"),
    "tiny-hd32": TinySpec("qwen2_5_vl", heads=2, kv_heads=1),
}


def _train_tokenizer(specials: tuple[str, ...], vocab_size: int, eos: str, pad: str):
    """A byte-level BPE tokenizer trained on the built-in corpus, wrapped for transformers."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=list(specials),
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(corpus_text().splitlines(), trainer=trainer)
    return PreTrainedTokenizerFast(
        tokenizer_object=tok,
        eos_token=eos,
        pad_token=pad,
        unk_token=None,
        additional_special_tokens=[s for s in specials if s not in (eos, pad)],
        clean_up_tokenization_spaces=False,
    )


class QwenSizes(Protocol):
    """The sizes a Qwen2.5-VL build reads (TinySpec and the toy's spec both have them)."""

    seed: int
    hidden: int
    layers: int
    heads: int
    kv_heads: int
    intermediate: int
    vision_hidden: int
    vision_layers: int
    vision_heads: int


def qwen_vl_model(sizes: QwenSizes, tokenizer: Any) -> Any:
    """A randomly initialised Qwen2.5-VL (seeded by `sizes.seed`) for `tokenizer`, whose chat
    template is set to ChatML here."""
    import torch
    from transformers import Qwen2_5_VLConfig, Qwen2_5_VLForConditionalGeneration

    tokenizer.chat_template = QWEN_CHAT_TEMPLATE
    ids = {t: tokenizer.convert_tokens_to_ids(t) for t in QWEN_SPECIALS}
    head_dim = sizes.hidden // sizes.heads
    quarter = head_dim // 2 // 4
    config = Qwen2_5_VLConfig(
        text_config={
            "vocab_size": len(tokenizer),
            "hidden_size": sizes.hidden,
            "num_hidden_layers": sizes.layers,
            "num_attention_heads": sizes.heads,
            "num_key_value_heads": sizes.kv_heads,
            "intermediate_size": sizes.intermediate,
            "max_position_embeddings": 4096,
            # M-RoPE splits the rotary half-dimension into (temporal, height, width) sections.
            "rope_parameters": {
                "rope_type": "default",
                "rope_theta": 10000.0,
                "mrope_section": [head_dim // 2 - 2 * quarter, quarter, quarter],
            },
            "bos_token_id": None,
            "eos_token_id": ids["<|im_end|>"],
            "pad_token_id": ids["<|endoftext|>"],
            "tie_word_embeddings": False,
        },
        vision_config={
            "depth": sizes.vision_layers,
            "hidden_size": sizes.vision_hidden,
            "intermediate_size": 2 * sizes.vision_hidden,
            "num_heads": sizes.vision_heads,
            "out_hidden_size": sizes.hidden,
            "patch_size": 14,
            "spatial_merge_size": 2,
            "temporal_patch_size": 2,
            "window_size": 56,
            "fullatt_block_indexes": [sizes.vision_layers - 1],
        },
        image_token_id=ids["<|image_pad|>"],
        video_token_id=ids["<|video_pad|>"],
        vision_start_token_id=ids["<|vision_start|>"],
        vision_end_token_id=ids["<|vision_end|>"],
        tie_word_embeddings=False,
    )
    torch.manual_seed(sizes.seed)
    model = Qwen2_5_VLForConditionalGeneration(config).eval()
    model.generation_config.eos_token_id = ids["<|im_end|>"]
    model.generation_config.pad_token_id = ids["<|endoftext|>"]
    model.generation_config.bos_token_id = None
    return model


def qwen_vl_processor(tokenizer: Any, min_pixels: int, max_pixels: int) -> Any:
    """A Qwen2.5-VL processor (patch 14, merge 2) resizing images into [min, max] pixels."""
    from transformers import Qwen2_5_VLProcessor, Qwen2VLImageProcessor, Qwen2VLVideoProcessor

    kwargs = {
        "size": {"shortest_edge": min_pixels, "longest_edge": max_pixels},
        "patch_size": 14,
        "temporal_patch_size": 2,
        "merge_size": 2,
    }
    return Qwen2_5_VLProcessor(
        image_processor=Qwen2VLImageProcessor(**kwargs),
        tokenizer=tokenizer,
        video_processor=Qwen2VLVideoProcessor(**kwargs),
        chat_template=QWEN_CHAT_TEMPLATE,
    )


def _build_qwen(spec: TinySpec, out: Path) -> None:
    tokenizer = _train_tokenizer(QWEN_SPECIALS, spec.bpe_vocab, "<|im_end|>", "<|endoftext|>")
    model = qwen_vl_model(spec, tokenizer)
    # 28-pixel factor (patch 14 x merge 2): images become 1..16 merged tokens (56x56 .. 112x112).
    processor = qwen_vl_processor(tokenizer, 28 * 28, 112 * 112)
    model.save_pretrained(out)
    processor.save_pretrained(out)


def _build_llava(spec: TinySpec, out: Path) -> None:
    import torch
    from transformers import (
        CLIPImageProcessor,
        CLIPVisionConfig,
        LlamaConfig,
        LlavaConfig,
        LlavaForConditionalGeneration,
        LlavaProcessor,
    )

    tokenizer = _train_tokenizer(LLAVA_SPECIALS, spec.bpe_vocab, "<|end|>", "<|endoftext|>")
    tokenizer.chat_template = LLAVA_CHAT_TEMPLATE
    end_id = tokenizer.convert_tokens_to_ids("<|end|>")
    pad_id = tokenizer.convert_tokens_to_ids("<|endoftext|>")
    config = LlavaConfig(
        vision_config=CLIPVisionConfig(
            hidden_size=spec.vision_hidden,
            intermediate_size=2 * spec.vision_hidden,
            num_hidden_layers=spec.vision_layers,
            num_attention_heads=spec.vision_heads,
            image_size=56,
            patch_size=14,
            projection_dim=spec.vision_hidden,
        ),
        text_config=LlamaConfig(
            vocab_size=len(tokenizer),
            hidden_size=spec.hidden,
            num_hidden_layers=spec.layers,
            num_attention_heads=spec.heads,
            num_key_value_heads=spec.kv_heads,
            intermediate_size=spec.intermediate,
            max_position_embeddings=4096,
            bos_token_id=None,
            eos_token_id=end_id,
            pad_token_id=pad_id,
            tie_word_embeddings=False,
        ),
        image_token_id=tokenizer.convert_tokens_to_ids("<image>"),
        vision_feature_select_strategy="default",
        vision_feature_layer=-1,
        tie_word_embeddings=False,
    )
    torch.manual_seed(spec.seed)
    model = LlavaForConditionalGeneration(config).eval()
    model.generation_config.eos_token_id = end_id
    model.generation_config.pad_token_id = pad_id
    model.generation_config.bos_token_id = None
    image_processor = CLIPImageProcessor(
        size={"shortest_edge": 56}, crop_size={"height": 56, "width": 56}
    )
    processor = LlavaProcessor(
        image_processor=image_processor,
        tokenizer=tokenizer,
        patch_size=14,
        vision_feature_select_strategy="default",
        num_additional_image_tokens=1,
        image_token="<image>",
        chat_template=LLAVA_CHAT_TEMPLATE,
    )
    model.save_pretrained(out)
    processor.save_pretrained(out)


def build_tiny(spec: TinySpec, out: str | os.PathLike[str]) -> Path:
    """Build the tiny model described by `spec` into `out` (created; must not exist or be empty)."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    if any(out.iterdir()):
        raise FileExistsError(f"{out} is not empty")
    builders = {"qwen2_5_vl": _build_qwen, "llava": _build_llava}
    if spec.arch not in builders:
        raise ValueError(f"unknown tiny architecture {spec.arch!r}; choose from {sorted(builders)}")
    builders[spec.arch](spec, out)
    return out


def cache_dir() -> Path:
    """Where zeroplay caches built artefacts: $ZEROPLAY_CACHE, else $XDG_CACHE_HOME/zeroplay."""
    if env := os.environ.get("ZEROPLAY_CACHE"):
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "zeroplay"


def cached_tiny(name: str = "tiny") -> Path:
    """Path of the cached build for a tiny alias, building it on first use.

    Safe under concurrent callers (e.g. several data-parallel ranks): each builds into its own
    temporary folder and the first rename wins.
    """
    spec = TINY_ALIASES[name]
    target = cache_dir() / spec.key
    if (target / "config.json").exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{spec.key}-", dir=target.parent))
    try:
        build_tiny(spec, tmp)
        try:
            os.rename(tmp, target)
        except OSError:
            if not (target / "config.json").exists():
                raise
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return target
