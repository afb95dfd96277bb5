"""The replay viewer: rollout records grouped by kind, a few episodes of each chosen evenly over
the run, each drawn by its recipe's viewer (plain JSON for kinds nobody knows)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from zeroplay.report import replay_mm_zero as mz
from zeroplay.report.html_parts import note, tag
from zeroplay.report.images import ThumbnailCache
from zeroplay.report.record_kinds import KIND_TITLES, record_kind
from zeroplay.report.replay_common import Episode, generic_episode, replay_group, select_evenly
from zeroplay.report.replay_vision_zero import vision_zero_episode
from zeroplay.report.replay_visplay import visplay_answers_episode, visplay_question_episode
from zeroplay.report.run_files import RolloutRecord

# Kinds whose episode is a group of records (the G samples of one prompt), and the id joining them.
GROUPED_BY = {"vp_answer": "question_id", "mz_codegen": "proposal_id", "mz_solver": "item_id"}


def _order(record: RolloutRecord) -> tuple[int, int, str, int]:
    return (record.iteration or 0, record.step or 0, record.source, record.line)


def group_records(records: Sequence[RolloutRecord], id_key: str) -> list[list[RolloutRecord]]:
    """Records sharing (iteration, step, source file, id), in order of first appearance."""
    groups: dict[tuple[Any, ...], list[RolloutRecord]] = {}
    for record in records:
        key = (record.iteration, record.step, record.source, str(record.data.get(id_key)))
        groups.setdefault(key, []).append(record)
    return list(groups.values())


class ReplayBuilder:
    """Builds every replay group of a run (see module doc)."""

    def __init__(
        self,
        rollouts: Sequence[RolloutRecord],
        cache: ThumbnailCache,
        per_kind: int,
        render_svg: bool,
        problems: list[str],
        pair_folders: Sequence[Path] = (),
    ):
        self.cache = cache
        self.pair_folders = list(pair_folders)
        self.per_kind = per_kind
        self.render_svg = render_svg
        self.problems = problems
        self.by_kind: dict[str, list[RolloutRecord]] = {}
        for record in sorted(rollouts, key=_order):
            self.by_kind.setdefault(record_kind(record.data), []).append(record)
        self.proposals = self._index("proposal_id", lambda d: d.get("proposal"))
        self.questions = self._index("question_id", lambda d: d if "question" in d else None)
        self.label_items = {
            str(r.data.get("item_id", r.data.get("proposal_id"))): r.data
            for r in self.by_kind.get("mz_label", [])
        }

    def _index(self, key: str, value: Callable[[dict[str, Any]], Any]) -> dict[str, Any]:
        """id -> the last non-empty value found for it in any record."""
        out: dict[str, Any] = {}
        for records in self.by_kind.values():
            for record in records:
                found = value(record.data)
                if record.data.get(key) is not None and found:
                    out[str(record.data[key])] = found
        return out

    def html(self) -> str:
        if self.per_kind <= 0:
            return note("Replays are switched off (--episodes 0).")
        chosen = {kind: self._choose(kind, records) for kind, records in self.by_kind.items()}
        images = mz.SvgImages(self.cache)
        if self.render_svg:
            images.prepare(self._svg_records(chosen), self.problems)
        parts = []
        for kind in KIND_TITLES:
            if kind not in chosen:
                continue
            units = chosen[kind]
            total = len(self.by_kind[kind])
            episodes = [self._episode(kind, unit, images) for unit in units]
            parts.append(replay_group(kind, KIND_TITLES[kind], episodes, total))
        if not parts:
            return note("No rollout records in rollouts/: nothing to replay.")
        return "".join(parts)

    def _choose(self, kind: str, records: list[RolloutRecord]) -> list[list[RolloutRecord]]:
        if kind in GROUPED_BY:
            return select_evenly(group_records(records, GROUPED_BY[kind]), self.per_kind)
        return [[r] for r in select_evenly(records, self.per_kind)]

    def _svg_records(self, chosen: dict[str, list[list[RolloutRecord]]]) -> list[dict[str, Any]]:
        """The records whose SVGs the chosen MM-Zero episodes show."""
        shown = [
            r.data
            for kind, units in chosen.items()
            if kind.startswith("mz_")
            for u in units
            for r in u
        ]
        for units in chosen.get("mz_solver", []):
            item = self.label_items.get(str(units[0].data.get("item_id")))
            if item is not None:
                shown.append(item)
        return shown

    def _episode(self, kind: str, unit: list[RolloutRecord], images: mz.SvgImages) -> Episode:
        first = unit[0]
        title = f"{KIND_TITLES.get(kind, kind)} record"
        try:
            return self._draw(kind, unit, images)
        except Exception as error:  # a malformed record is shown raw, never fatal
            self.problems.append(
                f"{first.source} line {first.line}: shown as JSON ({type(error).__name__}: {error})"
            )
            return generic_episode(first, self.cache, title)

    def _draw(self, kind: str, unit: list[RolloutRecord], images: mz.SvgImages) -> Episode:
        first = unit[0]
        data = first.data
        if kind == "vz_game":
            return vision_zero_episode(first, self.cache, self.pair_folders)
        if kind in ("vp_question", "vp_labelled"):
            return visplay_question_episode(first, self.cache)
        if kind == "vp_answer":
            question = self.questions.get(str(data.get("question_id")))
            return visplay_answers_episode(unit, question, self.cache)
        if kind == "mz_proposer":
            return mz.proposer_episode(first, images)
        if kind == "mz_label":
            return mz.label_episode(first, images)
        if kind == "mz_codegen":
            return mz.codegen_episode(
                unit, self.proposals.get(str(data.get("proposal_id"))), images
            )
        if kind == "mz_solver":
            return mz.solver_episode(unit, self.label_items.get(str(data.get("item_id"))), images)
        if kind == "mz_generated":
            return mz.generated_episode(first)
        if kind == "mz_render_filter":
            proposal = self.proposals.get(str(data.get("proposal_id")))
            return mz.render_filter_episode(first, proposal, images)
        return generic_episode(first, self.cache, f"{first.source} line {first.line}")


def replays_html(
    rollouts: Sequence[RolloutRecord],
    cache: ThumbnailCache,
    per_kind: int,
    render_svg: bool,
    problems: list[str],
    pair_folders: Sequence[Path] = (),
) -> str:
    """The replay section's body."""
    body = ReplayBuilder(rollouts, cache, per_kind, render_svg, problems, pair_folders).html()
    return tag("div", body, class_="replays")
