"""Synthetic run directories with their reports, built once per test session (plots take a
few seconds per report on a small CPU)."""

from __future__ import annotations

import pytest
from report_runs import make_mm_zero_run, make_vision_zero_run, make_visplay_run

from zeroplay.report.build import ReportResult, build_report

MAKERS = {
    "vision-zero": make_vision_zero_run,
    "visplay": make_visplay_run,
    "mm-zero": make_mm_zero_run,
}


@pytest.fixture(scope="session")
def built_reports(tmp_path_factory) -> dict[str, ReportResult]:
    """recipe -> the report of its synthetic run (MM-Zero SVGs drawn in the sandbox)."""
    out = {}
    for recipe, make in MAKERS.items():
        root = make(tmp_path_factory.mktemp(recipe.replace("-", "_")) / "run")
        out[recipe] = build_report(root, episodes=4, render_svg=recipe == "mm-zero")
    return out


@pytest.fixture(scope="session")
def report_html(built_reports) -> dict[str, str]:
    return {k: r.html_path.read_text(encoding="utf-8") for k, r in built_reports.items()}
