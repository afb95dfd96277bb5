"""reasoner_round with a scripted reasoner: rewards against the silver label, groups, metrics."""

from __future__ import annotations

import json

import pytest
from visplay_script import Script, tiny_image

from zeroplay.games.protocol import Context, run_scripted
from zeroplay.games.visplay import LabelledQuestion, VisPlayGameConfig, reasoner_round


def _kept(question_id: str, question: str, label: str) -> LabelledQuestion:
    return LabelledQuestion(
        question_id=question_id,
        image_id=question_id.split("/")[0],
        sample_index=0,
        text="",
        valid=True,
        invalid_reason=None,
        question_type="numerical",
        question=question,
        questioner_answer="9",
        label=label,
        majority_count=2,
        samples=4,
        confidence=0.5,
        kept=True,
    )


ITEMS = [
    (_kept("a/q0", "How many cubes are red?", "2"), tiny_image(1)),
    (_kept("b/q1", "What fraction of the pie is blue?", "1/2"), tiny_image(2)),
]
REPLIES = {
    "a/q0": ["So \\boxed{2}", "<think>count them</think> \\boxed{2}", "maybe 2", "\\boxed{3}"],
    "b/q1": ["\\boxed{0.5}", "\\boxed{1 / 2}", "<think>half</think>\\boxed{1/3}", "\\boxed{}"],
}


def _play(cfg: VisPlayGameConfig):
    script = Script({}, replies=REPLIES)
    return run_scripted(reasoner_round(Context(), ITEMS, cfg), script), script


def test_paper_reward_is_binary_accuracy() -> None:
    result, script = _play(VisPlayGameConfig(reasoner_group_size=4))
    # "1/2" grades 0.5 and "1 / 2" as equal to the silver "1/2"; no box scores 0.
    assert [t.reward for t in result.turns] == [1.0, 1.0, 0.0, 0.0, 1.0, 1.0, 0.0, 0.0]
    assert [t.group for t in result.turns] == ["a/q0"] * 4 + ["b/q1"] * 4
    assert {(t.role, t.stage, t.policy) for t in result.turns} == {
        ("reasoner", "reasoner", "reasoner")
    }
    sent = script.sent("reasoner")
    assert [r.sampling.n for r in sent] == [4, 4]
    assert sent[0].sampling.top_p == pytest.approx(0.99)
    assert sent[0].meta["phase"] == "reasoner"
    assert result.records[2].answer is None
    json.dumps([r.to_record() for r in result.records])


def test_code_reward_adds_the_think_format_term() -> None:
    result, _ = _play(VisPlayGameConfig(reasoner_group_size=4, reasoner_reward_variant="code"))
    # 0.9 * accuracy + 0.1 * [<think>...</think>\boxed{...}]
    assert [t.reward for t in result.turns] == pytest.approx(
        [0.9, 1.0, 0.0, 0.0, 0.9, 0.9, 0.1, 0.0]
    )


def test_metrics_hand_computed() -> None:
    result, _ = _play(VisPlayGameConfig(reasoner_group_size=4))
    metrics = result.metrics
    assert metrics["samples"] == 8
    assert metrics["questions"] == 2
    assert metrics["accuracy_mean"] == pytest.approx(4 / 8)
    # Boxed: 3 of a/q0's replies and 3 of b/q1's (an empty box holds no answer).
    assert metrics["boxed_frac"] == pytest.approx(6 / 8)
    assert metrics["think_format_frac"] == pytest.approx(2 / 8)
    assert metrics["zero_variance_group_frac"] == 0.0


def test_rejects_questions_that_were_not_kept() -> None:
    dropped = _kept("c/q0", "How many?", "1")
    dropped.kept = False
    episode = reasoner_round(Context(), [(dropped, tiny_image())], VisPlayGameConfig())
    with pytest.raises(ValueError, match="not kept"):
        run_scripted(episode, Script({}))
