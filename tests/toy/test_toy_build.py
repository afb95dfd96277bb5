"""The toy model's build: deterministic, plain-transformers loadable, and held-out by seed."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest

from zeroplay.data.clevr.toy import TOY_SCENE, describe
from zeroplay.data.seed_spaces import eval_seed, warm_start_seed
from zeroplay.data.seeding import pair_rng
from zeroplay.eval.suites.clevr_qa import sample_visible_scene
from zeroplay.toy.build import ToySpec, build_toy
from zeroplay.toy.corpus import (
    DESCRIBE_PROMPTS,
    CorpusSpec,
    grounding_record,
    pair_records,
    scene_records,
)


def _digest(folder):
    return hashlib.sha256((folder / "model.safetensors").read_bytes()).hexdigest()


@pytest.mark.slow
def test_scaled_down_build_is_deterministic_and_loads_with_transformers(tmp_path):
    from transformers import AutoModelForImageTextToText, AutoProcessor

    spec = ToySpec().scaled_down()
    a = build_toy(spec, tmp_path / "a")
    b = build_toy(spec, tmp_path / "b")
    assert _digest(a) == _digest(b)
    model = AutoModelForImageTextToText.from_pretrained(a)
    processor = AutoProcessor.from_pretrained(a)
    config = model.config.text_config
    assert config.hidden_size // config.num_attention_heads >= 32  # vLLM's CPU backend needs it
    assert processor.tokenizer.eos_token == "<|im_end|>"
    losses = [json.loads(x) for x in (a / "sft_metrics.jsonl").read_text().splitlines()]
    assert any("loss" in r for r in losses)


def test_full_spec_has_head_size_32():
    spec = ToySpec()
    assert spec.hidden // spec.heads >= 32 and spec.vision_hidden // spec.vision_heads >= 32


def test_corpus_records_use_the_games_formats(tmp_path):
    spec = CorpusSpec(scenes=1, pairs=1, decisions_per_pair=3)
    scene = scene_records(0, tmp_path, spec)
    assert scene[0]["messages"][1]["content"][0]["text"].startswith("\\boxed{")
    # description and eval-prompt questions put the image first; the VisPlay records (the last
    # two) follow VisPlay's consistent prompts, instruction first
    assert all(r["messages"][0]["content"][0]["type"] == "image" for r in scene[:-2])
    assert all(r["messages"][0]["content"][-1]["type"] == "image" for r in scene[-2:])
    game = pair_records(0, tmp_path, spec)
    assert len(game) == 1 + 3  # one clue turn, three decisions
    clue, decisions = game[0], game[1:]
    assert "Who is the spy?" in clue["messages"][0]["content"][1]["text"]
    for decision in decisions:
        assert "judge" in decision["messages"][0]["content"][1]["text"]
        vote = decision["messages"][1]["content"][0]["text"]
        assert vote[len("\\boxed{") : -1] in {str(s) for s in range(1, spec.game.n_players + 1)}
    # the extra decisions are fresh games on the same pictures, not copies of the first
    prompts = {d["messages"][0]["content"][1]["text"] for d in decisions}
    assert len(prompts) > 1


def test_grounding_records_are_short_descriptions(tmp_path):
    record = grounding_record(0, tmp_path)
    user, answer = record["messages"]
    assert (
        user["content"][0]["type"] == "image" and (tmp_path / user["content"][0]["image"]).exists()
    )
    assert user["content"][1]["text"] in DESCRIBE_PROMPTS
    text = answer["content"][0]["text"]
    assert text.startswith("\\boxed{a ") and text.endswith("}")


def test_evaluation_scenes_are_not_warm_start_scenes():
    """Different seeds give different scenes: no held-out scene equals a warm-start scene."""

    def layouts(seed, n):
        out = set()
        for i in range(n):
            scene, _ = sample_visible_scene(pair_rng(seed, i), TOY_SCENE)
            out.add(tuple((o.shape, o.color, round(o.x, 6), round(o.y, 6)) for o in scene.objects))
        return out

    warm = layouts(warm_start_seed(1), 40)
    held = layouts(eval_seed(0, 1), 40)
    assert not warm & held
    scene, _ = sample_visible_scene(pair_rng(eval_seed(0, 1), 0), TOY_SCENE)
    assert describe(scene).startswith("a ")
    assert np.isfinite([o.x for o in scene.objects]).all()


def test_visplay_records_are_the_games_formats_and_keep_earlier_records(tmp_path):
    from zeroplay.answers.boxed import last_boxed
    from zeroplay.games.visplay.parsing import parse_question
    from zeroplay.games.visplay.prompts import QUESTIONER_INSTRUCTION, REASONER_PROMPT

    without = scene_records(3, tmp_path, CorpusSpec(visplay_records=False))
    records = scene_records(3, tmp_path, CorpusSpec())
    assert records[: len(without)] == without  # drawn afterwards: earlier records unchanged
    questioner, reasoner = records[len(without) :]
    prompt = questioner["messages"][0]["content"]
    assert prompt[0]["text"] == QUESTIONER_INSTRUCTION
    assert (tmp_path / prompt[1]["image"]).exists()
    parsed = parse_question(questioner["messages"][1]["content"][0]["text"], validate_type=True)
    assert parsed.ok and parsed.value.question_type in {"numerical", "multiple choice"}
    asked = reasoner["messages"][0]["content"][0]["text"]
    question = asked.split("\n\n")[0]
    assert question.endswith("?") and asked == REASONER_PROMPT.format(question=question)
    assert question != parsed.value.question  # another question about the same scene
    assert last_boxed(reasoner["messages"][1]["content"][0]["text"]).ok


def test_mm_zero_records_are_the_games_formats(tmp_path):
    """The Proposer reply parses strictly back to the chart's proposal, the CodeGen reply's SVG
    is the chart's SVG and renders, and the Solver answer has the think-then-box format."""
    from zeroplay.answers.boxed import last_boxed
    from zeroplay.data.svg import SvgRenderer
    from zeroplay.games.mm_zero.prompts import codegen_prompt, proposer_prompt, solver_prompt
    from zeroplay.games.mm_zero.proposal import parse_proposal_strict
    from zeroplay.games.mm_zero.rewards import has_solver_format
    from zeroplay.games.mm_zero.svg_code import extract_svg_code
    from zeroplay.toy.corpus import mm_zero_corpus_records
    from zeroplay.toy.mm_zero_records import MAX_BARS, chart_item

    records = mm_zero_corpus_records(tmp_path, 3)
    assert len(records) == 9  # per chart: Proposer, CodeGen, Solver
    items = [chart_item(pair_rng(warm_start_seed(7), i)) for i in range(3)]
    for k, item in enumerate(items):
        proposer, codegen, solver = records[3 * k : 3 * k + 3]
        assert len(item.spec.categories) <= MAX_BARS
        prompt = proposer["messages"][0]["content"][0]["text"]
        assert prompt.endswith(proposer_prompt("")[1:])  # a seed row, then the instructions
        parsed = parse_proposal_strict(proposer["messages"][1]["content"][0]["text"])
        assert parsed.ok and parsed.value == item.proposal
        assert codegen["messages"][0]["content"][0]["text"] == codegen_prompt(item.proposal)
        svg = extract_svg_code(codegen["messages"][1]["content"][0]["text"])
        assert svg == item.svg
        for value in item.spec.series[0].values:
            assert f">{value:.{item.spec.decimals}f}</text>" in svg
        image, question = solver["messages"][0]["content"]
        assert (tmp_path / image["image"]).exists()
        assert question["text"] == solver_prompt(item.proposal.easy_question)
        answer = solver["messages"][1]["content"][0]["text"]
        assert has_solver_format(answer) and last_boxed(answer).value == item.proposal.easy_answer
    with SvgRenderer() as render:
        assert all(r.ok for r in render([item.svg for item in items]))


def test_bar_chart_svg_refuses_other_charts():
    from zeroplay.data.charts.spec import sample_spec
    from zeroplay.data.charts.svg_template import bar_chart_svg

    with pytest.raises(ValueError, match="single-series bar"):
        bar_chart_svg(sample_spec(np.random.default_rng(0), "pie"))


@pytest.mark.parametrize(
    ("recipe", "preset", "section"),
    [
        ("vision-zero", "toy", "data"),
        ("vision-zero", "proof", "data"),
        ("visplay", "proof", "data"),
        ("mm-zero", "proof", "render"),
    ],
)
def test_toy_presets_keep_pictures_at_the_toys_budget(recipe, preset, section):
    from zeroplay.recipes.config_io import read_preset
    from zeroplay.toy.corpus import TOY_MAX_PIXELS

    assert read_preset(recipe, preset)[section]["max_pixels"] == TOY_MAX_PIXELS
