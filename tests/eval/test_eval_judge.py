"""The judge: its prompt, reading verdicts, an OpenAI-compatible endpoint (a local fake server on
127.0.0.1), and a local model through the engine."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from eval_judge_server import judge_server

from zeroplay.eval.items import BenchItem, Benchmark
from zeroplay.eval.judge_http import (
    HttpJudge,
    HttpJudgeSettings,
    JudgeUnavailable,
    chat_completions_url,
)
from zeroplay.eval.judge_prompt import NO_ANSWER_NOTE, TAIL_CHARS, judge_query, read_verdict
from zeroplay.eval.records import ItemRecord
from zeroplay.eval.runner import judge_records
from zeroplay.eval.summary import judge_summary

CHOICE = BenchItem("c", "Which colour?", "B", "choice", choices=("red", "blue"), hint="look")
TEXT = BenchItem("t", "Which shape?", "sphere", "text", accept=("ball",))


@pytest.fixture(autouse=True)
def _no_proxies(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "http_proxy",
        "HTTP_PROXY",
        "https_proxy",
        "HTTPS_PROXY",
        "all_proxy",
        "ALL_PROXY",
    ):
        monkeypatch.delenv(name, raising=False)


def _record(item: BenchItem, extracted: str | None, response: str, correct: bool) -> ItemRecord:
    return ItemRecord(
        id=item.id,
        category="",
        answer_type=item.answer_type,
        prompt="",
        n_images=0,
        response=response,
        finish_reason="stop",
        num_tokens=1,
        extracted=extracted,
        extraction="boxed" if extracted else None,
        extraction_error=None,
        normalized=None,
        gold=item.answer,
        accept=list(item.accept),
        correct=correct,
    )


def test_judge_prompt_shows_options_gold_and_answer() -> None:
    query = judge_query(CHOICE, "B", "... \\boxed{B}")
    assert "Question: look\nWhich colour?\nOptions:\nA. red\nB. blue" in query.prompt
    assert "Reference answer: B. blue" in query.prompt and "Given answer: B\n" in query.prompt
    assert query.prompt.endswith("Reply with one word: CORRECT or INCORRECT.")
    text = judge_query(TEXT, "a ball", "")
    assert "Reference answer: sphere (also accepted: ball)" in text.prompt


def test_judge_sees_only_the_tail_of_an_unboxed_response() -> None:
    response = "<think>" + "x" * 3000 + "</think>" + "y" * 900 + " it is a sphere"
    query = judge_query(TEXT, None, response)
    assert query.answer_shown.startswith(NO_ANSWER_NOTE)
    assert len(query.answer_shown) == len(NO_ANSWER_NOTE) + TAIL_CHARS
    assert query.answer_shown.endswith("it is a sphere") and "x" not in query.answer_shown
    assert judge_query(TEXT, None, "").answer_shown == NO_ANSWER_NOTE + "(empty response)"


@pytest.mark.parametrize(
    ("reply", "verdict"),
    [
        ("CORRECT", True),
        ("Incorrect.", False),
        ("INCORRECT. The correct answer is B.", False),
        ("<think>is it correct? maybe incorrect</think>\nCorrect", True),
        ("correctly", None),
        ("", None),
    ],
)
def test_read_verdict(reply: str, verdict: bool | None) -> None:
    parsed = read_verdict(reply)
    assert parsed.value is verdict and (parsed.ok is (verdict is not None))


def test_chat_completions_url() -> None:
    assert chat_completions_url("http://h:8/v1") == "http://h:8/v1/chat/completions"
    assert (
        chat_completions_url("http://h:8/v1/chat/completions/") == "http://h:8/v1/chat/completions"
    )
    with pytest.raises(JudgeUnavailable, match="http"):
        chat_completions_url("ftp://h/v1")


def test_http_judge_on_a_local_endpoint() -> None:
    items = (CHOICE, TEXT, BenchItem("u", "Colour?", "red", "text"))
    bench = Benchmark("mini", items, "mini.jsonl", "jsonl")
    records = [
        _record(CHOICE, "B", "\\boxed{B}", True),
        _record(TEXT, None, "I would say sphere", False),
        _record(items[2], "unsure", "\\boxed{unsure}", False),
    ]
    with judge_server(fail_first=1) as (url, received):
        judge = HttpJudge(HttpJudgeSettings(url=url, model="judge-7b", concurrency=2))
        judge.check()  # the first request gets 503 and is retried
        judge_records(judge, bench, records, batch_size=2)
    assert all(r["path"] == "/v1/chat/completions" for r in received)
    bodies = [r["body"] for r in received]
    assert all(b["temperature"] == 0.0 and b["model"] == "judge-7b" for b in bodies)
    assert all(b["max_tokens"] == 16 for b in bodies) and len(bodies) == 2 + 3
    first, second, third = (r.judge for r in records)
    assert first.correct is True and first.reply == "CORRECT" and first.answer_shown == "B"
    # The unboxed "sphere" is credited by the judge although the rules gave no answer.
    assert second.correct is True and second.answer_shown.startswith(NO_ANSWER_NOTE)
    assert third.correct is None and third.reason == "reply says neither CORRECT nor INCORRECT"
    summary = judge_summary(records)
    assert summary == {
        "n": 3,
        "correct": 2,
        "accuracy": 2 / 3,
        "invalid": 1,
        "agreement_with_rules": 0.5,
    }
    assert judge.describe()["url"] == url + "/chat/completions"


def test_unreachable_endpoint_fails_fast() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    judge = HttpJudge(HttpJudgeSettings(url=f"http://127.0.0.1:{port}/v1", model="m", retries=0))
    with pytest.raises(JudgeUnavailable, match="does not answer"):
        judge.check()


@pytest.mark.slow
def test_local_model_judges(tiny_qwen, tmp_path: Path) -> None:
    """A VLM judge (the tiny Qwen) and a text-only LLM judge both run greedily through the
    engine; their verdicts are deterministic (readable or not)."""
    from transformers import Qwen2Config, Qwen2ForCausalLM

    from zeroplay.eval.judge_engine import EngineJudge, is_vision_language, load_judge_model

    model, processor = tiny_qwen
    queries = [judge_query(CHOICE, "B", ""), judge_query(TEXT, None, "maybe a ball")]
    judge = EngineJudge("tiny", model, processor, max_new_tokens=4)
    first, again = judge.judge(queries), judge.judge(queries)
    assert [v.reply for v in first] == [v.reply for v in again]
    assert all(v.correct is None or v.reason is None for v in first)
    assert judge.describe()["decoding"] == {"temperature": 0.0, "max_new_tokens": 4}
    # A causal LM folder (no vision tower) loads through AutoModelForCausalLM.
    tokenizer = processor.tokenizer
    config = Qwen2Config(
        vocab_size=len(tokenizer),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=1,
        num_attention_heads=2,
        num_key_value_heads=1,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    llm_dir = tmp_path / "llm"
    Qwen2ForCausalLM(config).save_pretrained(llm_dir)
    tokenizer.save_pretrained(llm_dir)
    assert not is_vision_language(str(llm_dir))
    llm, llm_tokenizer = load_judge_model(str(llm_dir), device="cpu")
    verdicts = EngineJudge("llm", llm, llm_tokenizer, max_new_tokens=3).judge(queries)
    assert len(verdicts) == 2 and all(isinstance(v.reply, str) for v in verdicts)
