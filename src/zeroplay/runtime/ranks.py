"""Work shared out over data-parallel ranks and gathered back, so every rank sees all of it.

A recipe that needs batch-wide quantities (majority votes, diversity penalties, data filters)
runs its game on every rank with the whole batch; only the expensive calls inside it (generation,
rendering) are split: `shard_map` gives rank r the items at positions r, r + W, r + 2W, ... of a
call, and every rank gets every result back in call order. All of it is the identity on one
process.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")


def gather_objects(accelerator: Any, obj: Any) -> list[Any]:
    """`obj` of every rank, in rank order (picklable objects)."""
    if accelerator.num_processes == 1:
        return [obj]
    from accelerate.utils import gather_object

    return gather_object([obj])


def gather_lists(accelerator: Any, items: Sequence[Any]) -> list[Any]:
    """Every rank's `items`, concatenated in rank order, on every rank."""
    if accelerator.num_processes == 1:
        return list(items)
    from accelerate.utils import gather_object

    return list(gather_object(list(items)))


def owner_of(position: int, world: int) -> int:
    """The rank that handles item `position` of a sharded call (strided: balanced shards)."""
    return position % world


def shard_map(
    accelerator: Any,
    fn: Callable[[list[T]], Sequence[R]],
    items: Sequence[T],
    *,
    pack: Callable[[R], Any] | None = None,
    unpack: Callable[[T, Any], R] | None = None,
) -> list[R]:
    """`fn(items)` computed as one `fn` call per rank on its share, results in item order.

    Every rank must call it together with the same `items`. A rank keeps the results it computed
    as they are; the others travel as `pack(result)` and come back as `unpack(item, packed)`
    (e.g. an image as PNG bytes, a completion without its model inputs).
    """
    world = accelerator.num_processes
    if world == 1:
        return list(fn(list(items)))
    rank = accelerator.process_index
    mine = [i for i in range(len(items)) if owner_of(i, world) == rank]
    results = list(fn([items[i] for i in mine])) if mine else []
    if len(results) != len(mine):
        raise ValueError(f"{len(results)} results for {len(mine)} items")
    shipped = [pack(r) if pack is not None else r for r in results]
    everyone = gather_objects(accelerator, shipped)
    out: list[Any] = [None] * len(items)
    for i, result in zip(mine, results, strict=True):
        out[i] = result
    for other, packed in enumerate(everyone):
        if other == rank:
            continue
        positions = [i for i in range(len(items)) if owner_of(i, world) == other]
        for i, value in zip(positions, packed, strict=True):
            out[i] = unpack(items[i], value) if unpack is not None else value
    return out
