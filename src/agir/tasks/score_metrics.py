"""Score metrics from one confusion matrix: true score (rows 0-3) x predicted score (columns 0-3, then "invalid").

Every number derives from the counts, so they reduce across ranks exactly (a sum) and agree wherever they are
computed: the reasoning stage's validation, `agir.evaluate` and the demo. Invalid outputs (no parseable score) stay
their own column: they count as wrong for accuracy, recall and F1 and are left out of QWK and MAE, which need a
predicted value.
"""

from __future__ import annotations

import torch
from torchmetrics import Metric

from agir.text.score import SCORES

NUM_SCORES = len(SCORES)
INVALID = NUM_SCORES  # the column of unparseable predictions


class ScoreConfusion(Metric):
    full_state_update = False

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)  # torchmetrics options, e.g. sync_on_compute
        self.add_state(
            "counts", default=torch.zeros(NUM_SCORES, NUM_SCORES + 1, dtype=torch.long), dist_reduce_fx="sum"
        )

    def update(self, targets: torch.Tensor | list[int], predictions: list[int | None]) -> None:
        targets = torch.as_tensor(targets, dtype=torch.long).flatten().tolist()
        if len(targets) != len(predictions):
            raise ValueError(f"{len(targets)} targets but {len(predictions)} predictions")
        for target, prediction in zip(targets, predictions, strict=True):
            if target not in SCORES:
                raise ValueError(f"target score {target} is outside 0-3")
            self.counts[target, INVALID if prediction is None else prediction] += 1

    def compute(self) -> dict[str, float]:
        return score_metrics(self.counts)


def quadratic_weighted_kappa(counts: torch.Tensor) -> float:
    """Cohen's kappa with quadratic weights over a square confusion matrix (rows true, columns predicted).

    1 for perfect agreement, 0 for chance; defined as 1.0 when both raters use a single, identical class."""
    observed = counts.double()
    total = observed.sum()
    if total == 0:
        return float("nan")
    size = observed.shape[0]
    index = torch.arange(size, dtype=torch.float64)
    weights = (index[:, None] - index[None, :]) ** 2 / (size - 1) ** 2
    expected = torch.outer(observed.sum(1), observed.sum(0)) / total
    disagreement_by_chance = (weights * expected).sum()
    if disagreement_by_chance == 0:
        return 1.0 if (weights * observed).sum() == 0 else 0.0
    return float(1 - (weights * observed).sum() / disagreement_by_chance)


def merge_scores_above(counts: torch.Tensor, top: int) -> torch.Tensor:
    """The confusion matrix over scores 0..`top`, every higher score (true or predicted) counted as `top`: CARE-PD's
    0-2 scale merges 3 into 2. The invalid column stays last."""
    classes = counts.shape[0]
    rows = torch.cat([counts[:top], counts[top:].sum(0, keepdim=True)])
    return torch.cat([rows[:, :top], rows[:, top:classes].sum(1, keepdim=True), rows[:, classes:]], dim=1)


def score_metrics(counts: torch.Tensor) -> dict[str, float]:
    """Accuracy, macro-F1 over the classes present, per-class precision/recall/F1, QWK, MAE and invalid rate, over a
    matrix of any number of scores (rows) with the invalid column last."""
    counts = counts.long().cpu()
    total = int(counts.sum())
    if total == 0:
        raise ValueError("no predictions to score")
    scores = range(counts.shape[0])
    valid = counts[:, : len(scores)]
    correct = int(valid.diagonal().sum())
    metrics: dict[str, float] = {
        "n": total,
        "accuracy": correct / total,
        "invalid_rate": float(counts[:, -1].sum()) / total,
    }
    f1s = []
    for score in scores:
        support = int(counts[score].sum())
        if support == 0:
            continue  # a class absent from the targets is not averaged in
        hits = int(valid[score, score])
        predicted = int(valid[:, score].sum())
        precision = hits / predicted if predicted else 0.0
        recall = hits / support
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        metrics |= {
            f"precision_{score}": precision,
            f"recall_{score}": recall,
            f"f1_{score}": f1,
            f"support_{score}": support,
        }
        f1s.append(f1)
    metrics["macro_f1"] = sum(f1s) / len(f1s)
    n_valid = int(valid.sum())
    if n_valid:
        index = torch.arange(len(scores))
        metrics["mae"] = float((valid * (index[:, None] - index[None, :]).abs()).sum()) / n_valid
        metrics["qwk"] = quadratic_weighted_kappa(valid)
    else:
        metrics["mae"] = metrics["qwk"] = float("nan")
    return metrics
