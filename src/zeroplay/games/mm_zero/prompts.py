"""The three role prompts, written for zeroplay with the structure the note lists (§2.1-2.3).

Proposer: the seed topic, then the design instructions and the six-tag output format.
CodeGen: the fixed "Visual Type: svg" spec block (the exact layout the released code uses in all
four places it builds it), then the SVG instructions. Solver: the question, then the
think-then-box instruction; the image comes first in the message.
"""

from __future__ import annotations

from zeroplay.games.mm_zero.proposal import CONTENT_TYPES, Proposal

_PROPOSER_INSTRUCTIONS = f"""\
You are an expert visual content designer. You invent images for a visual reasoning benchmark,
and every image will be drawn from your description as a single SVG file. Describe something SVG
can draw exactly: a chart, a diagram, a geometric figure, a timeline, an infographic, a map or a
floor plan, or a table. Aim for a dense visualization that fewer than half of its viewers could
fully interpret at a glance.

Plan the design in your head; do not write the plan down. Then output exactly these six XML
blocks, in this order, and nothing else:
<content_type>one of: {", ".join(CONTENT_TYPES)}</content_type>
<caption>a complete drawing specification: every element, label, number, color and position the
image needs</caption>
<easy_question>a question answered by reading one value or label directly off the
image</easy_question>
<easy_answer>the answer to the easy question</easy_answer>
<hard_question>a question that needs several steps: reading several values, cross-referencing
parts of the image, or calculating</hard_question>
<hard_answer>the answer to the hard question</hard_answer>

COMPLEXITY REQUIREMENTS - use at least three of:
- several data series or groups;
- annotations, callouts or a legend;
- an inset, a second panel or a secondary axis;
- specific styling (named colors, dashed or dotted lines, markers);
- values that must be derived (totals, differences, ratios);
- a non-trivial pattern (a peak, a crossover, an outlier);
- geometric constructions (angles, tangents, bisectors, intersections).

ANTI-REPETITION:
- no stock "monthly sales" charts;
- no data that only rises or only falls;
- no placeholder labels such as "Category A" or "Value";
- never fewer than three data elements.

HARD QUESTION: it must be impossible to answer without looking at the image.
Bad: "Output was 40 in Q1 and 60 in Q2. By how much did it grow?" (the values are given away).
Good: "What is the ratio of the northern plant's Q4 output to the southern plant's Q4 output?"

ANSWER FORMAT: each answer is a single number, word or very short phrase, for example 42, Q1,
blue, 3.5 or 25%."""

_CODEGEN_INSTRUCTIONS = """\
You are an SVG code generator for data visualizations. Draw the image described above.

CRITICAL: the rendered image MUST show everything needed to answer the Easy Question with exactly
the Easy Answer.

Write raw SVG markup that starts with <svg (not Python or any other language). Guidelines:
- set a viewBox, for example viewBox="0 0 800 600";
- write every title, label and number with <text>; font-size at least 12 for labels and at least
  14 for titles;
- give each series or category its own distinct fill color;
- draw axes with <line>, bars with <rect>, lines with <polyline> or <path>, and pie slices with
  arcs or stroke-dasharray;
- keep the file self-contained: no external files, images or fonts;
- keep labels from overlapping and keep the contrast high.

Wrap your SVG in a ```svg ... ``` code fence."""

_SOLVER_INSTRUCTIONS = (
    "Study the image carefully and answer the question. First reason step by step inside "
    "<think> </think> tags. Then give only the final answer inside \\boxed{}: a single number, "
    "a single word or a short phrase (for example \\boxed{42}, \\boxed{blue}, \\boxed{Q1}), "
    "with no units and no full sentence."
)


def proposer_prompt(seed_text: str) -> str:
    """The Proposer's user turn: the seed topic line(s), then the instructions."""
    return f"{seed_text}\n\n{_PROPOSER_INSTRUCTIONS}"


def codegen_spec(proposal: Proposal) -> str:
    """The spec block the CodeGen sees (note §2.2): caption and both question/answer pairs."""
    return (
        "Visual Type: svg\n\n"
        f"Chart Description:\n{proposal.caption}\n\n"
        f"Easy Question: {proposal.easy_question}\n"
        f"Easy Answer: {proposal.easy_answer}\n\n"
        f"Hard Question: {proposal.hard_question or 'N/A'}\n"
        f"Hard Answer: {proposal.hard_answer or 'N/A'}"
    )


def codegen_prompt(proposal: Proposal) -> str:
    """The CodeGen's user turn: the spec block, then the SVG instructions."""
    return f"{codegen_spec(proposal)}\n\n{_CODEGEN_INSTRUCTIONS}"


def solver_prompt(question: str) -> str:
    """The Solver's text after the image: the question, then the think/boxed instruction."""
    return f"{question}\n\n{_SOLVER_INSTRUCTIONS}"
