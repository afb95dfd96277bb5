"""Replays of VisPlay records: the image, the generated question, the Reasoner's answers and
the majority vote, and the Reasoner's training samples against the silver label."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from zeroplay.report.html_parts import (
    badge,
    esc,
    fmt,
    folded_text,
    key_value_table,
    note,
    pct,
    table,
    tag,
)
from zeroplay.report.images import ThumbnailCache
from zeroplay.report.replay_common import (
    Episode,
    as_list,
    record_images,
    source_line,
    where,
)
from zeroplay.report.run_files import RolloutRecord
from zeroplay.report.series import number


def graded_answer_row(data: dict[str, Any], format_key: str) -> list[str]:
    """One sampled answer graded against its silver label: index, answer, match, format score,
    reward, and the reasoning folded away (VisPlay's reasoner and MM-Zero's solver alike)."""
    correct = (number(data.get("accuracy")) or 0) > 0
    return [
        fmt(data.get("sample_index")),
        esc(data.get("answer") if data.get("answer") is not None else "(no box)"),
        badge("matches label", "good") if correct else badge("differs", "bad"),
        fmt(data.get(format_key)),
        fmt(data.get("reward")),
        folded_text("reasoning", data.get("text")),
    ]


def answers_vote_table(answers: Sequence[Any], label: Any) -> str:
    """Each distinct answer with its count, the majority (the vote's winner) marked."""
    shown = ["(no boxed answer)" if a is None else str(a) for a in answers]
    counts = Counter(shown)
    rows = []
    for answer, count in counts.most_common():
        mark = badge("majority", "good") if label is not None and answer == str(label) else ""
        rows.append([esc(answer) + " " + mark, fmt(count)])
    if not rows:
        return note("no Reasoner answers recorded")
    return table(["Reasoner answer", "votes"], rows, caption="Answers and the vote")


def _question_block(data: Mapping[str, Any]) -> str:
    if data.get("valid") is False:
        reason = data.get("invalid_reason")
        return tag("p", badge(f"invalid question: {reason}" if reason else "invalid", "bad"))
    qtype = data.get("question_type")
    return (
        tag("p", badge(str(qtype or "no type"), "civ"), class_="qtype")
        + tag("div", esc(data.get("question")), class_="question")
        + tag("p", esc(f"Questioner's own answer: {data.get('questioner_answer')}"), class_="muted")
    )


def visplay_question_episode(record: RolloutRecord, cache: ThumbnailCache) -> Episode:
    """A questioner sample (`QuestionRecord`) or a labelled question (`LabelledQuestion`)."""
    data = record.data
    samples = number(data.get("samples")) or 0
    rows: list[tuple[str, str]] = [
        ("question id", esc(data.get("question_id"))),
        ("image", esc(data.get("image_id"))),
        ("played at", esc(", ".join(where(record)) or "—")),
    ]
    if data.get("valid") is not False:  # an invalid question is never asked or labelled
        rows += [
            (
                "vote",
                esc(f"{fmt(data.get('majority_count'))} of {fmt(samples)} agree")
                + f" (confidence {pct(number(data.get('confidence')))})",
            ),
            ("silver label", esc(data.get("label"))),
        ]
    if "uncertainty" in data:  # questioner training: the reward terms
        rows += [
            ("uncertainty reward", fmt(data.get("uncertainty"))),
            (
                "diversity penalty",
                fmt(data.get("penalty"))
                + esc(
                    f" (cluster {fmt(data.get('cluster_size'))} of {fmt(data.get('pool_size'))})"
                ),
            ),
            ("reward", fmt(data.get("reward"))),
        ]
    if "kept" in data:  # labelling: the curation outcome
        kept = data.get("kept") is True
        reason = data.get("drop_reason")
        rows.append(
            (
                "kept for Reasoner training",
                badge("kept", "good")
                if kept
                else badge(f"dropped: {reason}" if reason else "dropped", "bad"),
            )
        )
    body = (
        record_images(data, cache)
        + _question_block(data)
        + key_value_table(rows)
        + answers_vote_table(as_list(data.get("reasoner_answers")), data.get("label"))
        + folded_text("Questioner's full reply", data.get("text"))
        + source_line(record)
    )
    qtype = data.get("question_type") or ("invalid" if data.get("valid") is False else "?")
    title = " · ".join([*where(record), str(data.get("question_id")), str(qtype)])
    return Episode(title, body)


def visplay_answers_episode(
    records: Sequence[RolloutRecord],
    question: Mapping[str, Any] | None,
    cache: ThumbnailCache,
) -> Episode:
    """The Reasoner's training samples for one question (`AnswerRecord`s), with the question
    itself when the run also recorded it."""
    first = records[0].data
    images = record_images(first, cache)
    if question is not None:
        images = images or record_images(question, cache)
        intro = _question_block(question)
    else:
        intro = note("The question text was not recorded with these samples.")
    rows = []
    for record in records:
        rows.append(graded_answer_row(record.data, "think_format"))
    samples = table(
        ["sample", "answer", "vs silver label", "<think> format", "reward", "reply"],
        rows,
        caption="Reasoner samples",
    )
    header = key_value_table(
        [
            ("question id", esc(first.get("question_id"))),
            ("played at", esc(", ".join(where(records[0])) or "—")),
            ("silver label", esc(first.get("label"))),
        ]
    )
    body = images + intro + header + samples + source_line(records[0])
    title = " · ".join([*where(records[0]), str(first.get("question_id")), "reasoner"])
    return Episode(title, body)
