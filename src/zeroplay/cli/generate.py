"""`zeroplay generate`: sample completions for one image and prompt (a model smoke check)."""

from __future__ import annotations

from pathlib import Path

import typer

from zeroplay.cli.common import console, fail, quiet_libraries


def open_image_or_fail(path: Path):
    """Open an image fully or exit with a one-line reason."""
    from PIL import Image, UnidentifiedImageError

    if not path.exists():
        fail(f"image file {str(path)!r} does not exist")
    if not path.is_file():
        fail(f"image path {str(path)!r} is not a file")
    try:
        with Image.open(path) as img:
            img.load()
            return img.convert("RGB")
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        fail(f"cannot read image {str(path)!r}: {exc}")


def generate(
    model: str = typer.Option("tiny", "--model", "-m", help="Local folder, Hub id, or 'tiny'."),
    image: list[Path] = typer.Option(
        [], "--image", "-i", help="Image file(s) shown before the prompt (repeatable)."
    ),
    prompt: str = typer.Option(..., "--prompt", "-p", help="The user message."),
    n: int = typer.Option(1, "-n", min=1, help="Completions to sample."),
    temperature: float = typer.Option(1.0, "--temperature", "-t", min=0.0, help="0 is greedy."),
    top_p: float = typer.Option(1.0, "--top-p", min=0.0, max=1.0),
    top_k: int = typer.Option(0, "--top-k", min=0, help="0 disables top-k."),
    max_new_tokens: int = typer.Option(64, "--max-new-tokens", "-k", min=1),
    seed: int = typer.Option(0, "--seed", help="Sampling seed (same seed, same output)."),
    device: str = typer.Option("auto", "--device", help="'auto', 'cpu', 'cuda', 'cuda:1', ..."),
    dtype: str = typer.Option("auto", "--dtype", help="'auto' (bf16 on GPU, fp32 on CPU), ..."),
) -> None:
    """Sample completions from MODEL for the given image(s) and prompt, and print them."""
    quiet_libraries()
    images = [open_image_or_fail(p) for p in image]
    from zeroplay.engines.hf import HFEngine
    from zeroplay.engines.request import ChatRequest, SamplingParams, user_message
    from zeroplay.models.loader import ModelNotFoundError, ModelSettings, load_policy

    try:
        policy, processor = load_policy(ModelSettings(name=model, device=device, dtype=dtype))
    except (ModelNotFoundError, ValueError) as exc:
        fail(str(exc))
    if top_p <= 0:
        fail("--top-p must be greater than 0")
    request = ChatRequest(
        [user_message(prompt, len(images))],
        images,
        SamplingParams(
            n=n,
            temperature=temperature,
            top_p=top_p,
            top_k=top_k,
            max_new_tokens=max_new_tokens,
            seed=seed,
        ),
    )
    completions = HFEngine(policy, processor, seed=seed).generate([request])[0]
    for c in completions:
        console.rule(f"completion {c.index + 1}/{n} · {c.num_tokens} tokens · {c.finish_reason}")
        console.print(c.text, markup=False, highlight=False)
