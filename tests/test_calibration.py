"""Temperature scaling and the expected calibration error of score probabilities, on seeded toy sets and a
hand-computed example."""

from __future__ import annotations

import pytest
import torch

from agir.models.calibration import (
    ECE_BINS,
    apply_temperature,
    expected_calibration_error,
    fit_temperature,
    negative_log_likelihood,
    reliability_bins,
)
from agir.viz.reliability import reliability_png


def _overconfident(n: int, sharpness: float, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Probabilities `sharpness` times too sharp: targets drawn from softmax(z), the model says softmax(s * z)."""
    generator = torch.Generator().manual_seed(seed)
    logits = torch.randn(n, 4, generator=generator, dtype=torch.float64) * 1.5
    targets = torch.multinomial(torch.softmax(logits, dim=-1), 1, generator=generator).view(-1)
    return torch.softmax(sharpness * logits, dim=-1), targets


def test_a_fitted_temperature_lowers_nll_and_ece_on_held_out_data():
    validation, validation_targets = _overconfident(3000, 3.0, seed=0)
    test, test_targets = _overconfident(3000, 3.0, seed=1)
    temperature = fit_temperature(validation, validation_targets)
    assert temperature == pytest.approx(3.0, rel=0.1)  # the sharpening it undoes
    calibrated = apply_temperature(test, temperature)
    assert negative_log_likelihood(calibrated, test_targets) < negative_log_likelihood(test, test_targets) - 0.2
    before, after = expected_calibration_error(test, test_targets), expected_calibration_error(calibrated, test_targets)
    assert before > 0.15 and after < 0.03
    # Underconfident probabilities are sharpened instead.
    soft, soft_targets = _overconfident(3000, 0.4, seed=2)
    assert fit_temperature(soft, soft_targets) == pytest.approx(0.4, rel=0.1)


def test_temperature_keeps_the_argmax_and_sums_to_one():
    probabilities, _ = _overconfident(50, 1.0, seed=3)
    for temperature in (0.5, 2.0):
        scaled = apply_temperature(probabilities, temperature)
        assert torch.equal(scaled.argmax(dim=-1), probabilities.argmax(dim=-1))
        assert torch.allclose(scaled.sum(dim=-1), torch.ones(50, dtype=torch.float64))
        top, scaled_top = probabilities.max(dim=-1).values, scaled.max(dim=-1).values
        assert bool((scaled_top > top).all()) if temperature < 1 else bool((scaled_top < top).all())
    assert torch.allclose(apply_temperature(probabilities, 1.0), probabilities)
    with pytest.raises(ValueError, match="positive number"):
        apply_temperature(probabilities, 0.0)
    with pytest.raises(ValueError, match="at least one prediction"):
        fit_temperature(torch.zeros(0, 4), torch.zeros(0))


def test_ece_of_a_hand_computed_example():
    probabilities = torch.tensor(
        [
            [0.92, 0.04, 0.02, 0.02],  # confidence 0.92, right: bin [0.9, 1.0)
            [0.84, 0.08, 0.04, 0.04],  # 0.84, wrong: bin [0.8, 0.9)
            [0.10, 0.62, 0.18, 0.10],  # 0.62, right: bin [0.6, 0.7)
            [0.10, 0.10, 0.66, 0.14],  # 0.66, wrong: bin [0.6, 0.7)
        ]
    )
    targets = torch.tensor([0, 1, 1, 3])
    # Per bin |accuracy - confidence| x share: |1 - 0.92| / 4 + |0 - 0.84| / 4 + |0.5 - 0.64| x 2 / 4.
    assert expected_calibration_error(probabilities, targets) == pytest.approx(0.02 + 0.21 + 0.07, abs=1e-6)
    assert ECE_BINS == 10
    bins = reliability_bins(probabilities, targets)
    assert [(round(b.low, 1), b.count, b.accuracy) for b in bins] == [(0.6, 2, 0.5), (0.8, 1, 0.0), (0.9, 1, 1.0)]
    assert [b.confidence for b in bins] == pytest.approx([0.64, 0.84, 0.92])


def test_reliability_bins_weigh_up_to_the_ece():
    probabilities, targets = _overconfident(400, 2.0, seed=4)
    bins = reliability_bins(probabilities, targets)
    assert sum(b.count for b in bins) == 400
    gap = sum(abs(b.accuracy - b.confidence) * b.count for b in bins) / 400
    assert gap == pytest.approx(expected_calibration_error(probabilities, targets), abs=1e-5)
    png = reliability_png(probabilities, apply_temperature(probabilities, 2.0), targets, 2.0, "toy")
    assert png.startswith(b"\x89PNG")
