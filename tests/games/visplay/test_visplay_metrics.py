"""Phase summaries computed from records, with hand-computed expectations."""

from __future__ import annotations

import pytest

from zeroplay.games.visplay import (
    QuestionRecord,
    confidence_histogram,
    question_type_mix,
    questioner_metrics,
    silver_label_agreement,
)
from zeroplay.games.visplay.metrics import cluster_size_histogram


def _record(k: int, valid: bool, **fields) -> QuestionRecord:
    return QuestionRecord(
        question_id=f"a/q{k}",
        image_id="a",
        sample_index=k,
        text="",
        valid=valid,
        invalid_reason=None if valid else "missing <type> in order",
        question_type=fields.pop("question_type", "numerical" if valid else None),
        question="Q?" if valid else None,
        questioner_answer="1" if valid else None,
        **fields,
    )


RECORDS = [
    _record(0, True, majority_count=5, samples=10, confidence=0.5, uncertainty=1.0, penalty=0.5,
            reward=0.5, cluster_size=2, pool_size=4),
    _record(1, True, majority_count=5, samples=10, confidence=0.5, uncertainty=1.0, penalty=0.5,
            reward=0.5, cluster_size=2, pool_size=4),
    _record(2, True, question_type="regression", majority_count=10, samples=10, confidence=1.0,
            uncertainty=0.0, penalty=0.25, reward=0.0, cluster_size=1, pool_size=4),
    _record(3, False, cluster_size=1, pool_size=4),
]  # fmt: skip


def test_questioner_metrics_hand_computed() -> None:
    m = questioner_metrics(RECORDS)
    assert m["questions"] == 4
    assert m["valid_frac"] == pytest.approx(0.75)
    assert m["reward_mean"] == pytest.approx(1.0 / 4)
    assert m["reward_valid_mean"] == pytest.approx(1.0 / 3)
    assert m["uncertainty_mean"] == pytest.approx(2.0 / 3)
    assert m["penalty_mean"] == pytest.approx(1.25 / 4)
    assert m["confidence_mean"] == pytest.approx(2.0 / 3)
    assert m["cluster_size_mean"] == pytest.approx(6 / 4)
    assert m["confidence_hist/5of10"] == 2
    assert m["confidence_hist/10of10"] == 1
    assert m["type_frac/numerical"] == pytest.approx(2 / 3)
    assert m["type_frac/regression"] == pytest.approx(1 / 3)
    assert m["cluster_size_hist/1"] == 2
    assert m["cluster_size_hist/2"] == 2
    assert m["invalid/missing <type> in order"] == 1


def test_empty_phase_gives_zeros() -> None:
    m = questioner_metrics([])
    assert m["questions"] == 0 and m["valid_frac"] == 0.0 and m["reward_mean"] == 0.0


def test_histograms_and_mix() -> None:
    assert confidence_histogram([(3, 9), (3, 9), (7, 9)]) == {
        "confidence_hist/3of9": 2.0,
        "confidence_hist/7of9": 1.0,
    }
    assert question_type_mix(["numerical", "regression", "numerical", "numerical"]) == {
        "type_frac/numerical": 0.75,
        "type_frac/regression": 0.25,
    }
    assert question_type_mix([]) == {}
    assert cluster_size_histogram([1, 3, 3, 3]) == {
        "cluster_size_hist/1": 1.0,
        "cluster_size_hist/3": 3.0,
    }


def test_silver_label_agreement_over_shared_ids() -> None:
    before = {"a/q0": "2", "a/q1": "0.5", "b/q0": "A", "c/q0": "9"}
    after = {"a/q0": "2", "a/q1": "1/2", "b/q0": "B", "d/q0": "9"}
    # Shared: a/q0 (equal), a/q1 (0.5 == 1/2), b/q0 (differs) -> 2 of 3.
    assert silver_label_agreement(before, after) == {
        "shared": 3.0,
        "agreement": pytest.approx(2 / 3),
    }
    assert silver_label_agreement({}, after) == {"shared": 0.0, "agreement": 0.0}
