"""Tag parsing: the code's regex semantics, in linear time, never raising."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zeroplay.answers.tags import collapse_tag_spacing, first_tag, last_tag, parse_ordered_tags

VISPLAY_TAGS = ("type", "question", "answer")
_VISPLAY_PATTERN = re.compile(
    r"<type>(.*?)</type>.*?<question>(.*?)</question>.*?<answer>(.*?)</answer>", re.DOTALL
)


def test_questioner_output_with_commentary_and_spacing() -> None:
    text = (
        "Sure! < type >numerical</type>\n"
        "blah <question> How many bars are above 1 / 2 ? </question>\n"
        "<answer> 5 </ answer> trailing"
    )
    parsed = parse_ordered_tags(text, VISPLAY_TAGS)
    assert parsed.ok
    # Spacing around "/" inside the question is collapsed too, as in the code.
    assert parsed.value == {
        "type": "numerical",
        "question": "How many bars are above 1/2 ?",
        "answer": "5",
    }


def test_first_chain_wins_and_order_matters() -> None:
    text = "<type>a</type><question>q1</question><answer>1</answer><type>b</type>"
    assert parse_ordered_tags(text, VISPLAY_TAGS).value == {
        "type": "a",
        "question": "q1",
        "answer": "1",
    }
    swapped = "<question>q</question><type>t</type><answer>1</answer>"
    assert parse_ordered_tags(swapped, VISPLAY_TAGS).reason == "missing <question> in order"


def test_empty_values() -> None:
    text = "<type></type><question>q</question><answer>1</answer>"
    assert parse_ordered_tags(text, VISPLAY_TAGS).reason == "empty <type>"
    relaxed = parse_ordered_tags(text, VISPLAY_TAGS, require_nonempty=False)
    assert relaxed.value == {"type": "", "question": "q", "answer": "1"}


def test_unclosed_and_missing() -> None:
    assert parse_ordered_tags("<type>x", VISPLAY_TAGS).reason == "unclosed <type>"
    assert parse_ordered_tags("", VISPLAY_TAGS).reason == "missing <type> in order"
    assert parse_ordered_tags("<type>x</type>", ()).reason == "no tags requested"


def test_last_and_first_occurrence() -> None:
    text = "<question>one</question> draft <question> two </question> <question>three"
    assert last_tag(text, "question").value == "two"
    assert first_tag(text, "question").value == "one"
    assert last_tag("<answer>  </answer>", "answer").value == ""
    assert last_tag("<answer>  </answer>", "answer", require_nonempty=True).reason == (
        "empty <answer>"
    )
    assert last_tag("nothing", "answer").reason == "no <answer>...</answer>"
    assert first_tag("< caption > a chart </caption >", "caption").value == "a chart"


@pytest.mark.timeout(20)
@pytest.mark.parametrize(
    "text",
    [
        " " * 200_000 + "x",
        "<type>a</type>" * 50_000,
        "<type>" * 50_000 + "<question></question>" * 20_000,
        "< " * 100_000,
    ],
)
def test_adversarial_input_is_linear(text: str) -> None:
    # The code's regexes take ~25 s on 40 000 spaces and far longer on these.
    assert not parse_ordered_tags(text, VISPLAY_TAGS).ok
    last_tag(text, "question", collapse_spacing=True)
    first_tag(text, "question")


_TAG_PIECES = st.sampled_from(
    [
        "<type>",
        "</type>",
        "<question>",
        "</question>",
        "<answer>",
        "</answer>",
        "< ",
        " >",
        "/",
        " ",
        "\n",
        "x",
        "1 / 2",
        "\u00a0",
    ]
)
_TAGGED_TEXT = st.lists(_TAG_PIECES, max_size=16).map("".join)


@given(st.text(alphabet=st.sampled_from(list("ab<>/ \t\n\u00a0\u2003"))))
def test_collapse_spacing_equals_the_code_regex(text: str) -> None:
    assert collapse_tag_spacing(text) == re.sub(r"\s*(<|>|/)\s*", r"\1", text)


@given(_TAGGED_TEXT)
def test_ordered_tags_equal_the_code_regex(text: str) -> None:
    match = _VISPLAY_PATTERN.search(re.sub(r"\s*(<|>|/)\s*", r"\1", text))
    parsed = parse_ordered_tags(text, VISPLAY_TAGS, require_nonempty=False)
    if match is None:
        assert not parsed.ok
    else:
        assert parsed.value == dict(
            zip(VISPLAY_TAGS, (g.strip() for g in match.groups()), strict=True)
        )


@given(_TAGGED_TEXT)
def test_last_and_first_tag_equal_the_code_regexes(text: str) -> None:
    found = re.findall(r"<question>(.*?)</question>", text, re.DOTALL)
    parsed = last_tag(text, "question")
    assert parsed.value == (found[-1].strip() if found else None)
    collapsed = re.sub(r"\s*(<|>|/)\s*", r"\1", text)
    first = re.search(r"<question>([\s\S]*?)</question>", collapsed)
    assert first_tag(text, "question").value == (first.group(1).strip() if first else None)


@given(st.text(), st.text(max_size=10))
def test_never_raise(text: str, tag: str) -> None:
    for parsed in (
        parse_ordered_tags(text, (tag, "answer")),
        last_tag(text, tag, collapse_spacing=True),
        first_tag(text, tag, require_nonempty=True),
    ):
        assert parsed.ok == (parsed.value is not None) == (parsed.reason is None)
