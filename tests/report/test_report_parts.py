"""Unit tests of the report's pieces: escaping, image references and thumbnails, metric series,
episode selection, record kinds (on records made by the real games), summaries and panels."""

from __future__ import annotations

import base64
import io
import json
import random
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from zeroplay.games.mm_zero.records import (
    CodegenRecord,
    GeneratedProposal,
    LabelRecord,
    ProposerRecord,
    RenderFilterRecord,
    SolverRecord,
    SvgAttempt,
)
from zeroplay.games.protocol import Context, run_scripted
from zeroplay.games.vision_zero import VisionZeroGameConfig, draw_setup, play_game
from zeroplay.games.visplay.records import AnswerRecord, LabelledQuestion, QuestionRecord
from zeroplay.report.html_parts import esc, fmt, tag
from zeroplay.report.images import ThumbnailCache, encode_thumbnail, find_image_refs
from zeroplay.report.record_kinds import detect_recipe, record_kind
from zeroplay.report.replay_common import select_evenly
from zeroplay.report.replay_vision_zero import vision_zero_episode
from zeroplay.report.run_files import RolloutRecord, read_jsonl_lenient
from zeroplay.report.series import find_key, matching_series, number
from zeroplay.report.summary import duration, wall_time
from zeroplay.report.training_plots import CURVE_PANELS
from zeroplay.report.vision_zero_panels import controller_thresholds, step_stages
from zeroplay.report.visplay_panels import confidence_counts, type_mix

# --- HTML -----------------------------------------------------------------------------------


def test_esc_and_tag_escape_text_and_attributes():
    assert esc('<a href="x">&\'') == "&lt;a href=&quot;x&quot;&gt;&amp;&#x27;"
    assert esc(None) == ""
    assert esc("a\x00b\x1bc\ud800\n\t") == "a\ufffdb\ufffdc\ufffd\n\t"  # models emit these
    html = tag("div", "body", class_='a"b', data_group="g", hidden=True, title=None)
    assert html == '<div class="a&quot;b" data-group="g" hidden>body</div>'


def test_long_text_is_cut_but_attributes_never_are():
    assert esc("x" * 30_000).endswith("[... 10000 more characters not shown]")
    uri = "data:image/png;base64," + "A" * 50_000
    assert len(tag("img", src=uri)) > 50_000


def test_fmt_numbers():
    assert fmt(None) == "—"
    assert fmt(True) == "yes"
    assert fmt(3) == "3"
    assert fmt(2.0) == "2"
    assert fmt(0.123456) == "0.123"
    assert fmt(0.0001234) == "0.000123"
    assert fmt(float("nan")) == "nan"
    assert fmt("<b>") == "&lt;b&gt;"


# --- images ---------------------------------------------------------------------------------


def test_find_image_refs_follows_only_image_keys():
    record = {
        "image": "a.png",
        "images": ["b.jpg", "a.png"],
        "pair": {"original_path": "c.webp", "note": "d.png"},
        "text": "e.png",
        "clue": "f.png",
        "render": "not-an-image.txt",
        "image_multiline": "x\ny.png",
    }
    assert find_image_refs(record) == [
        ("image", "a.png"),
        ("images.0", "b.jpg"),
        ("pair.original_path", "c.webp"),
    ]


def test_thumbnail_picks_a_small_format_and_keeps_alpha():
    photo = Image.effect_noise((600, 400), 60).convert("RGB")
    uri = encode_thumbnail(photo, 100)
    assert uri.startswith("data:image/jpeg;base64,")  # noise compresses far better as JPEG
    decoded = Image.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1])))
    assert max(decoded.size) == 100
    flat = Image.new("RGBA", (50, 50), (255, 0, 0, 128))
    assert encode_thumbnail(flat).startswith("data:image/png;base64,")


def test_thumbnail_cache_resolves_inside_roots_only(tmp_path):
    run, data = tmp_path / "run", tmp_path / "user_data"
    (run / "sub").mkdir(parents=True)
    data.mkdir()
    Image.new("RGB", (10, 10), "red").save(run / "sub" / "a.png")
    Image.new("RGB", (10, 10), "blue").save(data / "b.png")
    Image.new("RGB", (10, 10), "black").save(tmp_path / "outside.png")
    (run / "bad.png").write_bytes(b"junk")
    cache = ThumbnailCache([run, data])
    assert cache.uri("sub/a.png") is not None
    assert cache.uri("b.png") is not None  # from the second root
    assert cache.uri(str(data / "b.png")) is not None  # absolute, inside a root
    assert cache.uri("../outside.png") is None
    assert cache.uri(str(tmp_path / "outside.png")) is None
    assert cache.uri("bad.png") is None
    assert cache.uri("missing.png") is None
    assert len(cache.problems) == 4
    assert any("unreadable" in p for p in cache.problems)


