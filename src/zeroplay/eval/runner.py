"""Evaluating a benchmark: ask every item (batched, greedy), read and score each answer.

Images are decoded one batch at a time. Each record is keyed by the item id it came from, so
ground truth is never joined by position (VisPlay's and MM-Zero's evaluations join by row
index, which shifts every later verdict when a row is dropped: visplay.md §7.3).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from PIL import Image

from zeroplay.engines.request import SamplingParams
from zeroplay.eval.extraction import extract_answer
from zeroplay.eval.images import open_ref
from zeroplay.eval.items import BenchItem, Benchmark
from zeroplay.eval.judge_prompt import JudgeQuery, judge_query
from zeroplay.eval.prompting import item_request, prompt_text
from zeroplay.eval.records import ItemRecord, JudgeVerdict
from zeroplay.eval.response_cache import Generated, ResponseCache, prompt_hash
from zeroplay.eval.scoring import MathEquivalence, ScoringSettings, score_answer

Progress = Callable[[int], None]


class Engine(Protocol):
    """What the runner needs of an engine: completions (with `text`, `finish_reason`,
    `num_tokens`) for each request, in request order."""

    def generate(self, requests: Sequence[Any]) -> list[list[Any]]: ...


class Judge(Protocol):
    """A local-model or endpoint judge: its settings for the results file, and verdicts."""

    def describe(self) -> dict[str, Any]: ...

    def judge(self, queries: Sequence[JudgeQuery]) -> list[JudgeVerdict]: ...


@dataclass(frozen=True)
class GenerationSettings:
    """Decoding for the evaluated model: greedy by default (temperature 0)."""

    max_new_tokens: int = 1024
    temperature: float = 0.0
    batch_size: int = 16
    policy: str = "default"
    seed: int = 0

    def sampling(self) -> SamplingParams:
        return SamplingParams(
            n=1, temperature=self.temperature, max_new_tokens=self.max_new_tokens, seed=self.seed
        )

    def describe(self) -> dict[str, Any]:
        return {
            "temperature": self.temperature,
            "max_new_tokens": self.max_new_tokens,
            "n": 1,
            "seed": self.seed,
            "policy": self.policy,
        }


@dataclass
class ItemsToAsk:
    """Items of one batch split into those with decoded images and those that failed."""

    ready: list[tuple[BenchItem, list[Image.Image]]] = field(default_factory=list)
    failed: list[tuple[BenchItem, str]] = field(default_factory=list)


def decode_batch(items: Sequence[BenchItem]) -> ItemsToAsk:
    """Decode the images of `items`; an unreadable image fails only its own item."""
    batch = ItemsToAsk()
    for item in items:
        images: list[Image.Image] = []
        for index, ref in enumerate(item.images):
            image, reason = open_ref(ref)
            if image is None:
                batch.failed.append((item, f"image {index} unreadable: {reason}"))
                break
            images.append(image)
        else:
            batch.ready.append((item, images))
    return batch


def item_hash(item: BenchItem) -> str:
    return prompt_hash(prompt_text(item), [ref.describe() for ref in item.images])


def generate_responses(
    items: Sequence[BenchItem],
    engine: Engine,
    settings: GenerationSettings,
    cache: ResponseCache | None = None,
    progress: Progress | None = None,
) -> dict[str, Generated]:
    """The response to every item, by id; responses already in `cache` are reused."""
    out: dict[str, Generated] = {}
    todo: list[BenchItem] = []
    for item in items:
        saved = cache.get(item.id, item_hash(item)) if cache is not None else None
        if saved is not None:
            out[item.id] = saved
        else:
            todo.append(item)
    if progress and len(out):
        progress(len(out))
    sampling = settings.sampling()
    for start in range(0, len(todo), max(1, settings.batch_size)):
        chunk = todo[start : start + max(1, settings.batch_size)]
        batch = decode_batch(chunk)
        results: list[tuple[BenchItem, Generated]] = [
            (item, Generated("", "error", 0, reason)) for item, reason in batch.failed
        ]
        requests = [
            item_request(item, imgs, sampling, settings.policy) for item, imgs in batch.ready
        ]
        outputs = engine.generate(requests) if requests else []
        ready = {item.id: item for item, _ in batch.ready}
        for request, samples in zip(requests, outputs, strict=True):
            sample = samples[0]
            item = ready[request.meta["id"]]
            results.append((item, Generated(sample.text, sample.finish_reason, sample.num_tokens)))
        for item, generated in results:
            out[item.id] = generated
            # Unreadable images are not saved: a fixed file is asked on the next run.
            if cache is not None and generated.error is None:
                cache.put(item.id, item_hash(item), generated)
        if progress:
            progress(len(chunk))
    return out


def score_item(
    item: BenchItem,
    generated: Generated,
    scoring: ScoringSettings,
    math_equivalence: MathEquivalence | None = None,
) -> ItemRecord:
    """The record of one item: extraction, rule verdict, and everything needed to audit it."""
    record = ItemRecord(
        id=item.id,
        category=item.category,
        answer_type=item.answer_type,
        prompt=prompt_text(item),
        n_images=len(item.images),
        response=generated.response,
        finish_reason=generated.finish_reason,
        num_tokens=generated.num_tokens,
        extracted=None,
        extraction=None,
        extraction_error=None,
        normalized=None,
        gold=item.answer,
        accept=list(item.accept),
        correct=False,
        error=generated.error,
    )
    if generated.error is not None:
        return record
    extracted = extract_answer(generated.response, item)
    if not extracted.ok or extracted.value is None:
        record.extraction_error = extracted.reason
        return record
    record.extracted = extracted.value.text
    record.extraction = extracted.value.method
    verdict = score_answer(extracted.value.text, item, scoring, math_equivalence)
    record.correct = verdict.correct
    record.normalized = verdict.normalized
    record.score_reason = verdict.reason
    return record


def evaluate(
    benchmark: Benchmark,
    engine: Engine,
    settings: GenerationSettings,
    scoring: ScoringSettings,
    cache: ResponseCache | None = None,
    progress: Progress | None = None,
    math_equivalence: MathEquivalence | None = None,
) -> list[ItemRecord]:
    """Records of every item of `benchmark`, in file order."""
    responses = generate_responses(benchmark.items, engine, settings, cache, progress)
    return [
        score_item(item, responses[item.id], scoring, math_equivalence) for item in benchmark.items
    ]


def judge_records(
    judge: Judge,
    benchmark: Benchmark,
    records: list[ItemRecord],
    batch_size: int = 64,
    progress: Progress | None = None,
) -> None:
    """Attach the judge's verdict to every record (matched to its item by id)."""
    items = {item.id: item for item in benchmark.items}
    for start in range(0, len(records), batch_size):
        chunk = records[start : start + batch_size]
        queries = [judge_query(items[r.id], r.extracted, r.response) for r in chunk]
        verdicts = judge.judge(queries)
        by_id = {query.item_id: verdict for query, verdict in zip(queries, verdicts, strict=True)}
        for record in chunk:
            record.judge = by_id[record.id]
        if progress:
            progress(len(chunk))
