"""questioner_round played by scripted players, with hand-computed rewards for both variants."""

from __future__ import annotations

import json

import pytest
from visplay_script import Script, question_reply, tiny_image

from zeroplay.games.protocol import Context, run_scripted
from zeroplay.games.visplay import QuestionerRound, VisPlayGameConfig, questioner_round

CUBES = "How many red cubes are to the left of the large grey sphere?"
BAR = "What is the height of the tallest bar in the chart, measured in centimetres?"
INVALID = "Sure! Here is a question about the image: how many cubes?"

# Image a: two copies of one question, one different question, one malformed reply.
# Image b: two more copies of the cube question and two malformed replies.
QUESTIONS = {
    "a": [question_reply(CUBES), question_reply(CUBES), question_reply(BAR, "regression"), INVALID],
    "b": [question_reply(CUBES), question_reply(CUBES), INVALID, INVALID],
}
# m = 4 reasoner samples per valid question.
ANSWERS = {
    "a/q0": ["3", "3", "4", None],
    "a/q1": ["3", "3", "4", None],
    "a/q2": ["12.5", "12.5", "12.5", "12.5"],
    "b/q0": ["2", "5", "6", "7"],
    "b/q1": ["2", "2", "2", None],
}


def _play(cfg: VisPlayGameConfig) -> tuple[QuestionerRound, Script]:
    script = Script(QUESTIONS, ANSWERS)
    images = [("a", tiny_image(0)), ("b", tiny_image(9))]
    result = run_scripted(questioner_round(Context(), images, cfg, meta={"iteration": 2}), script)
    return result, script


def _rewards(result: QuestionerRound) -> dict[str, float]:
    return {r.question_id: r.reward for r in result.records}


def test_paper_rewards_cluster_per_image() -> None:
    cfg = VisPlayGameConfig(questioner_group_size=4, reward_samples=4, diversity_lambda=1.0)
    result, _ = _play(cfg)
    # a/q0, a/q1: votes 3,3,4 (no box does not vote) -> c = 2/4; r_unc = 1 - |2*0.5 - 1| = 1;
    #   cluster {q0, q1} of the image's 4 questions -> share 2/4; reward = ReLU(1 - 0.5) = 0.5.
    # a/q2: c = 4/4 -> r_unc = 0; share 1/4; reward = ReLU(-0.25) = 0.
    # b/q0: votes 2,5,6,7 -> c = 1/4, r_unc = 1 - |0.5 - 1| = 0.5; share 2/4 -> reward 0.
    # b/q1: c = 3/4, r_unc = 0.5; share 2/4 -> 0.  Invalid replies -> 0.
    assert _rewards(result) == pytest.approx(
        {
            "a/q0": 0.5,
            "a/q1": 0.5,
            "a/q2": 0.0,
            "a/q3": 0.0,
            "b/q0": 0.0,
            "b/q1": 0.0,
            "b/q2": 0.0,
            "b/q3": 0.0,
        }
    )
    by_id = {r.question_id: r for r in result.records}
    assert (by_id["a/q0"].cluster_size, by_id["a/q0"].pool_size) == (2, 4)
    assert by_id["a/q0"].uncertainty == pytest.approx(1.0)
    assert by_id["a/q0"].penalty == pytest.approx(0.5)
    assert by_id["a/q0"].label == "3"
    assert by_id["a/q0"].reasoner_answers == ["3", "3", "4", None]
    assert by_id["a/q3"].valid is False
    assert by_id["a/q3"].invalid_reason == "missing <type> in order"


def test_paper_lambda_scales_the_penalty() -> None:
    cfg = VisPlayGameConfig(questioner_group_size=4, reward_samples=4, diversity_lambda=0.5)
    result, _ = _play(cfg)
    # a/q0: 1 - 0.5 * 2/4 = 0.75; b/q0: r_unc 0.5 - 0.25 = 0.25.
    rewards = _rewards(result)
    assert rewards["a/q0"] == pytest.approx(0.75)
    assert rewards["b/q0"] == pytest.approx(0.25)


def test_code_rewards_cluster_over_the_batch() -> None:
    cfg = VisPlayGameConfig.code(questioner_group_size=4, reward_samples=4)
    result, _ = _play(cfg)
    # N = 8 questions; the four cube questions form one cluster (share 4/8), the bar question
    # and each invalid reply are singletons (share 1/8). A missing box votes as "None" here.
    # a/q0: c = 2/4 -> min(0.5, 0.5) - 0.5 = 0.0     a/q2: c = 1 -> 0 - 0.125 = -0.125
    # b/q0: c = 1/4 -> 0.25 - 0.5 = -0.25          b/q1: c = 3/4 -> 0.25 - 0.5 = -0.25
    # invalid: -1 - 1/8 = -1.125
    assert _rewards(result) == pytest.approx(
        {
            "a/q0": 0.0,
            "a/q1": 0.0,
            "a/q2": -0.125,
            "a/q3": -1.125,
            "b/q0": -0.25,
            "b/q1": -0.25,
            "b/q2": -1.125,
            "b/q3": -1.125,
        }
    )
    by_id = {r.question_id: r for r in result.records}
    assert (by_id["b/q1"].cluster_size, by_id["b/q1"].pool_size) == (4, 8)


def test_paper_rewards_with_batch_scope_use_the_batch_share() -> None:
    cfg = VisPlayGameConfig(
        questioner_group_size=4, reward_samples=4, diversity_scope="batch", diversity_lambda=1.0
    )
    result, _ = _play(cfg)
    # a/q0: r_unc 1 - 4/8 = 0.5; b/q0 and b/q1: 0.5 - 0.5 = 0.
    rewards = _rewards(result)
    assert rewards["a/q0"] == pytest.approx(0.5)
    assert rewards["b/q1"] == pytest.approx(0.0)


def test_requests_turns_and_records() -> None:
    cfg = VisPlayGameConfig(questioner_group_size=4, reward_samples=4)
    result, script = _play(cfg)
    asked = script.sent("questioner")
    assert [r.meta["image_id"] for r in asked] == ["a", "b"]
    assert all(r.sampling.n == 4 and len(r.images) == 1 for r in asked)
    assert asked[0].meta == {
        "iteration": 2,
        "game": "visplay",
        "phase": "questioner",
        "role": "questioner",
        "image_id": "a",
    }
    # Only the five valid questions reach the reasoner, m samples each.
    answered = script.sent("reasoner")
    assert [r.meta["question_id"] for r in answered] == ["a/q0", "a/q1", "a/q2", "b/q0", "b/q1"]
    assert all(r.sampling.n == 4 and r.sampling.top_k == 40 for r in answered)
    assert CUBES in answered[0].messages[0]["content"][0]["text"]

    assert len(result.turns) == 8
    first = result.turns[0]
    assert (first.role, first.stage, first.group, first.policy) == (
        "questioner",
        "questioner",
        "a",
        "questioner",
    )
    assert first.generated.text == QUESTIONS["a"][0]
    assert [t.reward for t in result.turns] == [r.reward for r in result.records]
    json.dumps([r.to_record() for r in result.records])
    assert result.metrics["valid_frac"] == pytest.approx(5 / 8)


def test_rejects_duplicate_image_ids() -> None:
    cfg = VisPlayGameConfig(questioner_group_size=2)
    episode = questioner_round(Context(), [("a", tiny_image()), ("a", tiny_image())], cfg)
    with pytest.raises(ValueError, match="duplicate"):
        run_scripted(episode, Script(QUESTIONS))