# --- metrics --------------------------------------------------------------------------------


def test_matching_series_labels_lines_by_captured_parts():
    records = [
        {"step": 2, "role/spy/reward_mean": 1.0, "solver/role/solver/reward_mean": 0.5},
        {"step": 1, "role/spy/reward_mean": 0.0, "phase": "x", "bad": float("inf")},
        {"role/spy/reward_mean": "n/a"},
    ]
    pattern = next(p.pattern for p in CURVE_PANELS if p.name == "reward_by_role")
    series = {s.label: s for s in matching_series(records, pattern)}
    assert set(series) == {"spy", "solver/solver"}
    assert series["spy"].steps == (1.0, 2.0) and series["spy"].values == (0.0, 1.0)
    kl = next(p.pattern for p in CURVE_PANELS if p.name == "kl")
    found = matching_series([{"kl_mean": 1, "xkl_mean": 2, "a/kl_mean": 3}], kl, "kl")
    assert [(s.label, s.values) for s in found] == [("kl", (1.0,)), ("a", (3.0,))]


def test_number_and_find_key():
    assert number(True) == 1.0 and number("1") is None and number(float("nan")) is None
    assert find_key({"a": {"b": {"seed": 4}}, "c": 1}, "seed") == 4
    assert find_key({"a": 1}, "seed") is None


def test_read_jsonl_lenient_skips_bad_lines(tmp_path):
    path = tmp_path / "x.jsonl"
    path.write_text('{"a": 1}\n\n[1]\n{bad\n{"b": 2}\n')
    problems: list[str] = []
    assert read_jsonl_lenient(path, problems, "x") == [(1, {"a": 1}), (5, {"b": 2})]
    assert problems == ["x: 2 line(s) are not JSON objects and were skipped"]


def test_rollout_record_iteration_from_field_or_path():
    assert RolloutRecord({"iteration": 3}, "rollouts/iter_9.jsonl", 1).iteration == 3
    assert RolloutRecord({}, "rollouts/iter_2/step_1.jsonl", 1).iteration == 2
    assert RolloutRecord({"iteration": True}, "rollouts/x.jsonl", 1).iteration is None


def test_wall_time_prefers_the_best_clock():
    steps = [{"rollout_seconds": 3.0, "update_seconds": 1.0}, {"rollout_seconds": 2.0}]
    assert wall_time(steps) == (6.0, "sum of rollout, update and phase times")
    # a summary-only timing (a phase without optimizer steps) is added
    assert wall_time(steps, [{"summary": True, "label_seconds": 4.0}])[0] == 10.0
    assert wall_time([{"elapsed_seconds": 5.0}, {"elapsed_seconds": 9.0}]) == (9.0, "logged clock")
    assert wall_time(steps, [{"wall_seconds": 100.0}, {"wall_seconds": 20.0}]) == (
        120.0,
        "phase summaries",
    )
    assert wall_time([]) == (None, "not logged")
    assert duration(3725.4) == "1h 02m 05s" and duration(59.6) == "1m 00s"


def test_select_evenly_spreads_over_the_run():
    assert select_evenly(list(range(10)), 4) == [0, 3, 6, 9]
    assert select_evenly(list(range(3)), 5) == [0, 1, 2]
    assert select_evenly(list(range(10)), 1) == [0]
    assert select_evenly([], 3) == [] and select_evenly([1], 0) == []


def test_vision_zero_stages_and_thresholds():
    records = [
        {"step": 1, "stage": "decision"},
        {"step": 2, "spo/clue_active": 1.0, "spo/decision_active": 0.0},
        {"step": 3, "spo/clue_active": 1.0, "spo/decision_active": 1.0},
        {"step": 4},
    ]
    assert step_stages(records) == [(1.0, "decision"), (2.0, "clue"), (3.0, "both")]
    config = {"controller": {"mode": "paper", "acc_to_clue": 0.9, "err_to_decision": 0.4}}
    assert [y for y, _ in controller_thresholds(config)] == [0.9, pytest.approx(0.6)]
    assert controller_thresholds({"controller": {"mode": "alternate"}}) == []


def test_visplay_histograms_and_type_mix():
    records = [
        {"iteration": 1, "questioner/confidence_hist/2of4": 3.0},
        {"iteration": 1, "questioner/confidence_hist/2of4": 1.0, "label/confidence_hist/3of4": 2},
        {"iteration": 2, "label/type_frac/numerical": 0.25, "label/kept_type_frac/numerical": 1.0},
        {"iteration": 2, "label/type_frac/numerical": 0.75},
    ]
    assert confidence_counts(records) == {
        "questioner": {1: {0.5: 4.0}},
        "label": {1: {0.75: 2.0}},
    }
    assert type_mix(records) == {
        "it 2\nlabel generated": {"numerical": 0.5},
        "it 2\nlabel kept": {"numerical": 1.0},
    }


