"""Vision-Zero panels: decision accuracy, abstention and invalid rates, the Iterative-SPO stage
timeline with the controller's averages and thresholds, game rewards and the role baselines.

Keys are those of `games.vision_zero.stats.game_statistics` (`decision/accuracy`, ...), the
controller's `spo/*` metrics and the recipe's `rae/<stage>/<role>` baselines.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from zeroplay.report.figures import Plot, draw_lines, line_plot, new_figure, style_axes, to_png
from zeroplay.report.series import PREFIX, find_key, matching_series, number, step_of

STAGE_COLOURS = {"decision": "tab:blue", "clue": "tab:orange", "both": "tab:green"}


def step_stages(records: Sequence[Mapping[str, Any]]) -> list[tuple[float, str]]:
    """(step, trained stage) per record: its `stage` text, else the `spo/*_active` flags."""
    out = []
    for index, record in enumerate(records):
        stage = record.get("stage")
        if not isinstance(stage, str) or stage not in STAGE_COLOURS:
            clue = number(record.get("spo/clue_active"))
            decision = number(record.get("spo/decision_active"))
            if clue is None or decision is None:
                continue
            stage = "both" if clue and decision else "clue" if clue else "decision"
        out.append((step_of(record, index), stage))
    return out


def controller_thresholds(config: Mapping[str, Any]) -> list[tuple[float, str]]:
    """Threshold lines of the paper controller (only in `mode: paper`)."""
    controller = find_key(config, "controller")
    if not isinstance(controller, Mapping) or controller.get("mode", "paper") != "paper":
        return []
    lines = []
    acc = number(controller.get("acc_to_clue"))
    if acc is not None:
        lines.append((acc, f"to clue: avg accuracy ≥ {acc:g}"))
    err = number(controller.get("err_to_decision"))
    if err is not None:
        lines.append((1.0 - err, f"to decision: avg accuracy ≤ {1.0 - err:g}"))
    na = number(controller.get("na_to_clue"))
    if na is not None:
        lines.append((na, f"to clue: avg N/A ≤ {na:g}"))
    na_up = number(controller.get("na_to_decision"))
    if na_up is not None:
        lines.append((na_up, f"to decision: avg N/A ≥ {na_up:g}"))
    return lines


def stage_timeline(records: Sequence[Mapping[str, Any]], config: Mapping[str, Any]) -> Plot | None:
    """Top: which stage trained at each step. Bottom: measured and averaged decision accuracy
    and abstention, with the controller's thresholds."""
    stages = step_stages(records)
    if not stages:
        return None
    figure = new_figure(7.2, 4.6)
    top, bottom = figure.subplots(
        2, 1, sharex=True, gridspec_kw={"height_ratios": [1, 4], "hspace": 0.08}
    )
    for stage, colour in STAGE_COLOURS.items():
        spans = [(step - 0.5, 1.0) for step, s in stages if s == stage]
        if spans:
            top.broken_barh(spans, (0, 1), facecolors=colour, label=stage)
    top.set_yticks([])
    top.set_title("Iterative-SPO: trained stage per step", fontsize=11)
    top.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.0, 0.5), frameon=False)
    curves = matching_series(
        records, r"^spo/(accuracy|abstention|accuracy_average|abstention_average)$"
    )
    draw_lines(bottom, curves)
    for y, label in controller_thresholds(config):
        bottom.axhline(y, color="grey", linestyle=":", linewidth=1)
        bottom.annotate(label, (0.01, y), xycoords=("axes fraction", "data"), fontsize=6)
    style_axes(bottom, "", "rate")
    caption = (
        "Colour bars: the stage whose samples entered the loss. Lines: this step's decision "
        "accuracy and N/A rate, and the controller's averages (bias-corrected EMA) compared "
        "with the switching thresholds."
    )
    return Plot(
        "vision_zero_stage_timeline", "Iterative-SPO stage timeline", to_png(figure), caption
    )


def vision_zero_plots(
    records: Sequence[Mapping[str, Any]], config: Mapping[str, Any]
) -> list[Plot]:
    plots = [
        line_plot(
            "vision_zero_decision_rates",
            "Decision accuracy, abstention and invalid votes",
            matching_series(
                records,
                PREFIX + r"decision/(accuracy|abstain_rate|invalid_rate|spy_vote_share)$",
            ),
            "rate",
            caption="accuracy: games where the spy alone got the most votes; abstain_rate and "
            "invalid_rate: shares of decision samples; spy_vote_share: votes naming the spy.",
        ),
        stage_timeline(records, config),
        line_plot(
            "vision_zero_role_baselines",
            "Role baselines (RAE)",
            matching_series(records, PREFIX + r"rae/([^/]+)/([^/]+)$"),
            "baseline",
            caption="The exponential moving average of each role's reward that clue-turn "
            "advantages subtract (reward − baseline).",
        ),
        line_plot(
            "vision_zero_game_rewards",
            "Game rewards by role",
            matching_series(records, PREFIX + r"reward/(clue|decision)/([^/]+)$"),
            "mean reward",
            caption="Clue rewards are zero-sum over the players; decision rewards score votes.",
        ),
        line_plot(
            "vision_zero_psi",
            "Clue stage: ψ = spy votes − mean civilian votes",
            matching_series(records, PREFIX + r"clue/(psi)$"),
            "votes",
        ),
        line_plot(
            "vision_zero_output_quality",
            "Invalid and truncated turns",
            matching_series(records, PREFIX + r"(clue|decision)/(invalid_rate|truncated_rate)$"),
            "share of turns",
        ),
    ]
    return [p for p in plots if p is not None]
