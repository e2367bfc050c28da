"""What every chart of agir.viz shares: matplotlib without a display, and a finished figure as PNG bytes."""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def figure_png(figure: plt.Figure) -> bytes:
    """`figure` as PNG bytes; the figure is closed, so a long batch of charts does not pile them up."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    plt.close(figure)
    return buffer.getvalue()
