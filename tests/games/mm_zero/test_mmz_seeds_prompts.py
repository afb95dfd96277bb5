"""Seed rows and the role prompts."""

from zeroplay.games.mm_zero.config import MMZeroGameConfig
from zeroplay.games.mm_zero.prompts import (
    codegen_prompt,
    codegen_spec,
    proposer_prompt,
    solver_prompt,
)
from zeroplay.games.mm_zero.proposal import CONTENT_TYPES, Proposal
from zeroplay.games.mm_zero.seeds import SEED_TOPICS, seed_prompts, seeds_for


def test_eight_topics_times_126_unique_deterministic_rows():
    rows = seed_prompts()
    assert len(rows) == 8 * 126
    assert [r.topic for r in rows[::126]] == list(SEED_TOPICS)
    assert len({r.seed_id for r in rows}) == len({r.text for r in rows}) == 1008
    assert rows == seed_prompts()
    assert rows != seed_prompts(seed=1)
    assert all(r.text.startswith(r.topic + "\n") for r in rows)


def test_topic_style_and_larger_counts():
    bare = seed_prompts(3, style="topic")
    assert [r.text for r in bare[:3]] == [SEED_TOPICS[0]] * 3
    many = seed_prompts(130)
    assert len(many) == 8 * 130 and len({r.seed_id for r in many}) == 8 * 130
    assert len(seeds_for(MMZeroGameConfig(seeds_per_topic=2))) == 16


def test_proposer_prompt_lists_the_tags_and_types():
    prompt = proposer_prompt("spatial and geometric reasoning")
    assert prompt.startswith("spatial and geometric reasoning\n\n")
    for tag in (
        "content_type",
        "caption",
        "easy_question",
        "easy_answer",
        "hard_question",
        "hard_answer",
    ):
        assert f"<{tag}>" in prompt and f"</{tag}>" in prompt
    for content_type in CONTENT_TYPES:
        assert content_type in prompt


def test_codegen_spec_has_the_fixed_layout():
    proposal = Proposal("Bars of rain", "Which?", "Delta", "", "", "data_chart")
    assert codegen_spec(proposal) == (
        "Visual Type: svg\n\nChart Description:\nBars of rain\n\n"
        "Easy Question: Which?\nEasy Answer: Delta\n\n"
        "Hard Question: N/A\nHard Answer: N/A"
    )
    prompt = codegen_prompt(proposal)
    assert prompt.startswith(codegen_spec(proposal)) and "```svg" in prompt


def test_solver_prompt_asks_for_think_and_box():
    prompt = solver_prompt("How many bars?")
    assert prompt.startswith("How many bars?\n\n")
    assert "<think>" in prompt and "\\boxed{}" in prompt
