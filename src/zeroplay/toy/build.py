"""Build the `toy` VLM offline: a Qwen2.5-VL-architecture model trained from scratch with
zeroplay's own SFT on zeroplay's own generated data (see `corpus`).

Steps (each seeded, so the same version and seed on the same machine give the same weights):
1. a byte-level BPE tokenizer trained on the corpus's texts; merges may cross spaces but never a
   newline, so the games' long fixed instructions cost few tokens (a CPU-sized model reads whole
   game prompts) while the assistant's answer never merges with the prompt before it;
2. a randomly initialised model (head size 32: vLLM's CPU attention refuses 16);
3. the two warm-start corpora rendered into a temporary folder (see `corpus`);
4. `zeroplay train sft` (the same recipe users run, full weights) twice: first on the short
   grounding records, many steps, so the from-scratch vision tower gets read at all; then,
   from those weights, on the main corpus (questions and the games' formats);
5. the final weights and processor copied to the cache (or `--out`).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from zeroplay.models.tiny import QWEN_SPECIALS, qwen_vl_model, qwen_vl_processor
from zeroplay.models.tiny_corpus import corpus_text
from zeroplay.models.toy_cache import toy_is_built, toy_path
from zeroplay.toy.corpus import (
    TOY_MAX_PIXELS,
    CorpusSpec,
    corpus_texts,
    write_corpus,
    write_grounding_corpus,
)

Progress = Callable[[str, int, int], None]  # (stage, done, total)


@dataclass(frozen=True)
class ToySpec:
    """Sizes, corpus and SFT settings of a toy build (the default is the cached `toy`)."""

    seed: int = 0
    bpe_vocab: int = 2048
    max_token_chars: int = 24
    hidden: int = 192
    layers: int = 4
    heads: int = 6
    kv_heads: int = 2
    intermediate: int = 576
    vision_hidden: int = 64
    vision_layers: int = 2
    vision_heads: int = 2
    corpus: CorpusSpec = field(default_factory=CorpusSpec)
    lr: float = 2e-3
    grounding_epochs: float = 10.0  # ~630 steps over the 2000 grounding records
    epochs: float = 2.0  # over the main corpus
    batch_size: int = 32
    micro_batch_size: int = 16
    # Passes of at most this many padded tokens, records longest first (measured on the r9
    # corpus: 0.57-0.61 of the main stage's step time with passes of 16 in drawing order).
    micro_batch_tokens: int | None = 2048

    def scaled_down(self) -> ToySpec:
        """A seconds-long build with the same code path (tests)."""
        small = CorpusSpec(
            scenes=12,
            questions_per_scene=1,
            pairs=12,
            grounding_scenes=8,
            mm_zero_charts=2,
            game=self.corpus.game,
        )
        return replace(
            self,
            bpe_vocab=700,
            hidden=64,
            layers=1,
            heads=2,
            kv_heads=1,
            intermediate=128,
            vision_hidden=64,
            vision_layers=1,
            vision_heads=2,
            corpus=small,
            grounding_epochs=1.0,
            epochs=1.0,
            batch_size=8,
            micro_batch_size=8,
        )


def train_tokenizer(texts: list[str], vocab_size: int, max_token_chars: int) -> Any:
    """Byte-level BPE over the texts; newlines are isolated so no token spans two lines."""
    from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Split(Regex(r"\n"), behavior="isolated"),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
        ]
    )
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=list(QWEN_SPECIALS),
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        max_token_length=max_token_chars,
        show_progress=False,
    )
    tok.train_from_iterator(texts, trainer=trainer)
    return PreTrainedTokenizerFast(
        tokenizer_object=tok,
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
        unk_token=None,
        additional_special_tokens=[
            s for s in QWEN_SPECIALS if s not in ("<|im_end|>", "<|endoftext|>")
        ],
        clean_up_tokenization_spaces=False,
    )


def init_model(spec: ToySpec, tokenizer: Any, out: Path) -> None:
    """Save a randomly initialised Qwen2.5-VL model and its processor to `out`."""
    model = qwen_vl_model(spec, tokenizer)
    _match_image_scale(model, spec.seed)
    # 168x126 scenes become 168x112 (6x4 = 24 merged image tokens); never more than 168x168.
    processor = qwen_vl_processor(tokenizer, 56 * 56, TOY_MAX_PIXELS)
    model.save_pretrained(out)
    processor.save_pretrained(out)


def _match_image_scale(model: Any, seed: int) -> None:
    """Scale the vision merger's output layer so image embeddings start at the size of token
    embeddings.

    At random init the merger's outputs are ~100x larger than the token embeddings; the image
    positions' residual stream is then the raw, nearly image-independent merger output and a
    model trained from scratch learns the text prior and ignores the picture (measured: the
    same description for every image). Matching the scales lets the language model's layers
    work on the image positions from the first step.
    """
    import torch

    generator = torch.Generator().manual_seed(seed)
    merger_out = model.model.visual.merger.mlp[-1]
    pixels = torch.rand((96, 3 * 2 * 14 * 14), generator=generator)
    grid = torch.tensor([[1, 8, 12]])
    with torch.no_grad():
        out = model.model.visual(pixels, grid_thw=grid)
        image = out.pooler_output if hasattr(out, "pooler_output") else out
        tokens = model.model.language_model.embed_tokens.weight
        factor = float(tokens.norm(dim=-1).mean() / image.norm(dim=-1).mean())
        merger_out.weight.mul_(factor)
        if merger_out.bias is not None:
            merger_out.bias.mul_(factor)


def _sft_config(spec: ToySpec, model_dir: Path, corpus: Path, epochs: float) -> Any:
    from zeroplay.recipes.common import RunSection
    from zeroplay.recipes.sft_config import Config, SftDataSection, SftModelSection, SftTrainSection
    from zeroplay.rl.config import OptimConfig

    return Config(
        model=SftModelSection(name=str(model_dir), mode="shared", dtype="float32", device="cpu"),
        run=RunSection(seed=spec.seed, save_every=0, keep_last=1),
        data=SftDataSection(path=str(corpus)),
        train=SftTrainSection(
            optim=OptimConfig(
                lr=spec.lr,
                schedule="cosine",
                warmup_ratio=0.03,
                weight_decay=0.01,
                max_grad_norm=1.0,
            ),
            batch_size=spec.batch_size,
            micro_batch_size=spec.micro_batch_size,
            micro_batch_tokens=spec.micro_batch_tokens,
            epochs=epochs,
            mixed_precision="no",
        ),
    )


def _sft_stage(spec: ToySpec, model_dir: Path, corpus: Path, epochs: float, run_dir: Path) -> Path:
    """One `train sft` run from `model_dir` on `corpus`; returns its final policy folder."""
    from zeroplay.recipes.sft import SftRun
    from zeroplay.rl.checkpoint import latest_checkpoint

    run = SftRun(_sft_config(spec, model_dir, corpus, epochs), run_dir)
    run.resume()
    run.train()
    final = latest_checkpoint(run_dir)
    assert final is not None, "the SFT run wrote no checkpoint"
    return final / "policy"


def build_toy(spec: ToySpec, out: str | os.PathLike[str], work: Path | None = None) -> Path:
    """Build the toy described by `spec` into `out` (must be absent or empty)."""
    import torch

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    if any(out.iterdir()):
        raise FileExistsError(f"{out} is not empty")
    own_work = work is None
    work = Path(tempfile.mkdtemp(prefix="zeroplay-toy-")) if work is None else work
    threads = torch.get_num_threads()
    try:
        torch.manual_seed(spec.seed)
        texts = corpus_texts(spec.corpus) + corpus_text().splitlines()
        tokenizer = train_tokenizer(texts, spec.bpe_vocab, spec.max_token_chars)
        init_dir = work / "init"
        init_model(spec, tokenizer, init_dir)
        from rich.progress import Progress

        with Progress(transient=True) as bar:
            total = spec.corpus.grounding_scenes + spec.corpus.scenes + spec.corpus.pairs
            task = bar.add_task("toy corpora", total=total)
            grounding = write_grounding_corpus(
                work / "grounding", spec.corpus, lambda n: bar.advance(task, n)
            )
            corpus = write_corpus(work / "corpus", spec.corpus, lambda n: bar.advance(task, n))
        grounded = _sft_stage(spec, init_dir, grounding, spec.grounding_epochs, work / "sft-ground")
        final = _sft_stage(spec, grounded, corpus, spec.epochs, work / "sft")
        for item in final.iterdir():
            shutil.copy2(item, out / item.name)
        shutil.copy2(work / "sft-ground" / "metrics.jsonl", out / "sft_grounding_metrics.jsonl")
        shutil.copy2(work / "sft" / "metrics.jsonl", out / "sft_metrics.jsonl")
    finally:
        torch.set_num_threads(threads)
        if own_work:
            shutil.rmtree(work, ignore_errors=True)
    return out


def cached_toy(spec: ToySpec | None = None) -> Path:
    """The cached toy build, building it first if needed (the first rename wins)."""
    if toy_is_built():
        return toy_path()
    target = toy_path()
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".toy-build-", dir=target.parent))
    try:
        build_toy(spec or ToySpec(), tmp / "model")
        try:
            os.rename(tmp / "model", target)
        except OSError:
            if not toy_is_built():
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target
