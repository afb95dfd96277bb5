"""What each MM-Zero step produces: JSON-able records, the items passed between phases, results.

Every record field is a str, int, float, bool, None, or a list/dict of those, so `to_record()`
(`dataclasses.asdict`) is accepted by `json.dumps` and `from_record` reads it back. Items that
carry images (`SolverItem`) are not records; the recipe stores their images next to the records.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any

from PIL import Image

from zeroplay.games.mm_zero.proposal import Proposal
from zeroplay.games.protocol import ScoredTurn


class _Record:
    def to_record(self) -> dict[str, Any]:
        return asdict(self)  # type: ignore[call-overload]

    @classmethod
    def from_record(cls, data: dict[str, Any]) -> Any:
        names = {f.name for f in fields(cls)}  # type: ignore[arg-type]
        return cls(**{k: v for k, v in data.items() if k in names})


@dataclass
class SvgAttempt(_Record):
    """One CodeGen sample for a proposal: the code, the render and the judge's verdict.

    `solvability` / `consistency` are 0 when the SVG did not render (it was never judged).
    """

    sample_index: int
    code: str
    reply_chars: int
    svg_like: bool
    rendered: bool
    render_reason: str | None = None
    width: int = 0
    height: int = 0
    easy_answers: list[str | None] = field(default_factory=list)
    hard_answers: list[str | None] = field(default_factory=list)
    solvability: float = 0.0
    consistency: float = 0.0
    hard_majority: str | None = None


@dataclass
class ProposerRecord(_Record):
    """One Proposer sample in Proposer training, with every term of its reward (note §4.1)."""

    proposal_id: str
    seed_id: str
    topic: str
    sample_index: int
    text: str
    valid: bool
    invalid_reason: str | None
    proposal: dict[str, str] | None = None
    effective_content_type: str | None = None
    svgs: list[dict[str, Any]] = field(default_factory=list)
    base: float = 0.0
    avg_solvability: float = 0.0
    avg_difficulty: float = 0.0
    easy_hard_penalty: float = 0.0
    num_rendered: int = 0
    num_codes: int = 0
    text_diversity_penalty: float = 0.0
    content_type_penalty: float = 0.0
    reward: float = 0.0


@dataclass
class GeneratedProposal(_Record):
    """One offline Proposer sample (lenient parse); invalid ones keep their raw text."""

    proposal_id: str
    seed_id: str
    topic: str
    text: str
    valid: bool
    invalid_reason: str | None
    proposal: dict[str, str] | None = None


@dataclass
class RenderFilterRecord(_Record):
    """A proposal's render rate with the current CodeGen and whether CodeGen training keeps it.

    `render_rate` is None when the filter is off (nothing was sampled).
    """

    proposal_id: str
    svgs: list[dict[str, Any]] = field(default_factory=list)
    render_rate: float | None = None
    kept: bool = True
    drop_reason: str | None = None


@dataclass
class CodegenRecord(_Record):
    """One CodeGen sample in CodeGen training and its reward terms (note §4.2)."""

    proposal_id: str
    sample_index: int
    svg: dict[str, Any]
    reward: float
    rendered: bool
    svg_like: bool
    solvability: float
    difficulty: float


@dataclass
class LabelRecord(_Record):
    """One proposal in Solver-data generation: its SVG, render, votes and the filter outcome.

    `evaluated` means at least one hard-question reply had a non-empty box (note §4.6b).
    """

    proposal_id: str
    proposal: dict[str, str]
    code: str
    rendered: bool
    render_reason: str | None = None
    width: int = 0
    height: int = 0
    has_hard_question: bool = False
    evaluated: bool = False
    hard_answers: list[str | None] = field(default_factory=list)
    easy_answers: list[str | None] = field(default_factory=list)
    label: str | None = None
    hard_consistency: float = 0.0
    easy_consistency: float = 0.0
    kept: bool = False
    drop_reason: str | None = None


@dataclass
class SolverRecord(_Record):
    """One Solver sample in Solver training, scored against the majority label (note §4.3)."""

    item_id: str
    sample_index: int
    text: str
    answer: str | None
    label: str
    accuracy: float
    format: float
    reward: float


@dataclass(frozen=True)
class ProposalItem:
    """A valid proposal with a unique id, as handed from one phase to the next."""

    proposal_id: str
    proposal: Proposal
    seed_id: str = ""
    topic: str = ""


@dataclass
class SolverItem:
    """A labelled training question for the Solver: the rendered image, hard question, label."""

    item_id: str
    question: str
    label: str
    image: Image.Image
    hard_consistency: float
    easy_consistency: float


@dataclass
class ProposerRound:
    turns: list[ScoredTurn]
    records: list[ProposerRecord]
    metrics: dict[str, float]


@dataclass
class ProposalBatch:
    items: list[ProposalItem]
    records: list[GeneratedProposal]
    metrics: dict[str, float]


@dataclass
class RenderFilterResult:
    kept: list[ProposalItem]
    records: list[RenderFilterRecord]
    metrics: dict[str, float]


@dataclass
class CodegenRound:
    turns: list[ScoredTurn]
    records: list[CodegenRecord]
    metrics: dict[str, float]


@dataclass
class SolverLabelling:
    items: list[SolverItem]
    records: list[LabelRecord]
    metrics: dict[str, float]


@dataclass
class SolverRound:
    turns: list[ScoredTurn]
    records: list[SolverRecord]
    metrics: dict[str, float]
