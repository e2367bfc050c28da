"""A gait-parameter chart (PNG): each measured parameter against the healthy and the PD band (`agir.viz.bands`)."""

from __future__ import annotations

import math
from collections.abc import Mapping

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from agir.motion.parameters import BY_KEY  # noqa: E402
from agir.viz.bands import PD_BANDS, healthy_band  # noqa: E402
from agir.viz.figures import figure_png  # noqa: E402

COLUMNS = 4
HEALTHY_COLOUR, PD_COLOUR, OFF_SCALE_COLOUR = "#2ca02c", "#ff7f0e", "#c00000"


def _label(key: str) -> str:
    """`stride_length_m` -> `stride length (m)`: the key without its unit suffix, and the unit."""
    return f"{BY_KEY[key].plain_name} ({BY_KEY[key].unit})"


def axis_range(key: str) -> tuple[float, float]:
    """The chart's axis for `key`: the healthy and PD bands and a margin, so that they stay readable whatever the
    value."""
    bands = (healthy_band(key), PD_BANDS[key])
    low, high = min(b[0] for b in bands), max(b[1] for b in bands)
    margin = 0.15 * (high - low or 1.0)
    return low - margin, high + margin


def off_scale(key: str, value: float) -> bool:
    """Whether `value` lies beyond the chart's axis for `key`, where it is drawn as an arrow at the edge."""
    low, high = axis_range(key)
    return not low <= value <= high


def parameter_chart_png(parameters: Mapping[str, object]) -> bytes:
    """PNG bytes of the chart of every charted parameter that was measured; b"" when none was. Each axis spans the
    healthy and PD bands; a value beyond it is a red arrow at the edge, its title marked "(off scale)"."""
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
    for axis, (key, value) in zip(axes.ravel()[: len(measured)], measured, strict=True):
        bands = (("healthy", healthy_band(key), HEALTHY_COLOUR, 0.6), ("PD", PD_BANDS[key], PD_COLOUR, 0.2))
        for _, (low, high), colour, y in bands:
            axis.barh(y, high - low, left=low, height=0.32, color=colour, alpha=0.45)
        low, high = axis_range(key)
        axis.set_xlim(low, high)
        beyond = off_scale(key, value)
        if beyond:  # an arrow at the edge, pointing out, in red
            shown = low + 0.02 * (high - low) if value < low else high - 0.02 * (high - low)
            axis.plot([shown], [0.4], marker="<" if value < low else ">", color=OFF_SCALE_COLOUR, markersize=10)
        else:
            axis.plot([value], [0.4], marker="v", color="black", markersize=9)
        axis.set_ylim(-0.1, 0.95)
        axis.set_yticks([])
        title = f"{_label(key)}: {value:.3g}" + (" (off scale)" if beyond else "")
        axis.set_title(title, fontsize=8, color=OFF_SCALE_COLOUR if beyond else "black")
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
    return figure_png(figure)
