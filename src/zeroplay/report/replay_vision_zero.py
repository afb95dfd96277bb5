"""Replay of one "Who is the spy?" game from its record (`GameResult.to_record()` plus the image
references the recipe adds): the pictures each player saw, every clue, the votes with the
reasoning folded away, the tally and the rewards."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from zeroplay.report.html_parts import (
    badge,
    esc,
    fmt,
    folded_text,
    key_value_table,
    note,
    table,
    tag,
)
from zeroplay.report.images import IMAGE_SUFFIXES, ThumbnailCache, find_image_refs
from zeroplay.report.replay_common import (
    Episode,
    as_int,
    as_list,
    dicts,
    images_row,
    source_line,
    where,
)
from zeroplay.report.run_files import RolloutRecord


def _player_word(seat: Any, spy: int | None) -> str:
    n = as_int(seat)
    if n is None:
        return "?"
    return f"player {n} (spy)" if n == spy else f"player {n}"


def _image_caption(key: str, ref: str, spy: int | None, civilians: list[int]) -> str:
    """Who saw an image, read from its key or file name ("original" / "modified")."""
    name = f"{key} {ref}".lower()
    seats = ", ".join(str(s) for s in civilians)
    if "modif" in name or "spy" in name:
        return f"modified picture: the spy (player {spy}) saw this"
    if "orig" in name or "civil" in name:
        who = f"civilians (players {seats})" if seats else "civilians"
        return f"original picture: {who} and the judge saw this"
    return key


def _vote_text(vote: dict[str, Any]) -> str:
    value = vote.get("vote")
    if value is None:
        reason = vote.get("vote_invalid_reason")
        return badge(f"invalid: {reason}" if reason else "invalid", "bad")
    if isinstance(value, str) and value.lower() in ("n/a", "na", "abstain"):
        return badge("N/A", "warn")
    return esc(f"player {value}")


def _outcome_badge(outcome: Any) -> str:
    kinds = {"correct": "good", "wrong": "bad", "invalid": "bad", "na": "warn", "abstain": "warn"}
    text = "" if outcome is None else str(outcome)
    return badge(text or "?", kinds.get(text.lower(), ""))


def _clues_table(record: dict[str, Any], spy: int | None) -> str:
    rows = []
    for turn in dicts(record.get("clue_turns")):
        clue = turn.get("clue")
        if clue is None:
            reason = turn.get("clue_invalid_reason")
            clue_html = badge(f"no valid clue: {reason}" if reason else "no valid clue", "bad")
        else:
            clue_html = esc(clue)
        role = str(turn.get("role") or "")
        role_html = badge(role, "spy" if role == "spy" else "civ")
        reasoning = turn.get("reasoning")
        folds = folded_text("reasoning", reasoning) if reasoning else ""
        folds += folded_text("full reply", turn.get("text"))
        if turn.get("finish_reason") == "length":
            folds += badge("cut at the token limit", "warn")
        rows.append(
            [
                fmt(turn.get("round")),
                esc(_player_word(turn.get("seat"), spy)),
                role_html,
                tag("div", clue_html, class_="clue") + folds,
                fmt(turn.get("reward")),
            ]
        )
    if not rows:
        return note("no clue turns recorded")
    return table(["round", "player", "role", "clue", "clue reward"], rows, caption="Clues")


def _votes_table(record: dict[str, Any], spy: int | None) -> str:
    rows = []
    for vote in dicts(record.get("votes")):
        voter = vote.get("voter")
        who = "observer" if voter in (None, 0, "observer") else _player_word(voter, spy)
        sample = vote.get("sample")
        rows.append(
            [
                esc(who if sample is None else f"{who}, sample {sample}"),
                _vote_text(vote),
                _outcome_badge(vote.get("outcome")),
                fmt(vote.get("reward")),
                folded_text("reasoning", vote.get("text")),
            ]
        )
    if not rows:
        return note("no votes recorded")
    return table(["voter", "vote", "outcome", "reward", "reasoning"], rows, caption="Votes")


def _result_table(record: dict[str, Any], spy: int | None) -> str:
    tally = [fmt(v) for v in as_list(record.get("tally"))]
    rewards = as_list(record.get("clue_rewards"))
    rows = []
    for seat in range(1, max(len(tally), len(rewards)) + 1):
        rows.append(
            [
                esc(_player_word(seat, spy)),
                tally[seat - 1] if seat <= len(tally) else "—",
                fmt(rewards[seat - 1]) if seat <= len(rewards) else "—",
            ]
        )
    if not rows:
        return ""
    return table(["player", "votes received", "clue reward"], rows, caption="Tally and rewards")


def pair_image_refs(pair_id: Any, folders: Sequence[Path]) -> list[tuple[str, str]]:
    """The original and modified images of pair `pair_id` in the first folder holding them
    (`<id>_original.<ext>`, `<id>_modified.<ext>`, the layout of `zeroplay.data.pairs`)."""
    if not isinstance(pair_id, str | int) or isinstance(pair_id, bool):
        return []
    name = str(pair_id)
    if not name or "/" in name or "\\" in name or name.startswith("."):
        return []
    for folder in folders:
        found = []
        for side in ("original", "modified"):
            for suffix in IMAGE_SUFFIXES:
                path = folder / f"{name}_{side}{suffix}"
                if path.is_file():
                    found.append((side, str(path.resolve())))
                    break
        if found:
            return found
    return []


def vision_zero_episode(
    record: RolloutRecord, cache: ThumbnailCache, pair_folders: Sequence[Path] = ()
) -> Episode:
    """One game; its images come from references in the record, else from its `pair_id` in
    `pair_folders`."""
    data = record.data
    spy = as_int(data.get("spy_seat"))
    n_players = as_int(data.get("n_players")) or 0
    civilians = [s for s in range(1, n_players + 1) if s != spy]
    identified = data.get("spy_identified")
    outcome = badge("spy caught", "good") if identified is True else badge("spy not caught", "bad")
    header = key_value_table(
        [
            ("game", esc(data.get("game_id"))),
            ("played at", esc(", ".join(where(record)) or "—")),
            ("domain", esc(data.get("domain"))),
            ("players", fmt(n_players) + esc(f", spy = player {spy}")),
            ("decision mode", esc(data.get("decision_mode"))),
            ("outcome", outcome),
            ("ψ (spy votes − mean civilian votes)", fmt(data.get("psi"))),
            (
                "votes",
                esc(
                    f"{fmt(data.get('n_votes'))} cast, {fmt(data.get('n_abstained'))} N/A, "
                    f"{fmt(data.get('n_invalid'))} invalid"
                ),
            ),
        ]
    )
    refs = find_image_refs(data) or pair_image_refs(data.get("pair_id"), pair_folders)
    pictures = images_row(refs, cache, lambda k, r: _image_caption(k, r, spy, civilians))
    if data.get("blank_spy") is True:
        pictures += note(f"The spy (player {spy}) saw a blank white image.")
    if not refs:
        pictures += note("This record names no images.")
    body = (
        header
        + pictures
        + _clues_table(data, spy)
        + _votes_table(data, spy)
        + _result_table(data, spy)
        + source_line(record)
    )
    state = "caught" if identified is True else "not caught"
    title = " · ".join([*where(record), f"game {data.get('game_id')}", f"spy {state}"])
    return Episode(title, body)
