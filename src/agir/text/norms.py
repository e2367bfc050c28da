"""Normative ranges of the gait parameters and the closed vocabulary that grades a value against them.

Ranges are for healthy older adults (Kasovic et al. 2021: 1.24 +/- 0.28 m/s; Hollman et al. 2011; Lewek et al. 2010
for arm-swing asymmetry, 5 +/- 4 % in controls vs 14 +/- 8 % in early PD). The "marked" bounds sit near the PD
anchors of ../shared/reference/UPDRS_GAIT.md. Grade words describe one parameter; they never use the overall severity
words of the MDS-UPDRS 3.10 scale (normal, slight, mild, moderate), so a rationale's verdict stays unambiguous.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

TYPICAL = "within the typical range"
GRADES = (TYPICAL, "somewhat reduced", "reduced", "markedly reduced", "somewhat increased", "increased",
          "markedly increased")


@dataclass(frozen=True)
class Norm:
    low: float = -math.inf
    high: float = math.inf
    marked_low: float = -math.inf
    marked_high: float = math.inf


NORMS: dict[str, Norm] = {
    "speed_m_s": Norm(low=1.0, high=1.7, marked_low=0.7),
    "cadence_steps_min": Norm(low=95, high=125, marked_low=80, marked_high=140),
    "stride_length_m": Norm(low=1.1, high=1.7, marked_low=0.8),
    "step_length_left_m": Norm(low=0.55, high=0.85, marked_low=0.4),
    "step_length_right_m": Norm(low=0.55, high=0.85, marked_low=0.4),
    "step_width_m": Norm(low=0.04, high=0.13, marked_high=0.18),
    "stride_time_cv_pct": Norm(high=3.0, marked_high=5.0),
    "double_support_pct": Norm(low=14, high=30, marked_high=36),
    "foot_clearance_m": Norm(low=0.06, marked_low=0.03),
    "arm_swing_left_deg": Norm(low=25, high=70, marked_low=12),
    "arm_swing_right_deg": Norm(low=25, high=70, marked_low=12),
    "arm_swing_asymmetry_pct": Norm(high=12, marked_high=25),
    "trunk_flexion_deg": Norm(high=8, marked_high=15),
    "turn_duration_s": Norm(high=2.2, marked_high=3.5),
    "turn_steps": Norm(high=4, marked_high=6),
    "freezing_episodes": Norm(high=0, marked_high=1),
}


def grade(key: str, value: float) -> str:
    """One of GRADES for `value` of parameter `key`."""
    if key not in NORMS:
        raise ValueError(f"no normative range for {key!r}")
    norm = NORMS[key]
    if value < norm.marked_low:
        return "markedly reduced"
    if value < norm.low:
        # Close to the range counts as "somewhat": within a quarter of the way to the marked bound.
        near = norm.marked_low == -math.inf or value >= norm.low - 0.25 * (norm.low - norm.marked_low)
        return "somewhat reduced" if near else "reduced"
    if value > norm.marked_high:
        return "markedly increased"
    if value > norm.high:
        near = norm.marked_high == math.inf or value <= norm.high + 0.25 * (norm.marked_high - norm.high)
        return "somewhat increased" if near else "increased"
    return TYPICAL


def is_abnormal(key: str, value: float | None) -> bool:
    return value is not None and key in NORMS and grade(key, value) != TYPICAL
