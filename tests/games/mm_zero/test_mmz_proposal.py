"""Proposal parsing: strict (reward time) and lenient (offline), content types."""

from hypothesis import given, settings
from hypothesis import strategies as st

from zeroplay.games.mm_zero.proposal import (
    Proposal,
    content_type_from_caption,
    normalize_content_type,
    parse_proposal_lenient,
    parse_proposal_strict,
)

FULL = """I will design a chart.
< content_type > Data Chart </ content_type >
<caption>A bar chart of rainfall in 3 / 4 of the towns</caption>
<easy_question>Which town is wettest?</easy_question>
<easy_answer>Delta</easy_answer>
<hard_question>What is Alpha / Beta?</hard_question>
<hard_answer>2</hard_answer>"""


def test_strict_parse_collapses_spacing_and_normalises_type():
    proposal = parse_proposal_strict(FULL).value
    # Whitespace around "/" is deleted everywhere, content included (the code does it too).
    assert proposal.caption == "A bar chart of rainfall in 3/4 of the towns"
    assert proposal.hard_question == "What is Alpha/Beta?"
    assert proposal.easy_answer == "Delta"
    assert proposal.content_type == "data_chart"


def test_strict_parse_takes_the_first_occurrence():
    text = FULL + "\n<caption>second caption</caption>"
    assert parse_proposal_strict(text).value.caption.startswith("A bar chart")


def test_strict_parse_requires_all_five_tags_non_empty():
    missing = FULL.replace("<hard_answer>2</hard_answer>", "")
    assert parse_proposal_strict(missing).reason == "missing <hard_answer>"
    empty = FULL.replace("<easy_answer>Delta</easy_answer>", "<easy_answer> </easy_answer>")
    assert parse_proposal_strict(empty).reason == "empty <easy_answer>"
    assert not parse_proposal_strict("").ok


def test_content_type_is_optional_and_unknown_types_become_other():
    no_type = FULL.split("\n", 2)[2]
    assert parse_proposal_strict(no_type).value.content_type == "other"
    assert normalize_content_type(" Floor Plan ") == "other"
    assert normalize_content_type("TIMELINE") == "timeline"
    assert normalize_content_type("data chart") == "data_chart"
    assert normalize_content_type(None) == "other"


def test_caption_keyword_fallback_only_for_other():
    assert content_type_from_caption("A flowchart of the approval process") == "diagram"
    assert content_type_from_caption("Grouped bar chart of sales") == "data_chart"
    assert content_type_from_caption("Triangle ABC with angle bisectors") == "geometry"
    assert content_type_from_caption("Floor plan of a flat") == "map"
    assert content_type_from_caption("A timeline of the railway") == "timeline"
    assert content_type_from_caption("Nothing recognisable") == "other"
    declared = Proposal("A flowchart", "q", "a", "q2", "a2", content_type="table")
    assert declared.effective_content_type == "table"
    other = Proposal("A flowchart", "q", "a", "q2", "a2", content_type="other")
    assert other.effective_content_type == "diagram"


def test_lenient_parse_tries_each_rule_per_field():
    text = (
        "<CAPTION>Closed caption</CAPTION>\n"
        "<easy_question>Unclosed question?\n"
        "<other>\n"
        "Easy Answer: 42\n"
        "hard_question: <How many bars?>\n"
    )
    proposal = parse_proposal_lenient(text).value
    assert proposal.caption == "Closed caption"
    assert proposal.easy_question == "Unclosed question?"
    assert proposal.easy_answer == "42"
    assert proposal.hard_question == "How many bars?"
    assert proposal.hard_answer == ""  # missing hard answer is allowed
    assert proposal.content_type == "other"


def test_lenient_parse_keeps_whitespace_and_requires_easy_fields():
    assert (
        parse_proposal_lenient(FULL).value.caption
        == "A bar chart of rainfall in 3 / 4 of the towns"
    )
    assert parse_proposal_lenient("caption: x\neasy_question: y").reason == "missing easy_answer"
    assert not parse_proposal_lenient("just prose").ok


def test_record_round_trip():
    proposal = parse_proposal_strict(FULL).value
    assert Proposal.from_record(proposal.to_record()) == proposal


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_parsers_never_raise(text):
    for parse in (parse_proposal_strict, parse_proposal_lenient):
        result = parse(text)
        assert result.ok or result.reason


_pieces = st.sampled_from(
    [
        "<caption>",
        "</caption>",
        "<easy_question>",
        "</easy_question>",
        "<easy_answer>",
        "</easy_answer>",
        "<hard_question>",
        "</hard_question>",
        "<hard_answer>",
        "</hard_answer>",
        "caption:",
        "easy answer:",
        "<",
        ">",
        "/",
        " ",
        "\n",
        "x",
        "<content_type>",
        "</content_type>",
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_pieces, max_size=40))
def test_parsers_never_raise_on_tag_soup(pieces):
    text = "".join(pieces)
    strict = parse_proposal_strict(text)
    if strict.ok:
        assert all(getattr(strict.value, f) for f in ("caption", "easy_answer", "hard_answer"))
    lenient = parse_proposal_lenient(text)
    if lenient.ok:
        assert lenient.value.caption and lenient.value.easy_question
