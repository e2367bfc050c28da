"""Calibrated score probabilities: one temperature fitted on the validation split, and the expected calibration error.

The score probabilities are a softmax over the four score tokens (agir.models.score_reader), so dividing their
logits by a temperature T is `softmax(log p / T)`: applied to the probabilities themselves, it keeps their argmax and
only makes them sharper (T < 1) or softer (T > 1). T is the one that minimises the negative log-likelihood of the
true scores on the validation split (Guo et al. 2017), found by scipy's bounded scalar minimiser over log T: NLL is
convex in 1/T, hence unimodal in log T. The expected calibration error (ECE) is torchmetrics' top-label calibration
error with ECE_BINS equal-width bins of the top-class confidence: the mean gap between confidence and accuracy,
weighted by the share of predictions in each bin.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from scipy.optimize import minimize_scalar
from torchmetrics.functional.classification import multiclass_calibration_error

# Equal-width confidence bins over [0, 1] (the top class of four scores has confidence 0.25 at least).
ECE_BINS = 10
# The temperatures searched: 1/20 to 20, beyond which a split has told nothing a temperature should trust.
_LOG_T_RANGE = (-math.log(20.0), math.log(20.0))
# Probabilities below this are taken as this in a logarithm: predictions files keep six decimals.
_FLOOR = 1e-12


def _log(probabilities: torch.Tensor) -> torch.Tensor:
    return torch.as_tensor(probabilities, dtype=torch.float64).clamp_min(_FLOOR).log()


def apply_temperature(probabilities: torch.Tensor, temperature: float) -> torch.Tensor:
    """(N, K) probabilities with their logits divided by `temperature`: `softmax(log p / T)`, the same argmax."""
    if not (math.isfinite(temperature) and temperature > 0):
        raise ValueError(f"a temperature must be a positive number, got {temperature!r}")
    return torch.softmax(_log(probabilities) / temperature, dim=-1)


def negative_log_likelihood(probabilities: torch.Tensor, targets: torch.Tensor) -> float:
    """Mean -log p(target) of (N, K) probabilities."""
    return float(-_log(probabilities).gather(1, torch.as_tensor(targets).long().view(-1, 1)).mean())


def fit_temperature(probabilities: torch.Tensor, targets: torch.Tensor, tolerance: float = 1e-6) -> float:
    """The temperature that minimises the NLL of `targets` under `apply_temperature(probabilities, T)`, searched
    over log T in [-log 20, log 20]; ValueError without a prediction."""
    if len(targets) == 0:
        raise ValueError("a temperature needs at least one prediction to be fitted on")
    log_p, targets = _log(probabilities), torch.as_tensor(targets).long().view(-1, 1)

    def nll(log_t: float) -> float:
        return float(-torch.log_softmax(log_p / math.exp(log_t), dim=-1).gather(1, targets).mean())

    found = minimize_scalar(nll, bounds=_LOG_T_RANGE, method="bounded", options={"xatol": tolerance})
    return math.exp(found.x)


def expected_calibration_error(probabilities: torch.Tensor, targets: torch.Tensor, bins: int = ECE_BINS) -> float:
    """Top-label ECE of (N, K) probabilities over `bins` equal-width confidence bins (torchmetrics)."""
    probabilities = torch.as_tensor(probabilities, dtype=torch.float64)
    return float(
        multiclass_calibration_error(
            probabilities, torch.as_tensor(targets).long(), num_classes=probabilities.shape[1], n_bins=bins, norm="l1"
        )
    )


@dataclass(frozen=True)
class ReliabilityBin:
    low: float
    high: float
    count: int
    confidence: float  # mean top-class probability of the predictions in the bin
    accuracy: float  # share of them whose top class is the target


def reliability_bins(probabilities: torch.Tensor, targets: torch.Tensor, bins: int = ECE_BINS) -> list[ReliabilityBin]:
    """The bins of a reliability diagram, binned as torchmetrics bins the ECE (a bin holds [low, high); the last
    holds 1.0 too), so that their count-weighted |accuracy - confidence| is `expected_calibration_error`."""
    # In single precision, as torchmetrics bins, so that a confidence on an edge falls in the same bin.
    confidence, predicted = torch.as_tensor(probabilities, dtype=torch.float64).float().max(dim=1)
    correct = (predicted == torch.as_tensor(targets).long()).float()
    edges = torch.linspace(0, 1, bins + 1)
    index = (torch.bucketize(confidence, edges, right=True) - 1).clamp(0, bins - 1)
    found = []
    for b in range(bins):
        members = index == b
        count = int(members.sum())
        if count:
            found.append(
                ReliabilityBin(
                    float(edges[b]),
                    float(edges[b + 1]),
                    count,
                    float(confidence[members].mean()),
                    float(correct[members].mean()),
                )
            )
    return found


def calibration_metrics(
    raw: torch.Tensor, calibrated: torch.Tensor, targets: torch.Tensor, temperature: float
) -> dict[str, float]:
    """ECE and NLL before (`raw`) and after (`calibrated`) temperature scaling, the temperature and the bin count."""
    return {
        "temperature": temperature,
        "ece_bins": ECE_BINS,
        "ece_uncalibrated": expected_calibration_error(raw, targets),
        "ece": expected_calibration_error(calibrated, targets),
        "nll_uncalibrated": negative_log_likelihood(raw, targets),
        "nll": negative_log_likelihood(calibrated, targets),
    }
