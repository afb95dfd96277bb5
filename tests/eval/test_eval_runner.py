"""The runner with a scripted engine: records joined by id, summaries, resume, unreadable images."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from zeroplay.eval.items import BenchItem, Benchmark, ImageRef
from zeroplay.eval.response_cache import Generated, ResponseCache
from zeroplay.eval.runner import GenerationSettings, evaluate, score_item
from zeroplay.eval.scoring import ScoringSettings
from zeroplay.eval.summary import summarize


@dataclass
class FakeCompletion:
    text: str
    finish_reason: str = "stop"
    num_tokens: int = 5


class ScriptedEngine:
    """Answers each request from a table keyed by item id; records what it was asked."""

    def __init__(self, answers: dict[str, str]) -> None:
        self.answers = answers
        self.calls: list[list[str]] = []

    def generate(self, requests):
        ids = [request.meta["id"] for request in requests]
        self.calls.append(ids)
        for request in requests:
            assert request.sampling.temperature == 0.0 and request.sampling.n == 1
        return [[FakeCompletion(self.answers[i])] for i in ids]


def _benchmark(tmp_path: Path) -> Benchmark:
    Image.new("RGB", (8, 8), "red").save(tmp_path / "red.png")
    (tmp_path / "broken.png").write_bytes(b"\x89PNG not really")
    red = ImageRef(path=tmp_path / "red.png")
    items = (
        BenchItem("q1", "Colour?", "B", "choice", (red,), ("blue", "red"), category="colour"),
        BenchItem("q2", "Count?", "3", "number", (red,), category="count"),
        BenchItem("q3", "Red?", "yes", "yesno", (red,), category="colour"),
        BenchItem("q4", "Broken?", "no", "yesno", (ImageRef(path=tmp_path / "broken.png"),)),
        BenchItem("q5", "Shape?", "cube", "text"),
    )
    return Benchmark("mini", items, str(tmp_path / "mini.jsonl"), "jsonl")


ANSWERS = {
    "q1": "The red one: \\boxed{B}",
    "q2": "I count \\boxed{4}",
    "q3": "yes",
    "q4": "\\boxed{no}",
    "q5": "a cube",
}


def test_records_are_joined_by_id_and_summarized(tmp_path: Path) -> None:
    bench = _benchmark(tmp_path)
    engine = ScriptedEngine(ANSWERS)
    records = evaluate(bench, engine, GenerationSettings(batch_size=2), ScoringSettings())
    assert [r.id for r in records] == ["q1", "q2", "q3", "q4", "q5"]
    # q4's image is unreadable: it is never sent and is recorded as an error.
    assert engine.calls == [["q1", "q2"], ["q3"], ["q5"]]
    by_id = {r.id: r for r in records}
    assert by_id["q1"].correct and by_id["q1"].extracted == "B" and by_id["q1"].normalized == "B"
    assert not by_id["q2"].correct and by_id["q2"].normalized == "4.0"
    assert by_id["q3"].correct and by_id["q3"].extraction == "fallback:yes-no-word"
    assert by_id["q4"].error.startswith("image 0 unreadable") and not by_id["q4"].correct
    assert by_id["q5"].extracted is None and by_id["q5"].extraction_error == "no \\boxed{...}"
    assert by_id["q1"].prompt.startswith("Colour?\nOptions:\nA. blue\nB. red\n\n")
    assert by_id["q1"].prompt.endswith("put your final answer in \\boxed{}.")
    summary = summarize(records)
    assert summary["n"] == 5 and summary["correct"] == 2 and summary["accuracy"] == 0.4
    assert summary["no_answer"] == 1 and summary["errors"] == 1
    assert summary["extraction"] == {"boxed": 2, "fallback:yes-no-word": 1, "none": 2}
    assert summary["by_category"]["colour"] == {"n": 2, "correct": 2, "accuracy": 1.0}
    assert summary["by_category"][""] == {"n": 2, "correct": 0, "accuracy": 0.0}
    assert summary["by_type"]["yesno"] == {"n": 2, "correct": 1, "accuracy": 0.5}
    assert summary["judge"] is None


def test_responses_resume_after_interruption(tmp_path: Path) -> None:
    bench = _benchmark(tmp_path)
    cache_path = tmp_path / "out" / "mini.responses.jsonl"
    fingerprint = {"model": "m", "decoding": {"temperature": 0}}
    first = ScriptedEngine(ANSWERS)
    evaluate(
        bench,
        first,
        GenerationSettings(batch_size=2),
        ScoringSettings(),
        ResponseCache(cache_path, fingerprint),
    )
    # Simulate a crash that cut the last line short, then resume.
    text = cache_path.read_text()
    cache_path.write_text(text[: text.rfind('{"id": "q5"') + 10])
    second = ScriptedEngine(ANSWERS)
    records = evaluate(
        bench,
        second,
        GenerationSettings(batch_size=2),
        ScoringSettings(),
        ResponseCache(cache_path, fingerprint),
    )
    assert second.calls == [["q5"]]  # only the lost item is asked again (q4 is never cached)
    assert sum(r.correct for r in records) == 2
    third = ScriptedEngine(ANSWERS)
    evaluate(
        bench,
        third,
        GenerationSettings(),
        ScoringSettings(),
        ResponseCache(cache_path, {**fingerprint, "model": "other"}),
    )
    assert third.calls == [["q1", "q2", "q3", "q5"]]  # another model starts afresh


def test_score_item_keeps_everything_for_audit() -> None:
    item = BenchItem("x", "How many?", "2", "number", accept=("two",))
    record = score_item(item, Generated("\\boxed{2}", "length", 7), ScoringSettings())
    data = record.to_dict()
    assert data["gold"] == "2" and data["accept"] == ["two"] and data["correct"] is True
    assert data["finish_reason"] == "length" and data["num_tokens"] == 7
    assert data["response"] == "\\boxed{2}" and data["judge"] is None
