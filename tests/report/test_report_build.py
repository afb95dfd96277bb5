"""The whole report on synthetic runs of each recipe: sections, plots on disk, embedded images,
escaping of model-written text, and robustness to damaged or partial run directories."""

from __future__ import annotations

import json
import re

import pytest
import typer
from PIL import Image
from report_runs import HOSTILE, eval_results, make_small_run, write_config, write_jsonl
from typer.testing import CliRunner

from zeroplay.cli.report import report
from zeroplay.report.build import ReportError, build_report

EXPECTED_PLOTS = {
    "vision-zero": {
        "training_reward_by_role",
        "training_reward_by_stage",
        "training_kl",
        "training_entropy",
        "training_completion_length",
        "training_clip_fractions",
        "vision_zero_decision_rates",
        "vision_zero_stage_timeline",
        "vision_zero_role_baselines",
        "eval_accuracy",
    },
    "visplay": {
        "training_reward_by_role",
        "visplay_confidence",
        "visplay_kept_fraction",
        "visplay_question_types",
        "visplay_questioner_terms",
        "visplay_reasoner_terms",
    },
    "mm-zero": {
        "training_reward_by_role",
        "mm_zero_coevolution",
        "mm_zero_proposer_terms",
        "mm_zero_codegen_terms",
        "mm_zero_solver_terms",
    },
}
SECTIONS = ("summary", "config", "training", "recipe", "eval", "replays")


@pytest.mark.parametrize("recipe", list(EXPECTED_PLOTS))
def test_report_has_sections_and_plots(built_reports, report_html, recipe):
    result = built_reports[recipe]
    html = report_html[recipe]
    assert result.recipe == recipe
    for anchor in SECTIONS:
        assert f'<section id="{anchor}">' in html
    names = {p.stem for p in result.plot_paths}
    assert EXPECTED_PLOTS[recipe] <= names
    for path in result.plot_paths:  # the same PNGs as in the page, valid images
        with Image.open(path) as image:
            assert image.format == "PNG" and image.width > 200
    assert html.count('class="plot"') == len(result.plot_paths)


@pytest.mark.parametrize("recipe", list(EXPECTED_PLOTS))
def test_report_is_self_contained(report_html, recipe):
    """Every src is an embedded data: URI; nothing names a remote or local resource."""
    html = report_html[recipe]
    sources = re.findall(r'\ssrc="([^"]*)"', html)
    assert sources and all(s.startswith("data:image/") for s in sources)
    assert not re.search(r"<(link|script)[^>]*\s(href|src)=\"(?!data:|#)", html)
    assert "Content-Security-Policy" in html


@pytest.mark.parametrize("recipe", list(EXPECTED_PLOTS))
def test_model_text_is_escaped(report_html, recipe):
    html = report_html[recipe]
    assert HOSTILE not in html
    assert "<iframe" not in html and "onerror=alert" not in html.replace("onerror=alert(1)&gt;", "")
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    assert html.count("<script>") == 1  # only the page's own selector script


def test_vision_zero_replay_shows_the_game(report_html):
    html = report_html["vision-zero"]
    assert html.count('<article class="episode" data-group="vz_game"') == 4  # --episodes 4
    assert "original picture: civilians" in html and "modified picture: the spy" in html
    assert "<summary>reasoning</summary>" in html  # vote reasoning folded away
    assert "Tally and rewards" in html and "spy caught" in html
    assert "Iterative-SPO stage timeline" in html
    assert "2m 03s (phase summaries)" in html


def test_visplay_and_mm_zero_replays(report_html):
    visplay = report_html["visplay"]
    for group in ("vp_question", "vp_labelled", "vp_answer"):
        assert f'data-group="{group}"' in visplay
    assert "Answers and the vote" in visplay and "majority" in visplay
    assert "image_id: chart_000000.png" in visplay  # the image, found under data/images
    mm = report_html["mm-zero"]
    groups = ("mz_proposer", "mz_render_filter", "mz_codegen", "mz_generated", "mz_label")
    for group in (*groups, "mz_solver"):  # data-phase records are read from data/iter_N/
        assert f'data-group="{group}"' in mm
    assert "did not render: refused: malformed XML" in mm
    assert "<summary>SVG code</summary>" in mm
    assert "Co-evolution metrics" in mm


def _group(html: str, group: str) -> str:
    start = html.index(f'id="replay-{group}"')
    end = html.find('<div class="replay-group"', start + 1)
    return html[start : end if end > 0 else len(html)]


def test_mm_zero_renders_stored_or_drawn_again(built_reports, report_html):
    """A stored render is shown when the recipe kept one; otherwise the sandbox draws the SVG."""
    html = report_html["mm-zero"]
    proposer = _group(html, "mz_proposer")
    assert "(drawn again for this report)" in proposer and 'class="thumb"' in proposer
    for group in ("mz_codegen", "mz_label", "mz_solver"):
        part = _group(html, group)
        assert 'class="thumb"' in part and "drawn again" not in part, group
    assert not [p for p in built_reports["mm-zero"].problems if "SVG" in p or "image" in p]