# --- record kinds, on records the real games make --------------------------------------------


def _played_vision_zero_game() -> dict:
    cfg = VisionZeroGameConfig(n_players=4, group_size=3)
    images = (Image.new("RGB", (8, 8), "red"), Image.new("RGB", (8, 8), "blue"))
    setup = draw_setup(images, random.Random(0), cfg, "g0")

    def player(request, index):
        if request.meta.get("stage") == "decision":
            return f"He hesitated. \\boxed{{{setup.spy_seat if index else 'N/A'}}}"
        return "I see <b>red</b>. \\boxed{a red square}"

    return run_scripted(play_game(Context(), setup, cfg), player).to_record()


def test_record_kinds_of_real_records():
    attempt = SvgAttempt(0, "<svg/>", 6, True, True).to_record()
    spec = {"caption": "c", "easy_question": "q", "easy_answer": "1"}
    cases = {
        "vz_game": _played_vision_zero_game(),
        "vp_question": QuestionRecord("i/q0", "i", 0, "t", True, None, "numerical", "q", "1"),
        "vp_labelled": LabelledQuestion("i/q0", "i", 0, "t", True, None, "numerical", "q", "1"),
        "vp_answer": AnswerRecord("i/q0", "i", 0, "t", "1", "1", 1.0, True, 1.0),
        "mz_proposer": ProposerRecord("p", "s", "t", 0, "x", True, None, svgs=[attempt]),
        "mz_generated": GeneratedProposal("p", "s", "t", "x", True, None, spec),
        "mz_render_filter": RenderFilterRecord("p", [attempt], 1.0),
        "mz_codegen": CodegenRecord("p", 0, attempt, 1.0, True, True, 1.0, 0.5),
        "mz_label": LabelRecord("p", spec, "<svg/>", True),
        "mz_solver": SolverRecord("p", 0, "t", "1", "1", 1.0, 1.0, 1.0),
    }
    for kind, record in cases.items():
        data = record if isinstance(record, dict) else record.to_record()
        json.dumps(data)
        assert record_kind(data) == kind, kind
    assert record_kind({"kind": "mz_solver"}) == "mz_solver"
    assert record_kind({"something": 1}) == "other"


def test_detect_recipe():
    assert detect_recipe({"recipe": "Vision_Zero"}, [], []) == "vision-zero"
    assert detect_recipe({}, [{"recipe": "mm_zero"}], []) == "mm-zero"
    assert detect_recipe({}, [], [{"question_id": "a", "think_format": 1, "accuracy": 1}]) == (
        "visplay"
    )
    assert detect_recipe({"recipe": 3}, [], [{"x": 1}]) is None


def test_replay_of_a_real_game(tmp_path):
    record = RolloutRecord({"step": 4, **_played_vision_zero_game()}, "rollouts/s.jsonl", 1)
    episode = vision_zero_episode(record, ThumbnailCache([tmp_path]))
    assert "step 4" in episode.title and "game g0" in episode.title
    assert "I see &lt;b&gt;red&lt;/b&gt;." in episode.body  # reasoning kept, escaped
    assert "a red square" in episode.body
    assert "This record names no images." in episode.body
    assert episode.body.count("badge warn") >= 1  # the N/A votes


# --- property tests: nothing in a record can break the viewer or the page -------------------

_KEYS = st.sampled_from(
    [
        "clue_turns", "votes", "spy_seat", "tally", "clue_rewards", "question_id", "cluster_size",
        "uncertainty", "reasoner_answers", "kept", "proposal_id", "svgs", "svg", "code",
        "avg_solvability", "hard_consistency", "easy_consistency", "item_id", "answer", "label",
        "format", "image", "text", "clue", "vote", "iteration", "step", "proposal", "difficulty",
    ]
)  # fmt: skip
_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(_KEYS, children, max_size=6),
    max_leaves=25,
)


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(_KEYS, _JSON, max_size=10))
def test_replays_never_raise_and_escape_everything(data):
    from zeroplay.report.replays import ReplayBuilder

    marker = "<i>injected</i>"
    data = {k: (marker if isinstance(v, str) else v) for k, v in data.items()}
    problems: list[str] = []
    html = ReplayBuilder(
        [RolloutRecord(data, "rollouts/x.jsonl", 1)],
        ThumbnailCache([Path("/nonexistent-root")]),
        per_kind=3,
        render_svg=False,
        problems=problems,
    ).html()
    assert marker not in html
    assert "<article" in html


@given(st.text(max_size=200))
def test_find_image_refs_never_raises(text):
    assert isinstance(find_image_refs({"image": text, "images": [text], text: text}), list)
