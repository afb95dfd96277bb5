"""What each VisPlay phase produces: per-question and per-sample records, JSON-able by design.

Every field is a str, int, float, bool, None or a list of str/None, so `dataclasses.asdict` (used by
`to_record`) gives a dict that `json.dumps` accepts and `from_record` reads back.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any, Self

from zeroplay.games.protocol import ScoredTurn


class _Record:
    """JSON dicts of a record dataclass: `to_record`, and `from_record` (unknown keys ignored)."""

    def to_record(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_record(cls, data: dict[str, Any]) -> Self:
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})


@dataclass
class _VotedQuestion(_Record):
    """One questioner sample, its parse, and the reasoner's votes on it (`label` is their
    majority answer, `confidence = majority_count / samples`, 0 when invalid)."""

    question_id: str
    image_id: str
    sample_index: int
    text: str
    valid: bool
    invalid_reason: str | None
    question_type: str | None
    question: str | None
    questioner_answer: str | None
    reasoner_answers: list[str | None] = field(default_factory=list)
    label: str | None = None
    majority_count: int = 0
    samples: int = 0
    confidence: float = 0.0


@dataclass
class QuestionRecord(_VotedQuestion):
    """One questioner sample in questioner training: parse, reasoner votes and reward terms.

    `questioner_answer` is the questioner's own answer, logged and never used. `label` is the
    reasoner's majority answer and `confidence = majority_count / samples` (0 when invalid).
    """

    cluster_size: int = 1
    pool_size: int = 1
    uncertainty: float = 0.0
    penalty: float = 0.0
    reward: float = 0.0


@dataclass
class LabelledQuestion(_VotedQuestion):
    """One generated question after pseudo-labelling, kept for reasoner training or dropped.

    `label` is the silver answer (the majority of `samples` reasoner answers); `drop_reason` is
    None exactly when `kept`.
    """

    kept: bool = False
    drop_reason: str | None = None


@dataclass
class AnswerRecord(_Record):
    """One reasoner sample in reasoner training, scored against the question's silver label."""

    question_id: str
    image_id: str
    sample_index: int
    text: str
    answer: str | None
    label: str
    accuracy: float
    think_format: bool
    reward: float


@dataclass
class QuestionerRound:
    """The result of one questioner-training round: turns to train on, records, logged metrics."""

    turns: list[ScoredTurn]
    records: list[QuestionRecord]
    metrics: dict[str, float]


@dataclass
class ReasonerRound:
    """The result of one reasoner-training round: turns to train on, records, logged metrics."""

    turns: list[ScoredTurn]
    records: list[AnswerRecord]
    metrics: dict[str, float]
