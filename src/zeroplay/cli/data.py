"""`zeroplay data`: generate, import and inspect unlabeled image pairs."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from zeroplay.cli.common import console, fail

if TYPE_CHECKING:
    from zeroplay.data.runner import PairMaker

app = typer.Typer(
    help=(
        "Make image pairs for self-play (CLEVR-style scenes, toy scenes, charts, edits of your "
        "photos), import existing pairs or image folders, and inspect a pair folder."
    ),
    no_args_is_help=True,
)

WORKERS_HELP = "Worker processes (default: one per CPU core). Output does not depend on it."
SEED_HELP = "Seed; pair i is made from (seed, i) alone, so the same seed gives the same folder."
PAIRS_HELP = "How many pairs the folder should hold; finished pairs are kept (resume)."
OUT_HELP = "Output folder (created if missing; rerun the same command to resume)."


@contextmanager
def _progress_bar(description: str) -> Iterator[Callable[[int, int], None]]:
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console, transient=False) as progress:
        task = progress.add_task(description, total=None)

        def update(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        yield update


def _check_choices(values: list[str], allowed: tuple[str, ...], option: str) -> tuple[str, ...]:
    for value in values:
        if value not in allowed:
            raise typer.BadParameter(
                f"{value!r} is not one of {', '.join(allowed)}", param_hint=option
            )
    return tuple(dict.fromkeys(values))


def _workers(value: int | None) -> int:
    from zeroplay.data.runner import default_workers

    if value is None:
        return default_workers()
    if value < 1:
        raise typer.BadParameter("must be at least 1", param_hint="--workers")
    return value


def _run(maker: PairMaker, out: Path, pairs: int, workers: int, description: str) -> None:
    """Run a pair maker with a progress bar and print a one-paragraph report."""
    from zeroplay.data.clevr.variant import RenderUnavailable
    from zeroplay.data.manifest import ManifestMismatch, ensure_manifest
    from zeroplay.data.runner import generate_pairs

    if pairs < 0:
        raise typer.BadParameter("must be >= 0", param_hint="--pairs")
    started = time.perf_counter()
    try:
        # Check the folder before drawing a progress bar, so a mismatch is one clean line.
        ensure_manifest(out, maker.domain, maker.settings())
        with _progress_bar(description) as update:
            report = generate_pairs(maker, out, pairs, workers=workers, progress=update)
    except (ManifestMismatch, RenderUnavailable, OSError, RuntimeError) as error:
        fail(str(error))
    seconds = time.perf_counter() - started
    rate = f", {report.made / seconds * 60:.1f} pairs/min" if report.made else ""
    console.print(
        f"{out}: made {report.made}, already done {report.already_done}, "
        f"skipped {len(report.skipped)} in {seconds:.1f} s{rate}"
    )
    if report.edits:
        console.print("edits: " + ", ".join(f"{k} {v}" for k, v in sorted(report.edits.items())))
    for outcome in report.skipped[:10]:
        console.print(f"  skipped pair {outcome.index}: {outcome.reason}", highlight=False)
    if len(report.skipped) > 10:
        console.print(f"  ... and {len(report.skipped) - 10} more")


@app.command("clevr")
def clevr(
    out: Path = typer.Option(..., "--out", help=OUT_HELP),
    pairs: int = typer.Option(100, "--pairs", help=PAIRS_HELP),
    seed: int = typer.Option(0, "--seed", help=SEED_HELP),
    workers: int | None = typer.Option(None, "--workers", help=WORKERS_HELP),
    edit: list[str] = typer.Option(
        ["color_shape"],
        "--edit",
        help="Edit kind, repeatable (drawn uniformly per pair): color_shape (Vision-Zero: "
        "2 objects get a new colour and shape), attribute, remove, add, move.",
    ),
    edit_count: int | None = typer.Option(
        None,
        "--edit-count",
        help="Objects each edit touches (default: 2 for color_shape, 1 for the others).",
    ),
    min_objects: int = typer.Option(4, "--min-objects", help="Fewest objects in a scene."),
    max_objects: int = typer.Option(6, "--max-objects", help="Most objects in a scene."),
    width: int = typer.Option(320, "--width", help="Image width in pixels."),
    height: int = typer.Option(240, "--height", help="Image height in pixels."),
    spp: int = typer.Option(16, "--spp", help="Path-tracing samples per pixel."),
    max_depth: int = typer.Option(
        3, "--max-depth", help="Longest light path (2 = direct light, 3 = one bounce)."
    ),
    denoise: bool = typer.Option(
        True, "--denoise/--no-denoise", help="Edge-aware smoothing of sampling noise."
    ),
    variant: str = typer.Option(
        "auto",
        "--variant",
        help="Mitsuba variant; 'auto' takes the fastest that works "
        "(cuda_ad_rgb, llvm_ad_rgb, scalar_rgb).",
    ),
    min_visible_pixels: int = typer.Option(
        100,
        "--min-visible-pixels",
        help="Least visible pixels per object at 320x240 (scaled by area); scenes with a "
        "more hidden object are redrawn.",
    ),
) -> None:
    """CLEVR-style scene pairs rendered with Mitsuba 3 (needs the `render` extra)."""
    from zeroplay.data.clevr.edits import EDIT_KINDS
    from zeroplay.data.clevr.pairs import ClevrPairConfig, ClevrPairMaker
    from zeroplay.data.clevr.render import RenderConfig
    from zeroplay.data.clevr.scene import SceneConfig
    from zeroplay.data.clevr.variant import RenderUnavailable, resolve_variant

    kinds = _check_choices(edit, EDIT_KINDS, "--edit")
    n_workers = _workers(workers)
    try:
        resolved = resolve_variant(variant)
        config = ClevrPairConfig(
            seed=seed,
            scene=SceneConfig(
                min_objects=min_objects,
                max_objects=max_objects,
                width=width,
                height=height,
                min_visible_pixels=min_visible_pixels,
            ),
            render=RenderConfig(spp=spp, max_depth=max_depth, variant=resolved),
            edits=kinds,
            edit_count=edit_count,
            denoise=denoise,
        )
    except RenderUnavailable as error:
        fail(str(error))
    except ValueError as error:
        raise typer.BadParameter(str(error)) from error
    console.print(f"rendering with Mitsuba variant {resolved}", highlight=False)
    _run(ClevrPairMaker(config), out, pairs, n_workers, "scene pairs")


@app.command("charts")
def charts(
    out: Path = typer.Option(..., "--out", help=OUT_HELP),
    pairs: int = typer.Option(100, "--pairs", help=PAIRS_HELP),
    seed: int = typer.Option(0, "--seed", help=SEED_HELP),
    workers: int | None = typer.Option(None, "--workers", help=WORKERS_HELP),
    chart_type: list[str] = typer.Option(
        ["bar", "grouped_bar", "line", "pie", "scatter"],
        "--chart-type",
        help="Chart type, repeatable (drawn uniformly): bar, grouped_bar, line, pie, scatter.",
    ),
    edit: list[str] = typer.Option(
        ["swap_values", "swap_colors", "swap_labels"],
        "--edit",
        help="Edit kind, repeatable: swap_values, swap_colors, swap_labels (Vision-Zero swaps "
        "two attributes), change_value, change_color, change_label.",
    ),
    width: int = typer.Option(480, "--width", help="Image width in pixels."),
    height: int = typer.Option(360, "--height", help="Image height in pixels."),
    dpi: int = typer.Option(100, "--dpi", help="Dots per inch (sets the text size)."),
) -> None:
    """Chart pairs: random data tables drawn with matplotlib, edited in the spec and redrawn."""
    from zeroplay.data.charts.edits import CHART_EDITS
    from zeroplay.data.charts.pairs import ChartPairConfig, ChartPairMaker
    from zeroplay.data.charts.spec import CHART_TYPES

    types = _check_choices(chart_type, CHART_TYPES, "--chart-type")
    kinds = _check_choices(edit, CHART_EDITS, "--edit")
    try:
        config = ChartPairConfig(seed, types, kinds, width, height, dpi)
    except ValueError as error:
        raise typer.BadParameter(str(error)) from error
    _run(ChartPairMaker(config), out, pairs, _workers(workers), "chart pairs")


@app.command("toy")
def toy(
    out: Path = typer.Option(..., "--out", help=OUT_HELP),
    pairs: int = typer.Option(100, "--pairs", help=PAIRS_HELP),
    seed: int = typer.Option(
        0,
        "--seed",
        help="Seed, mapped into the self-play training seed space (never a warm-start or "
        "evaluation seed); pair i is made from (seed, i) alone.",
    ),
    workers: int | None = typer.Option(None, "--workers", help=WORKERS_HELP),
    width: int = typer.Option(168, "--width", help="Image width in pixels."),
    height: int = typer.Option(126, "--height", help="Image height in pixels."),
) -> None:
    """Scene pairs in the `toy` model's domain: 2-3 flat-shaded objects, two of which change
    colour and shape (no Mitsuba needed; the pairs Vision-Zero's `data.generate.kind: toy`
    makes, and a folder of pictures VisPlay can read with --data)."""
    from zeroplay.data.clevr.toy import toy_pair_maker

    if width < 16 or height < 16:
        raise typer.BadParameter("must be at least 16 pixels each", param_hint="--width/--height")
    _run(toy_pair_maker(seed, width, height), out, pairs, _workers(workers), "toy scene pairs")


@app.command("edits")
def edits(
    images: Path = typer.Option(
        ..., "--images", help="Folder of your photos (searched recursively)."
    ),
    out: Path = typer.Option(..., "--out", help=OUT_HELP),
    pairs: int | None = typer.Option(
        None, "--pairs", help="How many pairs (default: one per readable photo; more cycle)."
    ),
    seed: int = typer.Option(0, "--seed", help=SEED_HELP),
    workers: int | None = typer.Option(None, "--workers", help=WORKERS_HELP),
    edit: list[str] = typer.Option(
        ["swap_patches", "recolor", "mirror", "inpaint"],
        "--edit",
        help="Edit kind, repeatable: swap_patches, recolor, mirror, inpaint (remove a region).",
    ),
    max_side: int = typer.Option(1024, "--max-side", help="Shrink photos to this longer side."),
) -> None:
    """Photo-edit pairs: each photo and a copy with one local, visible edit (box in the diff)."""
    from zeroplay.data.images import load_image_folder
    from zeroplay.data.photos.edits import PHOTO_EDITS
    from zeroplay.data.photos.pairs import PhotoPairConfig, PhotoPairMaker

    if not images.is_dir():
        fail(f"--images {images} is not a folder")
    kinds = _check_choices(edit, PHOTO_EDITS, "--edit")
    try:
        config = PhotoPairConfig(seed=seed, edits=kinds, max_side=max_side)
    except ValueError as error:
        raise typer.BadParameter(str(error)) from error
    with console.status("checking photos"):
        folder = load_image_folder(images)
    console.print(f"{images}: {folder.summary()}", highlight=False)
    for skipped in folder.skipped[:10]:
        console.print(f"  skipped {skipped.path}: {skipped.reason}", highlight=False)
    if not folder.paths:
        fail(f"no readable images under {images}")
    count = len(folder.paths) if pairs is None else pairs
    maker = PhotoPairMaker(config, images, folder.paths)
    _run(maker, out, count, _workers(workers), "photo pairs")


@app.command("import")
def import_(
    out: Path = typer.Option(..., "--out", help=OUT_HELP),
    source: Path | None = typer.Option(
        None, "--source", help="Folder of original images of a pair dataset (use with --edited)."
    ),
    edited: Path | None = typer.Option(
        None, "--edited", help="Folder of edited images, matched to --source by relative path."
    ),
    images: Path | None = typer.Option(
        None, "--images", help="Folder of plain unlabeled images (instead of --source/--edited)."
    ),
    max_side: int = typer.Option(1024, "--max-side", help="Shrink images to this longer side."),
) -> None:
    """Import a source/edited pair dataset, or a plain image folder, skipping broken files."""
    from zeroplay.data.manifest import ManifestMismatch
    from zeroplay.data.photos.importer import import_image_folder, import_pair_folders

    pair_mode = source is not None or edited is not None
    if pair_mode == (images is not None):
        raise typer.BadParameter("give either --source and --edited, or --images")
    if pair_mode and (source is None or edited is None):
        raise typer.BadParameter("--source and --edited go together")
    try:
        with _progress_bar("importing") as update:
            if source is not None and edited is not None:
                report = import_pair_folders(source, edited, out, max_side, update)
            else:
                assert images is not None
                report = import_image_folder(images, out, max_side, update)
    except (FileNotFoundError, ManifestMismatch) as error:
        fail(str(error))
    console.print(
        f"{out}: imported {report.imported}, already done {report.already_done}, "
        f"skipped {len(report.skipped)} unreadable, {len(report.unmatched)} without a partner",
        highlight=False,
    )
    for skipped in report.skipped[:10]:
        console.print(f"  skipped {skipped.path}: {skipped.reason}", highlight=False)


@app.command("show")
def show(
    folder: Path = typer.Argument(..., help="A pair folder (ours or a Vision-Zero dataset)."),
    sheet: Path | None = typer.Option(
        None,
        "--sheet",
        help="Where to write the contact sheet (default: FOLDER/contact_sheet.png).",
    ),
    count: int = typer.Option(6, "--count", help="Pairs on the contact sheet (0 for none)."),
    size: int = typer.Option(256, "--size", help="Thumbnail size in pixels."),
) -> None:
    """Counts, edit kinds and a contact sheet with the edited regions outlined."""
    from zeroplay.data.layout import write_png_atomic
    from zeroplay.data.show import show_folder

    if not folder.is_dir():
        fail(f"{folder} is not a folder")
    if count < 0 or size < 32:
        raise typer.BadParameter("--count must be >= 0 and --size >= 32")
    summary, picture = show_folder(folder, count, size)
    console.print(
        f"{folder}: {summary.pairs} pairs, {summary.with_boxes} with edit boxes", highlight=False
    )
    for name, counter in (("domains", summary.domains), ("edits", summary.edits)):
        if counter:
            console.print(f"{name}: " + ", ".join(f"{k} {v}" for k, v in counter.most_common()))
    if picture is not None:
        target = sheet or folder / "contact_sheet.png"
        write_png_atomic(target, picture)
        console.print(f"contact sheet: {target}", highlight=False)
