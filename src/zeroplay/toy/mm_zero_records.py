"""Warm-start records in MM-Zero's formats, on simple bar charts, with the game's own prompts.

Per chart (a single-series bar chart of 3-4 categories from the chart generator):
- a Proposer record: a seed row's prompt, answered with the six tags (`data_chart`, the chart's
  caption from `chart_caption`, two of the generator's questions about it with their answers);
- a CodeGen record: that proposal's prompt, answered with the chart's SVG (`bar_chart_svg`) in
  a ```svg fence;
- a Solver record: the rendered SVG and the easy question under the Solver's prompt, answered
  with a short think block and the boxed answer.
Without them a model built from scratch never writes a proposal MM-Zero can parse, and the
CodeGen and Solver phases never get data.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import numpy as np

from zeroplay.data.charts.caption import chart_caption
from zeroplay.data.charts.spec import ChartSpec, sample_spec
from zeroplay.data.charts.svg_template import bar_chart_svg
from zeroplay.eval.suites.chart_questions import ask_about_chart
from zeroplay.games.mm_zero.prompts import codegen_prompt, proposer_prompt, solver_prompt
from zeroplay.games.mm_zero.proposal import Proposal
from zeroplay.games.mm_zero.seeds import SeedPrompt
from zeroplay.toy.records import prompt_record

MAX_BARS = 4  # longer charts make CodeGen records too long for the toy's budget


@dataclass(frozen=True)
class ChartItem:
    """One warm-start chart: its spec, the proposal that describes it and its SVG."""

    spec: ChartSpec
    proposal: Proposal
    svg: str


def chart_item(rng: np.random.Generator) -> ChartItem:
    """A bar chart of at most `MAX_BARS` categories drawn with `rng`, its proposal and SVG."""
    spec = sample_spec(rng, "bar")
    while len(spec.categories) > MAX_BARS:
        spec = sample_spec(rng, "bar")
    questions = ask_about_chart(json.loads(json.dumps(spec.to_json())), rng, 2)
    easy, hard = questions[0], questions[-1]
    proposal = Proposal(
        caption=chart_caption(spec),
        easy_question=easy.text,
        easy_answer=easy.answer,
        hard_question=hard.text,
        hard_answer=hard.answer,
        content_type="data_chart",
    )
    return ChartItem(spec, proposal, bar_chart_svg(spec))


def proposal_text(proposal: Proposal) -> str:
    """The Proposer's reply: the six tags in the order the prompt asks for."""
    return (
        f"<content_type>{proposal.content_type}</content_type>\n"
        f"<caption>{proposal.caption}</caption>\n"
        f"<easy_question>{proposal.easy_question}</easy_question>\n"
        f"<easy_answer>{proposal.easy_answer}</easy_answer>\n"
        f"<hard_question>{proposal.hard_question}</hard_question>\n"
        f"<hard_answer>{proposal.hard_answer}</hard_answer>"
    )


def codegen_reply(svg: str) -> str:
    return f"```svg\n{svg}\n```"


def solver_reply(proposal: Proposal) -> str:
    return (
        f"<think>The question asks about the chart; I read it off the bars.</think>\n"
        f"\\boxed{{{proposal.easy_answer}}}"
    )


def chart_records(item: ChartItem, seed: SeedPrompt, image: str | None) -> list[dict[str, Any]]:
    """The Proposer and CodeGen records of `item`, and its Solver record on `image` (the
    rendered SVG, a path relative to the corpus) when it rendered."""
    records = [
        prompt_record(proposer_prompt(seed.text), proposal_text(item.proposal)),
        prompt_record(codegen_prompt(item.proposal), codegen_reply(item.svg)),
    ]
    if image is not None:
        question = solver_prompt(item.proposal.easy_question)
        records.append(prompt_record(question, solver_reply(item.proposal), image))
    return records
