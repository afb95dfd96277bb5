"""Resume and worker independence: interrupted + resumed == uninterrupted, byte for byte."""

from __future__ import annotations

from pathlib import Path

import pytest
from data_helpers import requires_mitsuba, tiny_clevr_config

from zeroplay.data.charts.pairs import ChartPairConfig, ChartPairMaker
from zeroplay.data.clevr.pairs import ClevrPairMaker
from zeroplay.data.layout import TEMP_TAG
from zeroplay.data.runner import PairOutcome, generate_pairs


def folder_bytes(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


class Interrupted:
    """Delegates to a real maker, then stops the run (like Ctrl-C) at pair `stop_at`."""

    def __init__(self, maker, stop_at: int) -> None:
        self.maker, self.stop_at, self.domain = maker, stop_at, maker.domain

    def settings(self):
        return self.maker.settings()

    def start(self) -> None:
        self.maker.start()

    def make(self, index: int, folder: Path) -> PairOutcome:
        if index == self.stop_at:
            raise KeyboardInterrupt
        return self.maker.make(index, folder)


def chart_maker():
    return ChartPairMaker(ChartPairConfig(seed=7))


def clevr_maker():
    return ClevrPairMaker(tiny_clevr_config(seed=7))


@pytest.mark.parametrize(
    ("make_maker", "count"),
    [(chart_maker, 5), pytest.param(clevr_maker, 2, marks=requires_mitsuba)],
)
def test_resume_after_interruption_matches_uninterrupted(tmp_path, make_maker, count):
    whole, resumed = tmp_path / "whole", tmp_path / "resumed"
    generate_pairs(make_maker(), whole, count)
    with pytest.raises(KeyboardInterrupt):
        generate_pairs(Interrupted(make_maker(), stop_at=count - 1), resumed, count)
    # What a hard kill can leave: a temporary file and a pair whose diff was never written.
    (resumed / f".000001_original.png{TEMP_TAG}999").write_bytes(b"partial")
    (resumed / "000000_diff.json").unlink()
    report = generate_pairs(make_maker(), resumed, count)
    assert report.already_done == count - 2 and report.made == 2
    assert folder_bytes(resumed) == folder_bytes(whole)


def test_growing_a_folder_keeps_finished_pairs(tmp_path):
    generate_pairs(chart_maker(), tmp_path, 2)
    before = folder_bytes(tmp_path)
    report = generate_pairs(chart_maker(), tmp_path, 3)
    assert report.already_done == 2 and report.made == 1
    after = folder_bytes(tmp_path)
    assert {k: v for k, v in after.items() if k in before} == before


@pytest.mark.slow
def test_workers_do_not_change_the_output(tmp_path):
    generate_pairs(chart_maker(), tmp_path / "one", 6, workers=1)
    report = generate_pairs(chart_maker(), tmp_path / "two", 6, workers=2)
    assert report.made == 6
    assert folder_bytes(tmp_path / "one") == folder_bytes(tmp_path / "two")


def test_bad_arguments(tmp_path):
    with pytest.raises(ValueError):
        generate_pairs(chart_maker(), tmp_path, -1)
    with pytest.raises(ValueError):
        generate_pairs(chart_maker(), tmp_path, 1, workers=0)
