"""The confusion matrix of an evaluation as a PNG: true score per row, predicted score (or invalid) per column."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import torch  # noqa: E402

from agir.text.score import SCORES  # noqa: E402
from agir.viz.figures import figure_png  # noqa: E402


def confusion_png(counts: torch.Tensor, title: str) -> bytes:
    """`counts` (4, 5) from ScoreConfusion: rows true 0-3, columns predicted 0-3 then invalid."""
    figure, axes = plt.subplots(figsize=(5.2, 4.2), dpi=100)
    axes.imshow(counts.numpy(), cmap="Blues")
    for (row, column), count in zip(
        ((r, c) for r in range(counts.shape[0]) for c in range(counts.shape[1])), counts.flatten().tolist(), strict=True
    ):
        dark = count > counts.max().item() / 2
        axes.text(column, row, str(count), ha="center", va="center", color="white" if dark else "black")
    axes.set_xticks(range(counts.shape[1]), [str(s) for s in SCORES] + ["invalid"])
    axes.set_yticks(range(counts.shape[0]), [str(s) for s in SCORES])
    axes.set_xlabel("predicted score")
    axes.set_ylabel("true score")
    axes.set_title(title)
    figure.tight_layout()
    return figure_png(figure)