def test_eval_table(report_html):
    html = report_html["vision-zero"]
    assert "Accuracy by the rules" in html
    assert "55.0 % (11/20)" in html and "50.0 % (5/10)" in html
    # step 6: micro = (11 + 5) / (20 + 10) = 53.3 %, macro = (55 % + 50 %) / 2 = 52.5 %
    assert "53.3 %" in html and "52.5 %" in html


def test_damaged_run_is_reported_not_fatal(tmp_path):
    root = make_small_run(tmp_path / "run")
    eval_results(root, 1, "clevr-qa", 3)
    with open(root / "metrics.jsonl", "a") as f:
        f.write('{"step": 3, "decision/accuracy": NaN}\n{torn line\n[1, 2]\n')
    write_jsonl(
        root / "rollouts" / "broken.jsonl",
        [
            {"clue_turns": "not a list", "votes": 7, "spy_seat": "x", "tally": None},
            {"question_id": 1, "cluster_size": [], "uncertainty": {}, "reasoner_answers": 5},
            {
                "proposal_id": None,
                "svgs": [1, "a", {"code": 5, "rendered": True}],
                "avg_solvability": "?",
            },
            {"whatever": {"image": "../../etc/passwd.png", "text": "x.png"}},
            {"question_id": "q", "think_format": 1, "accuracy": 0, "text": "nul\x00 \ud800"},
        ],
    )
    (root / "data" / "pairs" / "000000_modified.png").write_bytes(b"not a png")
    (root / "eval" / "step_1" / "bad.json").write_text('{"format": "zeroplay-eval-results"}')
    result = build_report(root, episodes=50, render_svg=False)
    html = result.html_path.read_text()
    assert "Could not read" in html
    assert any("metrics.jsonl: 2 line(s)" in p for p in result.problems)
    assert any("000000_modified.png" in p and "unreadable" in p for p in result.problems)
    assert any("eval results without a summary" in p for p in result.problems)
    assert any("'../../etc/passwd.png' not found" in p for p in result.problems)
    assert 'data-group="other"' in html
    assert "nul\ufffd \ufffd" in html and "\x00" not in html


def test_empty_and_partial_runs(tmp_path):
    only_config = tmp_path / "fresh"
    write_config(only_config, {"model": {"name": "tiny"}})
    html = build_report(only_config).html_path.read_text()
    assert "No training steps logged yet." in html
    assert "nothing to replay" in html
    assert "metrics.jsonl is missing" in html

    unknown = tmp_path / "unknown"
    write_config(unknown, {"model": "some/model"})
    write_jsonl(unknown / "metrics.jsonl", [{"step": 1, "kl_mean": 0.1, "phase": "x"}])
    result = build_report(unknown)
    assert result.recipe is None
    assert [p.stem for p in result.plot_paths] == ["training_kl"]


def test_not_a_run_directory(tmp_path):
    with pytest.raises(ReportError, match="not a folder"):
        build_report(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ReportError, match="not a run directory"):
        build_report(tmp_path / "empty")


def test_rebuild_replaces_stale_plots(tmp_path):
    root = make_small_run(tmp_path / "run")
    stale = root / "plots" / "training_old_panel.png"
    keep = root / "plots" / "my_figure.png"
    stale.parent.mkdir()
    stale.write_bytes(b"x")
    keep.write_bytes(b"x")
    build_report(root, episodes=1)
    assert not stale.exists() and keep.exists()


def test_cli_writes_the_report(tmp_path):
    root = make_small_run(tmp_path / "run")
    app = typer.Typer()
    app.command()(report)
    out = tmp_path / "elsewhere" / "r.html"
    done = CliRunner().invoke(app, [str(root), "--out", str(out), "--episodes", "1"])
    assert done.exit_code == 0, done.output
    assert out.exists() and "report" in done.output
    assert (root / "plots" / "training_kl.png").exists()
    missing = CliRunner().invoke(app, [str(tmp_path / "nope")])
    assert missing.exit_code == 2 and "not a folder" in missing.output


def test_rollout_images_outside_keys_are_not_opened(tmp_path):
    """A path a model wrote (under a text key) is never read, even when the file exists."""
    root = make_small_run(tmp_path / "run")
    secret = root / "secret.png"
    Image.new("RGB", (8, 8), "black").save(secret)
    records = [json.loads(line) for line in (root / "rollouts" / "step_000001_rank0.jsonl").open()]
    records[0]["clue_turns"][0]["clue"] = "secret.png"
    records[0]["clue_turns"][0]["text"] = str(secret)
    write_jsonl(root / "rollouts" / "step_000001_rank0.jsonl", records)
    html = build_report(root, episodes=1).html_path.read_text()
    assert html.count('class="thumb"') == 2  # only the pair's two pictures
