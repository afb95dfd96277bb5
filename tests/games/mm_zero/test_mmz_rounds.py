"""The MM-Zero rounds played by scripted players with a fake renderer; rewards hand-computed."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from mmz_players import FakeRender, box, dispatch, proposal_text, svg_reply
from PIL import Image

from zeroplay.engines.request import SamplingParams
from zeroplay.games.mm_zero import (
    MMZeroGameConfig,
    Proposal,
    ProposalItem,
    SeedPrompt,
    SolverItem,
    codegen_round,
    coevolution_metrics,
    generate_proposals,
    proposer_round,
    render_rate_filter,
    solver_labelling,
    solver_round,
)
from zeroplay.games.protocol import Context, run_scripted

CFG = MMZeroGameConfig()
CAPTION_BARS = "a grouped bar chart of monthly rainfall in five coastal towns with a legend"
CAPTION_TRIANGLE = "a triangle with two marked angles and one bisector drawn in red ink"
A = Proposal(CAPTION_BARS, "which town is wettest in july", "Delta",
             "what is the ratio of rain in alpha to beta", "2", "data_chart")  # fmt: skip
B = Proposal(CAPTION_TRIANGLE, "what is angle b in degrees", "30",
             "what is the sum of the two marked angles", "60", "geometry")  # fmt: skip
C = Proposal(CAPTION_BARS, "how many towns are drawn here", "5",
             "by how much does april exceed march in delta", "3", "other")  # fmt: skip


def as_text(p: Proposal, declared: str | None = None) -> str:
    return proposal_text(p.caption, p.easy_question, p.easy_answer, p.hard_question,
                         p.hard_answer, declared or p.content_type)  # fmt: skip


def test_proposer_round_rewards_match_hand_computation():
    config = replace(
        CFG,
        proposer_rollout=SamplingParams(n=2, temperature=1.0, top_p=0.99),
        codegen_scoring=SamplingParams(n=2, temperature=0.7, top_p=0.95, top_k=40),
    )
    seeds = [SeedPrompt("chart-000", "chart", "chart topic"), SeedPrompt("shape-000", "shape", "s")]
    proposals = {
        ("chart-000", 0): as_text(A),
        ("chart-000", 1): "I forgot the format.",
        ("shape-000", 0): as_text(B, "Geometry"),
        ("shape-000", 1): as_text(C),
    }
    codes = {
        ("00000-0", 0): svg_reply("A0"),
        ("00000-0", 1): "```svg\n<svg broken>\n```",
        ("00001-0", 0): svg_reply("B0"),
        ("00001-0", 1): svg_reply("B1"),
        ("00001-1", 0): "I cannot draw that.",
        ("00001-1", 1): svg_reply("C1"),
    }
    judge = {
        ("00000-0/svg0", "judge_easy"): [box("Delta")] * 3 + [box("Gamma"), "no box"],
        ("00000-0/svg0", "judge_hard"): [box("2")] * 3 + [box("3")] * 2,
        ("00001-0/svg0", "judge_easy"): [box("30")] * 5,
        ("00001-0/svg0", "judge_hard"): [box("60")] * 5,
        ("00001-0/svg1", "judge_easy"): [box("30")] * 2 + [box("40")] * 3,
        ("00001-0/svg1", "judge_hard"): [box("60")] * 4 + [box("none")],
        ("00001-1/svg1", "judge_easy"): [box("5")] * 5,
        ("00001-1/svg1", "judge_hard"): [box(str(i)) for i in range(1, 6)],
    }
    player = dispatch(
        proposer=lambda r, i: proposals[(r.meta["seed_id"], i)],
        codegen=lambda r, i: codes[(r.meta["proposal_id"], i)],
        solver=lambda r, i: judge[(r.meta["job_id"], r.meta["use"])][i],
    )
    render = FakeRender()
    result = run_scripted(proposer_round(Context(), seeds, render, config), player)

    # A: base (0.5 + 0.4) / 2 = 0.45; caption duplicated by C: -0.5 * 0.45 = -0.225;
    #    data_chart share 2/3: -0.15 * (2/3 - 0.5) / 0.5 = -0.05.
    # B: base (0.5 + 0 + 0.4 + 0) / 2 = 0.45; mean difficulty 0 < 0.15: -0.3.
    # C: base (0 + 0.5 + 0.2) / 2 = 0.35; -0.225 (caption) - 0.05 (type, via caption keywords).
    rewards = {r.proposal_id: r.reward for r in result.records}
    assert rewards == pytest.approx(
        {"00000-0": 0.175, "00000-1": -1.0, "00001-0": 0.15, "00001-1": 0.075}
    )
    by_id = {r.proposal_id: r for r in result.records}
    assert by_id["00000-1"].invalid_reason == "missing <caption>"
    assert by_id["00001-1"].effective_content_type == "data_chart"
    assert by_id["00001-0"].easy_hard_penalty == -0.3
    assert by_id["00000-0"].svgs[1]["render_reason"] == "refused: malformed XML"
    assert by_id["00001-1"].svgs[0]["render_reason"] == "no SVG code in the reply"
    # Empty code is never sent to the renderer; everything else goes in one batch.
    assert len(render.batches) == 1 and len(render.batches[0]) == 5
    assert [(t.group, t.role, t.policy) for t in result.turns] == [
        ("00000", "proposer", "proposer"), ("00000", "proposer", "proposer"),
        ("00001", "proposer", "proposer"), ("00001", "proposer", "proposer"),
    ]  # fmt: skip
    assert [t.reward for t in result.turns] == [r.reward for r in result.records]
    assert result.metrics["valid_rate"] == 0.75
    assert result.metrics["render_rate"] == pytest.approx(4 / 6)
    json.dumps([r.to_record() for r in result.records])


def test_codegen_round_rewards():
    items = [ProposalItem("pA", A), ProposalItem("pB", B)]
    config = replace(CFG, codegen_rollout=SamplingParams(n=2, temperature=0.7, top_p=0.95))
    codes = {
        ("pA", 0): svg_reply("A0"),
        ("pA", 1): "```svg\n<svg broken>\n```",
        ("pB", 0): "I cannot draw that.",
        ("pB", 1): "```svg\nhello\n```",
    }
    judge = {
        ("pA/svg0", "judge_easy"): [box("Delta")] * 5,
        ("pA/svg0", "judge_hard"): [box("2")] * 2 + [box("3")] * 3,
    }
    seen = []

    def solver(request, i):
        seen.append((request.policy, request.meta["phase"], len(request.images)))
        return judge[(request.meta["job_id"], request.meta["use"])][i]

    player = dispatch(codegen=lambda r, i: codes[(r.meta["proposal_id"], i)], solver=solver)
    result = run_scripted(codegen_round(Context(), items, FakeRender(), config), player)
    # rendered: 1 + 1.0 + min(0.6, 0.4); failed render -0.1; no SVG / not SVG -0.5.
    assert [r.reward for r in result.records] == pytest.approx([2.4, -0.1, -0.5, -0.5])
    assert [r.svg_like for r in result.records] == [True, True, False, False]
    assert [t.group for t in result.turns] == ["pA", "pA", "pB", "pB"]
    assert {s[:2] for s in seen} == {("solver", "codegen")} and all(s[2] == 1 for s in seen)
    assert result.metrics["renderability"] == 0.25
    assert result.metrics["type_compliant"] == 0.5


def test_render_rate_filter_keeps_the_middle_band():
    items = [ProposalItem("pA", A), ProposalItem("pB", B), ProposalItem("pC", C)]
    rendered = {"pA": 2, "pB": 4, "pC": 0}  # successes out of 4

    def codegen(request, i):
        return svg_reply("ok") if i < rendered[request.meta["proposal_id"]] else "<svg broken>"

    result = run_scripted(
        render_rate_filter(Context(), items, FakeRender(), CFG), dispatch(codegen=codegen)
    )
    assert [item.proposal_id for item in result.kept] == ["pA"]
    assert [r.render_rate for r in result.records] == [0.5, 1.0, 0.0]
    assert [r.drop_reason for r in result.records] == [
        None, "render rate 1 above 0.75", "render rate 0 below 0.25",
    ]  # fmt: skip
    off = replace(CFG, codegen_render_filter=False)
    everything = run_scripted(render_rate_filter(Context(), items, FakeRender(), off), dispatch())
    assert [item.proposal_id for item in everything.kept] == ["pA", "pB", "pC"]
    assert all(r.render_rate is None for r in everything.records)


def labelling_case(config: MMZeroGameConfig):
    no_hard = replace(B, hard_question="", hard_answer="")
    items = [
        ProposalItem("pA", A),
        ProposalItem("pB", B),
        ProposalItem("pD", no_hard),
        ProposalItem("pE", C),
        ProposalItem("pF", replace(B, caption="another triangle")),
    ]
    codes = {"pA": svg_reply("A"), "pB": svg_reply("B"), "pD": svg_reply("D"),
             "pE": "<svg broken></svg>", "pF": svg_reply("F")}  # fmt: skip
    answers = {
        ("pA", "label_hard"): [box("2")] * 5 + [box("3")] * 3 + ["no box"] * 2,
        ("pA", "label_easy"): [box("Delta")] * 10,
        ("pB", "label_hard"): ["I do not know"] * 10,
        ("pB", "label_easy"): [box("30")] * 10,
        ("pF", "label_hard"): [box("60")] * 10,
        ("pF", "label_easy"): [box("30")] * 10,
    }
    player = dispatch(
        codegen=lambda r, i: codes[r.meta["proposal_id"]],
        solver=lambda r, i: answers[(r.meta["proposal_id"], r.meta["use"])][i],
    )
    return run_scripted(solver_labelling(Context(), items, FakeRender(), config), player)


def test_solver_labelling_votes_and_filters():
    result = labelling_case(CFG)
    records = {r.proposal_id: r for r in result.records}
    # pA: 5 of the 8 boxed hard answers agree -> label "2", hard consistency 0.625.
    assert (records["pA"].label, records["pA"].hard_consistency) == ("2", pytest.approx(0.625))
    assert records["pA"].easy_consistency == 1.0 and records["pA"].kept
    assert records["pB"].drop_reason == "no boxed answer to the hard question"
    assert records["pD"].drop_reason == "no hard question or answer"
    assert records["pE"].drop_reason == "not rendered" and not records["pE"].rendered
    assert records["pF"].drop_reason == "hard consistency 1 outside [0.25, 0.75]"
    assert [(i.item_id, i.label, i.question) for i in result.items] == [
        ("pA", "2", A.hard_question)
    ]
    assert isinstance(result.items[0].image, Image.Image)
    assert result.metrics["kept"] == 1.0 and result.metrics["evaluated"] == 2.0
    code = labelling_case(MMZeroGameConfig.code())
    # The code counts the two missing boxes: 5 / 10.
    assert code.records[0].hard_consistency == pytest.approx(0.5)


def test_solver_round_rewards_against_the_label():
    item = SolverItem("pA", A.hard_question, "2", Image.new("RGB", (8, 6)), 0.625, 1.0)
    config = replace(CFG, solver_rollout=SamplingParams(n=4, temperature=1.0, top_p=0.99))
    replies = [box("2"), "\\boxed{2}", box("3"), "I don't know"]
    player = dispatch(solver=lambda r, i: replies[i])
    result = run_scripted(solver_round(Context(), [item], config), player)
    assert [r.reward for r in result.records] == pytest.approx([1.0, 0.9, 0.1, 0.0])
    assert [r.answer for r in result.records] == ["2", "2", "3", None]
    assert {(t.role, t.group, t.policy) for t in result.turns} == {("solver", "pA", "solver")}
    assert result.metrics["accuracy"] == 0.5 and result.metrics["format"] == 0.5


def test_generate_proposals_and_coevolution_metrics():
    seeds = [SeedPrompt("chart-000", "chart", "c"), SeedPrompt("shape-000", "shape", "s")]
    texts = {"chart-000": as_text(A), "shape-000": "I will not."}
    batch = run_scripted(
        generate_proposals(Context(), seeds, CFG, phase="solver", id_prefix="it1-"),
        dispatch(proposer=lambda r, i: texts[r.meta["seed_id"]]),
    )
    assert [item.proposal_id for item in batch.items] == ["it1-000000-0"]
    assert [r.valid for r in batch.records] == [True, False]
    labelled = labelling_case(CFG)
    metrics = coevolution_metrics(
        proposals=[r.to_record() for r in batch.records],
        labelling=[r.to_record() for r in labelled.records],
        render_filter=[{"proposal_id": "x", "kept": True}, {"proposal_id": "y", "kept": False}],
    )
    # Evaluated items: pA (hard 0.625, easy 1.0) and pF (hard 1.0, easy 1.0).
    assert metrics["difficulty"] == pytest.approx(((1 - 0.25) + (1 - 1.0)) / 2)
    assert metrics["solvability"] == 1.0
    assert metrics["easy_hard_gap"] == pytest.approx(1.0 - (0.625 + 1.0) / 2)
    # Rendered with a hard question: pA, pB, pF of 5 proposals sent to the CodeGen.
    assert metrics["render_rate"] == pytest.approx(3 / 5)
    assert metrics["funnel"] == {"proposals": 2, "valid_proposals": 1, "sent_to_codegen": 5,
                                 "rendered": 3, "evaluated": 2, "kept": 1}  # fmt: skip
    assert metrics["content_types"] == {"data_chart": 0.5, "unknown": 0.5}
    assert metrics["content_type_entropy"] == pytest.approx(1.0)
    assert metrics["hard_consistency"]["median"] == pytest.approx(0.8125)
    assert metrics["hard_consistency"]["histogram"][6] == 1
    assert metrics["hard_consistency"]["histogram"][9] == 1
    assert metrics["codegen_training_size"] == 1 and metrics["solver_training_size"] == 1
    assert metrics["svg_length"] == pytest.approx(
        sum(len(r.code) for r in labelled.records if r.code) / 5
    )
    json.dumps(metrics)


def test_codegen_round_with_the_real_sandbox():
    from zeroplay.data.svg import SvgRenderConfig, SvgRenderer

    config = replace(CFG, codegen_rollout=SamplingParams(n=2, temperature=0.7, top_p=0.95))
    drawing = (
        '```svg\n<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 80 60">'
        '<rect width="80" height="60" fill="white"/><text x="5" y="30">Delta</text></svg>\n```'
    )
    broken = '```svg\n<svg width="10" height="10"><image href="file:///etc/passwd"></svg>\n```'
    codes = [drawing, broken]
    player = dispatch(
        codegen=lambda r, i: codes[i],
        solver=lambda r, i: box("Delta") if r.meta["use"] == "judge_easy" else box(str(i % 2)),
    )
    with SvgRenderer(SvgRenderConfig(workers=1)) as render:
        result = run_scripted(
            codegen_round(Context(), [ProposalItem("pA", A)], render, config), player
        )
    # Rendered: 1 + solvability 1.0 + min(0.6, 0.4); the unclosed <image> is malformed: -0.1.
    assert [r.reward for r in result.records] == pytest.approx([2.4, -0.1])
    assert (result.records[0].svg["width"], result.records[0].svg["height"]) == (80, 60)
    assert result.records[1].svg["render_reason"].startswith("refused: malformed XML")
