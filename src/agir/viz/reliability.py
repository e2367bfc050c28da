"""The reliability diagram of the score probabilities as a PNG: accuracy against top-class confidence per bin, before
and after temperature scaling (agir.models.calibration), with the ECE of each."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import torch  # noqa: E402

from agir.models.calibration import ECE_BINS, expected_calibration_error, reliability_bins  # noqa: E402
from agir.viz.figures import figure_png  # noqa: E402


def reliability_png(
    raw: torch.Tensor, calibrated: torch.Tensor, targets: torch.Tensor, temperature: float, title: str
) -> bytes:
    """Two panels, uncalibrated (T = 1) and calibrated (T = `temperature`): each bin's accuracy as a bar, its mean
    confidence as a dot, the diagonal of perfect calibration, and the number of predictions per bin at its foot."""
    figure, panels = plt.subplots(1, 2, figsize=(9.0, 4.4), dpi=100, sharey=True)
    for axes, probabilities, label in (
        (panels[0], raw, "uncalibrated (T = 1)"),
        (panels[1], calibrated, f"calibrated (T = {temperature:.2f})"),
    ):
        bins = reliability_bins(probabilities, targets)
        width = 1.0 / ECE_BINS
        centres = [(b.low + b.high) / 2 for b in bins]
        axes.plot([0, 1], [0, 1], color="grey", linestyle="--", linewidth=1, label="perfect calibration")
        axes.bar(centres, [b.accuracy for b in bins], width=width * 0.9, color="#4c72b0", label="accuracy")
        axes.plot(centres, [b.confidence for b in bins], "o", color="#dd8452", label="mean confidence")
        for centre, b in zip(centres, bins, strict=True):
            # At the foot of the bar, clear of the dots: white on a bar, black where the bar is too short to hold it.
            inside = b.accuracy > 0.06
            axes.text(centre, 0.015, str(b.count), ha="center", fontsize=8, color="white" if inside else "black")
        ece = expected_calibration_error(probabilities, targets)
        axes.set_title(f"{label}\nECE {ece:.3f} ({ECE_BINS} equal-width bins, n={len(targets)})", fontsize=10)
        axes.set_xlim(0, 1)
        axes.set_ylim(0, 1)
        axes.set_xlabel("top-class confidence")
    panels[0].set_ylabel("accuracy of the top class")
    panels[0].legend(loc="upper left", fontsize=8)
    figure.suptitle(title)
    figure.tight_layout()
    return figure_png(figure)
