"""Score parsing and the score metrics, checked against hand-computed cases."""

import math

import pytest
import torch

from agir.tasks.score_metrics import INVALID, ScoreConfusion, quadratic_weighted_kappa, score_metrics
from agir.text.score import parse_score, rationale_body, with_score


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Foot: short steps.\nOverall: mildly impaired.\nScore: 2", 2),
        ("Score: 1\nOn reflection the gait is worse.\nScore: 3", 3),  # several: the last counts
        ("Score: 0\nmore words after the verdict", 0),  # trailing text after the line
        ("  Score:   1  ", 1),
        ("Overall: normal gait.", None),  # none
        ("", None),
        ("Overall: impaired.\nScore: 4", None),  # out of range: invalid, not the earlier or nearest class
        ("Score: 2\nScore: 7", None),
        ("Score: 2.5", None),  # not an integer
        ("Score: 2 (mild)", None),  # trailing text on the score line
        ("Score: -1", None),
        ("The Score: 2 is given.", None),  # not a line of its own
        ("score: 2", None),  # the label is case-sensitive, as trained
    ],
)
def test_parse_score_takes_the_last_strict_line(text, expected):
    assert parse_score(text) == expected


def test_rationale_body_and_with_score_round_trip():
    text = "Foot: short steps.\nOverall: mild.\nScore: 2"
    assert rationale_body(text) == "Foot: short steps.\nOverall: mild."
    assert with_score(rationale_body(text), 2) == text
    assert rationale_body("no verdict here ") == "no verdict here"
    assert with_score("", 1) == "Score: 1"


def _confusion(targets, predictions) -> dict:
    metric = ScoreConfusion()
    metric.update(torch.tensor(targets), predictions)
    return metric.compute()


def test_metrics_on_a_hand_computed_case():
    # targets 0,0,1,1,2,2 ; predictions 0,1,1,None,2,0
    metrics = _confusion([0, 0, 1, 1, 2, 2], [0, 1, 1, None, 2, 0])
    assert metrics["n"] == 6
    assert metrics["accuracy"] == pytest.approx(3 / 6)
    assert metrics["invalid_rate"] == pytest.approx(1 / 6)
    # class 0: tp 1, predicted 2, support 2 -> P .5 R .5 F1 .5; class 1: tp 1, predicted 2, support 2 -> .5/.5/.5;
    # class 2: tp 1, predicted 1, support 2 -> P 1, R .5, F1 2/3. Class 3 is absent and not averaged.
    assert metrics["precision_2"] == 1.0 and metrics["recall_2"] == 0.5
    assert metrics["macro_f1"] == pytest.approx((0.5 + 0.5 + 2 / 3) / 3)
    assert "f1_3" not in metrics
    # MAE over the five valid predictions: |0-0| + |0-1| + |1-1| + |2-2| + |2-0| = 3
    assert metrics["mae"] == pytest.approx(3 / 5)


def test_qwk_matches_the_formula_by_hand():
    counts = torch.tensor([[2, 1, 0, 0], [0, 2, 1, 0], [0, 0, 1, 1], [0, 0, 0, 2]])
    # observed weighted disagreement: three off-by-one counts, weight 1/9 each -> 3/9
    # expected: row sums r = [3, 3, 2, 2], column sums c = [2, 3, 2, 3], N = 10, E_ij = r_i c_j / N
    rows, cols, total = [3, 3, 2, 2], [2, 3, 2, 3], 10
    expected = sum((i - j) ** 2 / 9 * rows[i] * cols[j] / total for i in range(4) for j in range(4))
    assert quadratic_weighted_kappa(counts) == pytest.approx(1 - (3 / 9) / expected)
    assert quadratic_weighted_kappa(torch.eye(4, dtype=torch.long) * 5) == pytest.approx(1.0)
    assert quadratic_weighted_kappa(torch.tensor([[3, 0, 0, 0]] + [[0] * 4] * 3)) == 1.0  # one class, agreed


def test_perfect_and_all_invalid_predictions():
    perfect = _confusion([0, 1, 2, 3], [0, 1, 2, 3])
    assert perfect["accuracy"] == perfect["macro_f1"] == perfect["qwk"] == 1.0 and perfect["mae"] == 0.0
    invalid = _confusion([0, 3], [None, None])
    assert invalid["accuracy"] == 0 and invalid["macro_f1"] == 0 and invalid["invalid_rate"] == 1.0
    assert math.isnan(invalid["qwk"]) and math.isnan(invalid["mae"])


def test_confusion_counts_invalid_in_its_own_column_and_sums_over_updates():
    metric = ScoreConfusion()
    metric.update([1], [None])
    metric.update([1, 2], [1, 2])
    assert metric.counts[1, INVALID] == 1 and metric.counts[1, 1] == 1 and metric.counts.sum() == 3


def test_bad_metric_inputs_raise():
    with pytest.raises(ValueError, match="outside 0-3"):
        ScoreConfusion().update([4], [1])
    with pytest.raises(ValueError, match="2 targets but 1 predictions"):
        ScoreConfusion().update([1, 2], [1])
    with pytest.raises(ValueError, match="no predictions"):
        score_metrics(torch.zeros(4, 5, dtype=torch.long))
