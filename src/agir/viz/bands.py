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

from agir.text.norms import NORMS

PD_BANDS: dict[str, tuple[float, float]] = {
    "speed_m_s": (0.7, 1.1),
    "cadence_steps_min": (100, 130),
    "stride_length_m": (0.8, 1.15),
    "step_length_left_m": (0.4, 0.58),
    "step_length_right_m": (0.4, 0.58),
    "step_width_m": (0.08, 0.2),
    "stride_time_cv_pct": (3.0, 6.0),
    "double_support_pct": (25, 35),
    "foot_clearance_m": (0.03, 0.06),
    "arm_swing_left_deg": (10, 25),
    "arm_swing_right_deg": (10, 25),
    "arm_swing_asymmetry_pct": (6, 22),
    "trunk_flexion_deg": (8, 20),
    "turn_duration_s": (2.5, 4.5),
    "turn_steps": (4, 7),
    "freezing_episodes": (0, 2),
}


def healthy_band(key: str) -> tuple[float, float]:
    """The typical range of `key` in agir.text.norms, drawable: an open lower end closed at zero (or the PD band),
    an open upper end at twice the lower bound (or the PD band), a single value (no freezing) widened a little."""
    norm, (pd_low, pd_high) = NORMS[key], PD_BANDS[key]
    low = norm.low if math.isfinite(norm.low) else min(0.0, pd_low)
    high = norm.high if math.isfinite(norm.high) else max(pd_high, 2 * low)
    if high == low:
        return low - 0.03 * (pd_high - pd_low), high + 0.03 * (pd_high - pd_low)
    return low, high
