"""A gait-parameter chart (PNG): each measured parameter against the healthy and the PD band (`agir.viz.bands`)."""

from __future__ import annotations

import io
import math
from collections.abc import Mapping

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from agir.motion.parameters import BY_KEY  # noqa: E402
from agir.viz.bands import PD_BANDS, healthy_band  # noqa: E402

COLUMNS = 4
HEALTHY_COLOUR, PD_COLOUR = "#2ca02c", "#ff7f0e"


def _label(key: str) -> str:
    """`stride_length_m` -> `stride length (m)`: the key without its unit suffix, and the unit."""
    return f"{BY_KEY[key].plain_name} ({BY_KEY[key].unit})"


def parameter_chart_png(parameters: Mapping[str, object]) -> bytes:
    """PNG bytes of the chart of every charted parameter that was measured; b"" when none was."""
    measured = [
        (key, float(parameters[key]))
        for key in PD_BANDS
        if isinstance(parameters.get(key), (int, float)) and math.isfinite(parameters[key])
    ]
    if not measured:
        return b""
    rows = math.ceil(len(measured) / COLUMNS)
    figure, axes = plt.subplots(rows, COLUMNS, figsize=(10, 1.25 * rows + 0.5), dpi=80, squeeze=False)
    for axis in axes.ravel()[len(measured) :]:
        axis.set_axis_off()
    for axis, (key, value) in zip(axes.ravel(), measured, strict=False):  # the grid may have spare axes
        bands = (("healthy", healthy_band(key), HEALTHY_COLOUR, 0.6), ("PD", PD_BANDS[key], PD_COLOUR, 0.2))
        for _, (low, high), colour, y in bands:
            axis.barh(y, high - low, left=low, height=0.32, color=colour, alpha=0.45)
        axis.plot([value], [0.4], marker="v", color="black", markersize=9)
        low = min(value, *(band[1][0] for band in bands))
        high = max(value, *(band[1][1] for band in bands))
        margin = 0.1 * (high - low or 1.0)
        axis.set_xlim(low - margin, high + margin)
        axis.set_ylim(-0.1, 0.95)
        axis.set_yticks([])
        axis.set_title(f"{_label(key)}: {value:.3g}", fontsize=8)
        axis.tick_params(axis="x", labelsize=7)
    figure.legend(
        handles=[plt.Rectangle((0, 0), 1, 1, color=c, alpha=0.45) for c in (HEALTHY_COLOUR, PD_COLOUR)],
        labels=["healthy older adults", "Parkinson's disease (approx.)"],
        loc="lower center",
        ncol=2,
        fontsize=8,
        frameon=False,
    )
    figure.tight_layout(rect=(0, 0.06, 1, 1))
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    plt.close(figure)
    return buffer.getvalue()
