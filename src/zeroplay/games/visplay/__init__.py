"""VisPlay as a pure game: a Questioner asks about images, a Reasoner answers (arXiv 2511.15661).

Per iteration the recipe plays `questioner_round` (train the questioner against the frozen
reasoner), `label_questions` (generate, pseudo-label and filter with the same reasoner) and
`reasoner_round` (train the reasoner on the kept questions). See docs/visplay.md.
"""

from .config import RoleSampling, VisPlayGameConfig
from .labelling import drop_reason, label_questions, relabel_questions
from .metrics import (
    confidence_histogram,
    labelling_metrics,
    question_type_mix,
    questioner_metrics,
    reasoner_metrics,
    silver_label_agreement,
)
from .parsing import GeneratedQuestion, normalize_question_type, parse_question
from .prompts import QUESTION_TYPES, questioner_messages, reasoner_messages
from .questioner_round import questioner_round
from .reasoner_round import reasoner_round
from .records import AnswerRecord, LabelledQuestion, QuestionerRound, QuestionRecord, ReasonerRound
from .rewards import questioner_reward, reasoner_reward, think_format_ok, uncertainty
from .voting import AnswerVote, vote_on_replies

__all__ = [
    "QUESTION_TYPES",
    "AnswerRecord",
    "AnswerVote",
    "GeneratedQuestion",
    "LabelledQuestion",
    "QuestionRecord",
    "QuestionerRound",
    "ReasonerRound",
    "RoleSampling",
    "VisPlayGameConfig",
    "confidence_histogram",
    "drop_reason",
    "label_questions",
    "labelling_metrics",
    "normalize_question_type",
    "parse_question",
    "question_type_mix",
    "questioner_messages",
    "questioner_metrics",
    "questioner_reward",
    "questioner_round",
    "reasoner_messages",
    "reasoner_metrics",
    "reasoner_reward",
    "reasoner_round",
    "relabel_questions",
    "silver_label_agreement",
    "think_format_ok",
    "uncertainty",
    "vote_on_replies",
]
