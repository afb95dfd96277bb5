"""Benchmark: the worst time of every public parser of model output on adversarial 1 MB inputs.

Model output is adversarial by design (a policy under RL finds whatever makes a parser slow), so
every parser must stay linear: 1 MB well under 1 s. Each parser runs once on each input below
(nesting, unclosed tags, long digit runs, NULs, lone surrogates, ...); the table shows its worst
input and time, and the script exits with status 1 when any parser needs more than `--limit`
seconds. A parser that never returns is stopped by an alarm after `--timeout` seconds.

    python benchmarks/parser_fuzz.py [--size 1000000] [--limit 1.0] [--timeout 30]
"""

from __future__ import annotations

import argparse
import random
import signal
import time
from collections.abc import Callable

from zeroplay.answers.boxed import all_boxed, last_boxed
from zeroplay.answers.quick_grade import quick_verdict
from zeroplay.answers.tags import collapse_tag_spacing, first_tag, last_tag, parse_ordered_tags
from zeroplay.data.svg import SvgLimits, sanitize_svg
from zeroplay.eval.extraction import extract_answer
from zeroplay.eval.items import BenchItem
from zeroplay.eval.judge_prompt import judge_query, read_verdict
from zeroplay.eval.numbers import parse_number
from zeroplay.eval.scoring import read_choice, read_text, read_yesno
from zeroplay.games.mm_zero import extract_svg_code, parse_proposal_lenient, parse_proposal_strict
from zeroplay.games.mm_zero.proposal import content_type_from_caption
from zeroplay.games.mm_zero.rewards import has_solver_format
from zeroplay.games.mm_zero.svg_code import looks_like_svg
from zeroplay.games.vision_zero.parsing import (
    decision_format_ok,
    parse_clue,
    parse_vote,
    reasoning_of,
)
from zeroplay.games.visplay.parsing import parse_question
from zeroplay.games.visplay.rewards import think_format_ok
from zeroplay.games.visplay.voting import extract_answers


