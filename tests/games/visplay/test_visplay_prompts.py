"""Prompt layouts of both styles (note §1.1, §1.2): turn structure, image position, key phrases."""

from __future__ import annotations

import pytest

from zeroplay.games.visplay import QUESTION_TYPES, questioner_messages, reasoner_messages
from zeroplay.games.visplay.prompts import QUESTIONER_INSTRUCTION, QUESTIONER_INSTRUCTION_CODE


def _layout(messages: list[dict]) -> list[tuple[str, list[str]]]:
    return [(m["role"], [part["type"] for part in m["content"]]) for m in messages]


def _text(messages: list[dict], index: int = -1) -> str:
    return next(p["text"] for p in messages[index]["content"] if p["type"] == "text")


@pytest.mark.parametrize("use", ["train", "generate"])
def test_consistent_questioner_prompt_is_the_same_for_both_uses(use: str) -> None:
    messages = questioner_messages("consistent", use)
    assert _layout(messages) == [("user", ["text", "image"])]
    assert _text(messages) == QUESTIONER_INSTRUCTION


def test_code_questioner_prompts_differ_between_training_and_generation() -> None:
    train = questioner_messages("code", "train")
    assert _layout(train) == [("user", ["text", "image"])]
    assert _text(train) == QUESTIONER_INSTRUCTION_CODE
    generate = questioner_messages("code", "generate")
    assert _layout(generate) == [("system", ["text"]), ("user", ["image", "text"])]
    assert _text(generate, 0) == QUESTIONER_INSTRUCTION_CODE
    assert "challenging" in _text(generate)


@pytest.mark.parametrize("instruction", [QUESTIONER_INSTRUCTION, QUESTIONER_INSTRUCTION_CODE])
def test_questioner_instruction_names_types_and_tags(instruction: str) -> None:
    for question_type in QUESTION_TYPES:
        assert question_type in instruction
    for tag in ("<type>", "</type>", "<question>", "</question>", "<answer>", "</answer>"):
        assert tag in instruction
    assert "exactly one question" in instruction


def test_code_instruction_keeps_the_unit_contradiction() -> None:
    assert "Include units if applicable" in QUESTIONER_INSTRUCTION_CODE
    assert "Do not include any units" in QUESTIONER_INSTRUCTION_CODE
    assert "Include units" not in QUESTIONER_INSTRUCTION


@pytest.mark.parametrize("use", ["reward", "label", "train"])
def test_consistent_reasoner_prompt_is_one_cot_prompt(use: str) -> None:
    question = "What is {x} in the set {1, 2}?"
    messages = reasoner_messages(question, "numerical", "consistent", use)
    assert _layout(messages) == [("user", ["text", "image"])]
    text = _text(messages)
    assert text.startswith(question)  # braces in the question survive formatting
    assert "step by step" in text
    assert "\\boxed{}" in text


def test_code_reasoner_prompts() -> None:
    reward = reasoner_messages("How many?", "numerical", "code", "reward")
    assert _layout(reward) == [("system", ["text"]), ("user", ["image", "text"])]
    assert "Do not write any explanation" in _text(reward, 0)
    user = _text(reward)
    assert "How many?" in user and "numerical" in user
    assert "\\boxed{{answer}}" in user  # the code's literal doubled braces

    label = reasoner_messages("How many?", "numerical", "code", "label")
    assert _layout(label) == [("system", ["text"]), ("user", ["image", "text"])]
    assert _text(label, 0) == "You are a helpful assistant."
    assert _text(label).startswith("How many?\n")
    assert "step by step" in _text(label)

    train = reasoner_messages("How many?", "numerical", "code", "train")
    assert _layout(train) == [("user", ["text", "image"])]
    text = _text(train)
    assert "question: How many? and the image" in text
    assert "\\\\boxed{ }" in text  # the code's literal double backslash
    assert "numerical" not in text
