"""Build the `toy` model on first use from the commands that train or prove with it."""

from __future__ import annotations

from zeroplay.cli.common import console


def ensure_model(name: str) -> None:
    """When `name` is `toy` and it is not built yet, announce and build it (once, cached)."""
    from zeroplay.models.toy_cache import TOY_NAME, toy_is_built, toy_path

    if name != TOY_NAME or toy_is_built():
        return
    console.print(
        "[bold]building the toy model[/] once (about 15 minutes on 2 idle CPU cores): a small "
        "Qwen2.5-VL trained from scratch on generated scenes and charts; cached at "
        f"{toy_path()}"
    )
    from zeroplay.toy.build import cached_toy

    cached_toy()
