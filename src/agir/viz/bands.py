"""Reference bands of the charted gait parameters: healthy older adults and Parkinson's disease, in one place.

The healthy band is `agir.text.norms`'s typical range (sources there). PD bands are approximate ranges for
mild-to-moderate PD walking ON medication, from the anchors of shared/reference/UPDRS_GAIT.md:
- speed, stride length, cadence, double support: Zanardi et al. 2021 (meta-analysis of 72 studies) put PD about
  0.13-0.17 m/s slower than controls with shorter strides, a higher cadence and longer double support;
- arm swing asymmetry 14 +/- 8 % in early PD (Lewek et al. 2010);
- stride-time CV 3-5 % and more (Hausdorff's gait-variability work);
- the others (foot clearance, arm swing, trunk flexion, turns) sit between the typical and the marked bounds of
  `agir.text.norms`, which were placed near the PD anchors; treat them as orientation, not norms.
"""

from __future__ import annotations

import math

from agir.motion.parameters import PARAMETERS
from agir.text.norms import NORMS

PD_BANDS: dict[str, tuple[float, float]] = {p.key: p.pd_band for p in PARAMETERS if p.pd_band}


def healthy_band(key: str) -> tuple[float, float]:
    """The typical range of `key` in agir.text.norms, drawable: an open lower end closed at zero (or the PD band),
    an open upper end at twice the lower bound (or the PD band), a single value (no freezing) widened a little."""
    norm, (pd_low, pd_high) = NORMS[key], PD_BANDS[key]
    low = norm.low if math.isfinite(norm.low) else min(0.0, pd_low)
    high = norm.high if math.isfinite(norm.high) else max(pd_high, 2 * low)
    if high == low:
        return low - 0.03 * (pd_high - pd_low), high + 0.03 * (pd_high - pd_low)
    return low, high