def adversarial_inputs(size: int) -> dict[str, str]:
    """Named inputs of about `size` characters that break naive regex parsers."""

    def fill(unit: str, head: str = "", tail: str = "") -> str:
        return head + unit * max(1, (size - len(head) - len(tail)) // len(unit)) + tail

    half = size // 2
    rng = random.Random(0)
    junk_alphabet = "<>/{}\\ \n\t0123456789.eE-+%$abcdefghijklmnopqrstuvwxyz_:#()[]*"
    nested = max(1, size // 14)
    return {
        "nested \\text{} in a box": "\\boxed{" + "\\text{" * nested + "3" + "}" * nested + "}",
        "nested \\boxed{}": "\\boxed{" * (size // 7) + "3" + "}" * (size // 7),
        "unclosed \\boxed{": fill("\\boxed{"),
        "open braces": fill("{"),
        "close braces": fill("}"),
        "unclosed <think>": fill("<think>"),
        "unclosed <think> then a box": fill("<think>", tail="\\boxed{B}"),
        "</think> runs": fill("</think> ", head="<think>"),
        "unclosed tags": fill("<question>"),
        "tag spacing": fill(" < / > "),
        "angle brackets": fill("<"),
        "svg openers": fill("<svg "),
        "long digit run": fill("9", head="\\boxed{", tail="}"),
        "digits and dots": fill("1.", tail="e"),
        "exponent bait": fill("1e", tail="x"),
        "whitespace": fill(" "),
        "newlines and colons": fill("question:\n"),
        "NULs": fill("\x00"),
        "lone surrogates": fill("\ud800"),
        "caption words": fill("a b "),
        "keyword near misses": fill("ma ta tre cha "),
        "answer phrases": fill("answer is "),
        "correct words": fill("correctness "),
        "random junk": "".join(rng.choice(junk_alphabet) for _ in range(size)),
        "half box half think": "\\boxed{" * (half // 7) + "<think>" * (half // 7),
    }


def _choice_item() -> BenchItem:
    return BenchItem("q", "Which?", "B", "choice", choices=("red", "green", "blue", "gray"))


PARSERS: dict[str, Callable[[str], object]] = {
    "answers.last_boxed": last_boxed,
    "answers.all_boxed": all_boxed,
    "answers.first_tag": lambda t: first_tag(t, "answer"),
    "answers.last_tag": lambda t: last_tag(t, "answer"),
    "answers.parse_ordered_tags": lambda t: parse_ordered_tags(t, ["question", "answer", "type"]),
    "answers.collapse_tag_spacing": collapse_tag_spacing,
    "answers.quick_verdict": lambda t: quick_verdict(t, "3.5"),
    "vision_zero.parse_clue": parse_clue,
    "vision_zero.parse_vote": lambda t: parse_vote(t, 4),
    "vision_zero.reasoning_of": reasoning_of,
    "vision_zero.decision_format_ok": decision_format_ok,
    "visplay.parse_question": parse_question,
    "visplay.extract_answers": lambda t: extract_answers([t]),
    "visplay.think_format_ok": think_format_ok,
    "mm_zero.parse_proposal_strict": parse_proposal_strict,
    "mm_zero.parse_proposal_lenient": parse_proposal_lenient,
    "mm_zero.content_type_from_caption": content_type_from_caption,
    "mm_zero.extract_svg_code": extract_svg_code,
    "mm_zero.looks_like_svg": looks_like_svg,
    "mm_zero.has_solver_format": has_solver_format,
    "eval.extract_answer[choice]": lambda t: extract_answer(t, _choice_item()),
    "eval.extract_answer[yesno]": lambda t: extract_answer(t, BenchItem("q", "?", "yes", "yesno")),
    "eval.extract_answer[number]": lambda t: extract_answer(t, BenchItem("q", "?", "3", "number")),
    "eval.extract_answer[text]": lambda t: extract_answer(t, BenchItem("q", "?", "cat", "text")),
    "eval.judge_query": lambda t: judge_query(BenchItem("q", "?", "3", "number"), None, t),
    "eval.read_verdict": read_verdict,
    "eval.parse_number": parse_number,
    "eval.read_choice": lambda t: read_choice(t, ("red", "green", "blue", "gray")),
    "eval.read_yesno": read_yesno,
    "eval.read_text": read_text,
    "svg.sanitize_svg": lambda t: sanitize_svg(t, SvgLimits(max_chars=len(t) + 1)),
}


class _TooSlow(Exception):
    """A parser ran past the per-input alarm."""


def _on_alarm(_signum: int, _frame: object) -> None:
    raise _TooSlow


def time_parser(parse: Callable[[str], object], text: str, timeout_s: float) -> float:
    """Seconds one call took; `timeout_s` (or more) when the alarm had to stop it."""
    signal.signal(signal.SIGALRM, _on_alarm)
    signal.setitimer(signal.ITIMER_REAL, timeout_s)
    started = time.perf_counter()
    try:
        parse(text)
    except _TooSlow:
        return max(time.perf_counter() - started, timeout_s)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1_000_000, help="characters per input")
    parser.add_argument("--limit", type=float, default=1.0, help="seconds allowed per call")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds before giving up")
    parser.add_argument("--only", default="", help="run parsers whose name contains this")
    args = parser.parse_args()
    inputs = adversarial_inputs(args.size)
    print(f"{len(inputs)} adversarial inputs of about {args.size:,} characters each")
    print(f"{'parser':<38} {'worst s':>8}  worst input")
    failures = 0
    for name, parse in PARSERS.items():
        if args.only not in name:
            continue
        worst, worst_input = 0.0, ""
        for label, text in inputs.items():
            seconds = time_parser(parse, text, args.timeout)
            if seconds > worst:
                worst, worst_input = seconds, label
        flag = "  TOO SLOW" if worst > args.limit else ""
        failures += worst > args.limit
        print(f"{name:<38} {worst:>8.3f}  {worst_input}{flag}", flush=True)
    print(f"{failures} parser(s) over {args.limit:g} s")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
