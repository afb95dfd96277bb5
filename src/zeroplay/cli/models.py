"""`zeroplay models`: build and inspect the embedded tiny models."""

from __future__ import annotations

import shutil
from pathlib import Path

import typer

from zeroplay.cli.common import console, fail, quiet_libraries

app = typer.Typer(help="Build and locate models (the embedded offline tiny VLMs).")


@app.command("tiny", short_help="Build a tiny randomly initialised VLM offline; print where.")
def tiny(
    out: Path | None = typer.Option(
        None, "--out", help="Folder to write the model to (default: the user cache)."
    ),
    arch: str = typer.Option(
        "tiny", "--arch", help="Which tiny model: 'tiny' (Qwen2.5-VL) or 'tiny-llava'."
    ),
) -> None:
    """Build a tiny randomly initialised VLM offline and print where it is. The result is a
    normal Hugging Face folder: AutoModelForImageTextToText and AutoProcessor load it without
    zeroplay. The build is deterministic (same version, same bytes)."""
    from zeroplay.models.tiny import TINY_ALIASES, cached_tiny

    quiet_libraries()
    if arch not in TINY_ALIASES:
        fail(f"unknown tiny model {arch!r}; choose from {', '.join(sorted(TINY_ALIASES))}")
    if out is None:
        console.print(str(cached_tiny(arch)))
        return
    if out.exists() and any(out.iterdir()):
        fail(f"{out} exists and is not empty; choose an empty or new folder")
    source = cached_tiny(arch)
    out.mkdir(parents=True, exist_ok=True)
    for item in source.iterdir():
        shutil.copy2(item, out / item.name)
    console.print(str(out))


@app.command("toy", short_help="Build the warm-started `toy` VLM offline (once); print where.")
def toy(
    out: Path | None = typer.Option(
        None, "--out", help="Also copy the model to this folder (default: only the user cache)."
    ),
) -> None:
    """Build the `toy` VLM offline (once, cached) and print where it is: a
    Qwen2.5-VL-architecture model (head size 32) trained from scratch with `zeroplay train sft`
    on scenes, questions, charts and the three games' turns that zeroplay generates (warm-start
    seeds only, disjoint from every evaluation seed). About 15 minutes on 2 idle CPU cores; the
    same version and seed give the same weights on the same machine. Usable wherever a model is
    named."""
    from zeroplay.cli.toy_model import ensure_model
    from zeroplay.models.toy_cache import toy_path

    quiet_libraries()
    ensure_model("toy")
    source = toy_path()
    if out is None:
        console.print(str(source))
        return
    if out.exists() and any(out.iterdir()):
        fail(f"{out} exists and is not empty; choose an empty or new folder")
    out.mkdir(parents=True, exist_ok=True)
    for item in source.iterdir():
        shutil.copy2(item, out / item.name)
    console.print(str(out))
