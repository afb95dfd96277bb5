"""The progress bar every recipe shows on its main process."""

from __future__ import annotations

from typing import Any


def progress_bar(total: int, description: str, disable: bool = False) -> tuple[Any, Any]:
    """A rich progress bar with elapsed time and ETA, and its task (update it with `info=`)."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    progress = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("eta"),
        TimeRemainingColumn(),
        TextColumn("{task.fields[info]}"),
        disable=disable,
        transient=False,
    )
    task = progress.add_task(description, total=total, info="")
    return progress, task
