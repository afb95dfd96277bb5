"""Throughput of the pair generators: scene pairs (320x240) and chart pairs per minute.

Runs the same code path as `zeroplay data clevr|charts` (worker processes, atomic writes) into
temporary folders and prints wall-clock pairs per minute. Because the machine may be shared,
it also prints the CPU seconds each pair cost and the rate that implies with every core free,
and the load average before and after.

    python benchmarks/data_render.py [--scene-pairs 24] [--chart-pairs 240] [--workers N]
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
from pathlib import Path

from zeroplay.data.charts.pairs import ChartPairConfig, ChartPairMaker
from zeroplay.data.clevr.pairs import ClevrPairConfig, ClevrPairMaker
from zeroplay.data.clevr.render import RenderConfig
from zeroplay.data.clevr.variant import resolve_variant
from zeroplay.data.runner import PairMaker, generate_pairs

TARGETS = {"scene": 20.0, "chart": 300.0}  # pairs per minute on a 2-core machine


def cpu_seconds() -> float:
    """CPU time of this process and its finished children (the pool's workers)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def measure(name: str, maker: PairMaker, pairs: int, workers: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        load_before = os.getloadavg()[0]
        cpu_start, wall_start = cpu_seconds(), time.perf_counter()
        report = generate_pairs(maker, Path(folder), pairs, workers=workers)
        wall = time.perf_counter() - wall_start
        cpu = cpu_seconds() - cpu_start
        load_after = os.getloadavg()[0]
    cores = os.cpu_count() or 1
    per_pair = cpu / report.made
    print(
        f"{name:6s} pairs: {report.made} in {wall:.1f} s = {report.made / wall * 60:.1f} pairs/min "
        f"(target {TARGETS[name]:.0f}); {per_pair:.2f} CPU s/pair -> "
        f"{cores * 60 / per_pair:.0f} pairs/min with {cores} idle cores; "
        f"load average {load_before:.1f} -> {load_after:.1f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scene-pairs", type=int, default=24)
    parser.add_argument("--chart-pairs", type=int, default=240)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--variant", default="auto", help="Mitsuba variant for scene pairs")
    args = parser.parse_args()
    variant = resolve_variant(args.variant)
    print(f"{os.cpu_count()} cores, {args.workers} workers, Mitsuba variant {variant}")
    if args.scene_pairs:
        scene = ClevrPairMaker(ClevrPairConfig(seed=1, render=RenderConfig(variant=variant)))
        measure("scene", scene, args.scene_pairs, args.workers)
    if args.chart_pairs:
        measure("chart", ChartPairMaker(ChartPairConfig(seed=1)), args.chart_pairs, args.workers)


if __name__ == "__main__":
    main()
