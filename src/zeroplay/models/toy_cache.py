"""Where the `toy` model lives once built (the build itself is `zeroplay.toy.build`).

The toy is trained, not just initialised, so it is built by a layer above this one (it needs
the data generators and the SFT recipe). Here is only its cache location, so that the name
`toy` resolves wherever a model is named, and a clear message when it is not built yet.
"""

from __future__ import annotations

from pathlib import Path

from zeroplay import __version__
from zeroplay.models.tiny import cache_dir

TOY_NAME = "toy"
# Bump when the toy's recipe (corpus, sizes, training) changes: a new folder, a new build.
TOY_REVISION = 9


def toy_path() -> Path:
    """The cache folder of the current toy build (it may not exist yet)."""
    return cache_dir() / f"toy-v{__version__}-r{TOY_REVISION}"


def toy_is_built() -> bool:
    return (toy_path() / "config.json").exists()


class ToyNotBuiltError(RuntimeError):
    """The toy model was named but has not been built on this machine yet."""


def built_toy_path() -> Path:
    """The built toy's folder, or ToyNotBuiltError with the command that builds it."""
    if not toy_is_built():
        raise ToyNotBuiltError(
            "the 'toy' model is not built on this machine yet: run `zeroplay models toy` "
            "(about 15 minutes on 2 idle CPU cores, once; cached under "
            f"{toy_path().parent})"
        )
    return toy_path()
