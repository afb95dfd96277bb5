"""Replays of MM-Zero records: the Proposer's spec, the CodeGen's SVG and its render, the
Solver's answers and the majority vote (records of `zeroplay.games.mm_zero.records`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from PIL import Image

from zeroplay.report.html_parts import (
    badge,
    esc,
    figure,
    fmt,
    folded,
    folded_text,
    image_tag,
    key_value_table,
    note,
    pct,
    table,
    tag,
)
from zeroplay.report.images import ThumbnailCache, find_image_refs
from zeroplay.report.mm_zero_files import stored_render
from zeroplay.report.replay_common import (
    Episode,
    as_dict,
    as_int,
    as_list,
    dicts,
    images_row,
    source_line,
    where,
)
from zeroplay.report.replay_visplay import answers_vote_table, graded_answer_row
from zeroplay.report.run_files import RolloutRecord
from zeroplay.report.series import number
from zeroplay.report.svg_renders import render_svgs

SPEC_FIELDS = (
    ("content_type", "content type"),
    ("caption", "caption (the visual spec)"),
    ("easy_question", "easy question"),
    ("easy_answer", "easy answer"),
    ("hard_question", "hard question"),
    ("hard_answer", "hard answer (the Proposer's)"),
)


@dataclass(frozen=True)
class SvgAttemptView:
    """One SVG attempt of a record and where the recipe may have stored its render."""

    attempt: dict[str, Any]
    stored: str | None


def svg_attempts(data: Mapping[str, Any]) -> list[SvgAttemptView]:
    """The SVG attempts a record holds: `svgs` (proposer, render filter), `svg` (a CodeGen
    sample), or the record itself (a labelling record keeps `code` and `rendered` at the top)."""
    if "svgs" in data:
        return [
            SvgAttemptView(a, stored_render(data, j)) for j, a in enumerate(dicts(data["svgs"]))
        ]
    if isinstance(data.get("svg"), dict):
        index = as_int(data.get("sample_index")) or 0
        return [SvgAttemptView(data["svg"], stored_render(data, index))]
    if "code" in data:
        return [SvgAttemptView(dict(data), stored_render(data, 0))]
    return []


class SvgImages:
    """Images of SVG attempts: a render the record names, else the one the recipe stored, else
    a fresh render of the code in the SVG sandbox (`prepare` makes them in one batch)."""

    def __init__(self, cache: ThumbnailCache):
        self.cache = cache
        self.renders: dict[str, Image.Image | None] = {}

    def _stored(self, view: SvgAttemptView) -> tuple[str, str] | None:
        refs = find_image_refs(view.attempt, max_depth=1)
        if refs:
            return refs[0]
        if view.stored is not None and self.cache.resolve(view.stored) is not None:
            return ("stored render", view.stored)
        return None

    def prepare(self, records: Sequence[Mapping[str, Any]], problems: list[str]) -> None:
        """Render the code of attempts that rendered in training but have no stored image."""
        codes = []
        for data in records:
            for view in svg_attempts(data):
                code = view.attempt.get("code")
                rendered = view.attempt.get("rendered") is True
                if rendered and isinstance(code, str) and code and self._stored(view) is None:
                    codes.append(code)
        self.renders.update(render_svgs(codes, problems))

    def html(self, view: SvgAttemptView, caption: str) -> str:
        stored = self._stored(view)
        if stored is not None:
            return images_row([stored], self.cache, lambda key, ref: caption)
        code = view.attempt.get("code")
        image = self.renders.get(code) if isinstance(code, str) else None
        if image is not None and isinstance(code, str):
            uri = self.cache.uri_of_image(f"svg:{code}", image)
            text = f"{caption} (drawn again for this report)"
            return tag("div", figure(image_tag(uri, text, "thumb"), text), class_="images")
        if view.attempt.get("rendered") is False:
            reason = view.attempt.get("render_reason")
            return tag("p", badge(f"did not render: {reason}" if reason else "no render", "bad"))
        return note("no render stored for this SVG")


def spec_table(proposal: Any) -> str:
    spec = as_dict(proposal)
    if not spec:
        return note("no parsed spec")
    rows = [(label, esc(spec.get(key))) for key, label in SPEC_FIELDS if spec.get(key) is not None]
    return key_value_table(rows, css="kv spec")


def _attempt_block(view: SvgAttemptView, images: SvgImages, title: str) -> str:
    attempt = view.attempt
    rendered = attempt.get("rendered") is True
    facts = [
        ("rendered", badge("yes", "good") if rendered else badge("no", "bad")),
        ("size", esc(f"{fmt(attempt.get('width'))} × {fmt(attempt.get('height'))}")),
        ("solvability (easy consistency)", fmt(attempt.get("solvability"))),
        ("hard consistency", fmt(attempt.get("consistency"))),
        ("hard majority", esc(attempt.get("hard_majority"))),
    ]
    if "svg_like" in attempt:
        facts.insert(1, ("looks like SVG", fmt(attempt.get("svg_like"))))
    votes = ""
    if as_list(attempt.get("hard_answers")):
        votes += answers_vote_table(as_list(attempt["hard_answers"]), attempt.get("hard_majority"))
    if as_list(attempt.get("easy_answers")):
        votes += folded(
            "Solver answers to the easy question",
            answers_vote_table(as_list(attempt["easy_answers"]), None),
        )
    return tag(
        "div",
        tag("h5", esc(title))
        + images.html(view, title)
        + key_value_table(facts)
        + votes
        + folded_text("SVG code", attempt.get("code")),
        class_="attempt",
    )


def proposer_episode(record: RolloutRecord, images: SvgImages) -> Episode:
    """One Proposer sample: its spec, each CodeGen attempt with render and Solver votes, and the
    reward terms."""
    data = record.data
    valid = data.get("valid") is True
    status = (
        badge("valid", "good") if valid else badge(f"invalid: {data.get('invalid_reason')}", "bad")
    )
    terms = key_value_table(
        [
            ("played at", esc(", ".join(where(record)) or "—")),
            ("seed / topic", esc(f"{data.get('seed_id')} / {data.get('topic')}")),
            ("proposal", status),
            ("rendered", esc(f"{fmt(data.get('num_rendered'))} of {fmt(data.get('num_codes'))}")),
            ("mean solvability", fmt(data.get("avg_solvability"))),
            ("mean difficulty", fmt(data.get("avg_difficulty"))),
            ("easy-hard penalty", fmt(data.get("easy_hard_penalty"))),
            ("text diversity penalty", fmt(data.get("text_diversity_penalty"))),
            ("content type penalty", fmt(data.get("content_type_penalty"))),
            ("reward", fmt(data.get("reward"))),
        ]
    )
    attempts = "".join(
        _attempt_block(v, images, f"SVG {v.attempt.get('sample_index', i)}")
        for i, v in enumerate(svg_attempts(data))
    )
    body = (
        terms
        + spec_table(data.get("proposal"))
        + (attempts or note("no SVG attempts (invalid proposals are not drawn)"))
        + folded_text("Proposer's full reply", data.get("text"))
        + source_line(record)
    )
    title = " · ".join([*where(record), str(data.get("proposal_id")), "proposer"])
    return Episode(title, body)


def label_episode(record: RolloutRecord, images: SvgImages) -> Episode:
    """One proposal in Solver-data generation: spec, SVG and render, the Solver's votes on the
    hard and easy questions, the consistencies and whether the item was kept."""
    data = record.data
    kept = data.get("kept") is True
    reason = data.get("drop_reason")
    facts = key_value_table(
        [
            ("played at", esc(", ".join(where(record)) or "—")),
            ("hard consistency", pct(number(data.get("hard_consistency")))),
            ("easy consistency", pct(number(data.get("easy_consistency")))),
            ("label (hard majority)", esc(data.get("label"))),
            (
                "kept for Solver training",
                badge("kept", "good") if kept else badge(f"dropped: {reason}", "bad"),
            ),
        ]
    )
    (view,) = svg_attempts(data)
    attempt = view.attempt
    attempt["hard_majority"] = data.get("label")
    attempt["solvability"] = data.get("easy_consistency")
    attempt["consistency"] = data.get("hard_consistency")
    body = (
        spec_table(data.get("proposal"))
        + facts
        + _attempt_block(view, images, "SVG and the Solver's votes")
        + source_line(record)
    )
    title = " · ".join([*where(record), str(data.get("proposal_id")), "solver data"])
    return Episode(title, body)


def codegen_episode(records: Sequence[RolloutRecord], proposal: Any, images: SvgImages) -> Episode:
    """The CodeGen samples for one proposal, each with its render and reward."""
    first = records[0].data
    blocks = []
    for record in records:
        data = record.data
        views = svg_attempts(data) or [SvgAttemptView({}, None)]
        title = f"SVG sample {data.get('sample_index')}: reward {fmt(data.get('reward'))}"
        extra = key_value_table(
            [
                ("solvability", fmt(data.get("solvability"))),
                ("difficulty", fmt(data.get("difficulty"))),
            ]
        )
        blocks.append(_attempt_block(views[0], images, title) + extra)
    body = (
        (spec_table(proposal) if proposal else note("The proposal was not recorded."))
        + "".join(blocks)
        + source_line(records[0])
    )
    title = " · ".join([*where(records[0]), str(first.get("proposal_id")), "codegen"])
    return Episode(title, body)


def solver_episode(
    records: Sequence[RolloutRecord], item: Mapping[str, Any] | None, images: SvgImages
) -> Episode:
    """The Solver's training samples for one item, with the item's render and question when the
    labelling record is available."""
    first = records[0].data
    intro = note("The item's labelling record was not found.")
    if item is not None:
        spec = as_dict(item.get("proposal"))
        views = svg_attempts(item) or [SvgAttemptView(dict(item), None)]
        intro = images.html(views[0], "the rendered image") + tag(
            "div", esc(spec.get("hard_question")), class_="question"
        )
    rows = []
    for record in records:
        rows.append(graded_answer_row(record.data, "format"))
    body = (
        intro
        + key_value_table([("label (majority vote)", esc(first.get("label")))])
        + table(
            ["sample", "answer", "vs label", "format", "reward", "reply"],
            rows,
            caption="Solver samples",
        )
        + source_line(records[0])
    )
    title = " · ".join([*where(records[0]), str(first.get("item_id")), "solver"])
    return Episode(title, body)


def generated_episode(record: RolloutRecord) -> Episode:
    """An offline proposal (CodeGen or Solver data): the parsed spec or why it failed."""
    data = record.data
    status = (
        badge("valid", "good")
        if data.get("valid") is True
        else badge(f"invalid: {data.get('invalid_reason')}", "bad")
    )
    body = (
        key_value_table([("proposal", status), ("topic", esc(data.get("topic")))])
        + spec_table(data.get("proposal"))
        + folded_text("Proposer's full reply", data.get("text"))
        + source_line(record)
    )
    title = " · ".join([*where(record), str(data.get("proposal_id")), "proposal"])
    return Episode(title, body)


def render_filter_episode(record: RolloutRecord, proposal: Any, images: SvgImages) -> Episode:
    """The render-rate filter on one proposal: the current CodeGen's attempts and the verdict."""
    data = record.data
    kept = data.get("kept") is True
    reason = data.get("drop_reason")
    facts = key_value_table(
        [
            ("render rate", pct(number(data.get("render_rate")))),
            (
                "kept for CodeGen training",
                badge("kept", "good") if kept else badge(f"dropped: {reason}", "bad"),
            ),
        ]
    )
    attempts = "".join(
        _attempt_block(v, images, f"SVG {v.attempt.get('sample_index', i)}")
        for i, v in enumerate(svg_attempts(data))
    )
    body = (spec_table(proposal) if proposal else "") + facts + attempts + source_line(record)
    title = " · ".join([*where(record), str(data.get("proposal_id")), "render filter"])
    return Episode(title, body)
