"""Parsers of model output stay linear on adversarial text (issue: quadratic regex loops).

Each case fed about 1 MB to a parser that used to be quadratic (16 s for 70 KB of nested
`\\text{`, more than 20 s for 1 MB of unclosed `<think>`); the timeout guards against a hang
rather than measuring speed (benchmarks/parser_fuzz.py prints the times).
"""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zeroplay.answers.tags import remove_think_blocks
from zeroplay.eval.extraction import extract_answer
from zeroplay.eval.items import BenchItem
from zeroplay.eval.judge_prompt import read_verdict
from zeroplay.games.mm_zero.proposal import _CAPTION_KEYWORDS, content_type_from_caption
from zeroplay.games.vision_zero.parsing import parse_vote

MB = 1_000_000
_LAZY_THINK = re.compile(r"<think>.*?</think>", re.DOTALL | re.IGNORECASE)


@pytest.mark.slow
@pytest.mark.timeout(60)
def test_adversarial_megabyte_inputs_finish():
    nested = MB // 7
    assert parse_vote("\\boxed{" + "\\text{" * nested + "3" + "}" * nested + "}", 4).value == 3
    unclosed = "<think>" * (MB // 7)
    item = BenchItem("q", "?", "yes", "yesno")
    assert not extract_answer(unclosed + " maybe", item).ok
    assert read_verdict(unclosed + " CORRECT").value is True
    assert content_type_from_caption("ma ta tre " * (MB // 10)) == "other"


@given(
    st.lists(st.sampled_from(["<think>", "</think>", "<THINK>", "</Think>", "a", "\n", "<", "x>"]))
)
def test_think_removal_matches_the_lazy_regex(pieces):
    text = "".join(pieces)
    assert remove_think_blocks(text) == _LAZY_THINK.sub(" ", text)
    assert remove_think_blocks(text, "") == _LAZY_THINK.sub("", text)


def _caption_type_by_keyword_search(caption: str) -> str:
    """The former implementation: one regex search per keyword, in type order."""
    lowered = caption.lower()
    for content_type, words in _CAPTION_KEYWORDS:
        if any(re.search(rf"\b{re.escape(word)}", lowered) for word in words):
            return content_type
    return "other"


_WORDS = [word for _type, words in _CAPTION_KEYWORDS for word in words]


@given(
    st.lists(st.sampled_from([*_WORDS, "a", "mapping", "streets", "re", "-", " ", "_", "x"])),
    st.sampled_from([" ", "", "-", "_"]),
)
def test_caption_type_matches_the_per_keyword_search(words, joiner):
    caption = joiner.join(words)
    assert content_type_from_caption(caption) == _caption_type_by_keyword_search(caption)
    assert content_type_from_caption(caption.upper()) == _caption_type_by_keyword_search(caption)
