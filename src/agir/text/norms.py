"""Normative ranges of the gait parameters and the closed vocabulary that grades a value against them.

Grade words describe one parameter; none of them is an overall severity word of the MDS-UPDRS 3.10 scale (normal,
slight, mild, moderate, severe), so the verdict of a rationale stays unambiguous (see `agir.text.claims`).
Ranges are for healthy older adults; the "marked" bounds sit near the Parkinson's anchors of
shared/reference/UPDRS_GAIT.md. Where a parameter's definition (docs/gait_parameters.md) is our own, its range is
checked against what `agir.motion.gait_parameters` measures on the synthetic cohort's score-0 walkers (10th-90th
percentile).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

TYPICAL = "typical"
GRADES = (
    TYPICAL,
    "somewhat reduced",
    "reduced",
    "markedly reduced",
    "somewhat increased",
    "increased",
    "markedly increased",
)
# A value within the typical range but this close to a bound (share of the range, or of the bound when the range is
# one-sided) is "at the lower/upper end": what a rationale can honestly cite when nothing is out of range.
_NEAR_LIMIT_SHARE = 0.15
# Out of range by less than this share of the way to the marked bound reads "somewhat".
_SOMEWHAT_SHARE = 0.25


@dataclass(frozen=True)
class Norm:
    """Typical range [low, high]; beyond marked_low / marked_high a deviation is marked."""

    low: float = -math.inf
    high: float = math.inf
    marked_low: float = -math.inf
    marked_high: float = math.inf


NORMS: dict[str, Norm] = {
    # Over 60: 1.24 +/- 0.28 m/s (Kasovic et al. 2021); PD ON about 0.15 m/s slower (Zanardi et al. 2021).
    "speed_m_s": Norm(low=1.0, high=1.7, marked_low=0.7),
    # About 100-120 steps/min in healthy older adults (Hollman et al. 2011); PD raises it, festination most.
    "cadence_steps_min": Norm(low=95, high=125, marked_low=80, marked_high=140),
    # 1.2-1.4 m typical over 60 (Hollman et al. 2011); shortened strides are the core PD sign (Zanardi et al. 2021).
    "stride_length_m": Norm(low=1.1, high=1.7, marked_low=0.8),
    "step_length_left_m": Norm(low=0.55, high=0.85, marked_low=0.4),
    "step_length_right_m": Norm(low=0.55, high=0.85, marked_low=0.4),
    # About 8-12 cm in older adults (Hollman et al. 2011); a wide base marks instability.
    "step_width_m": Norm(low=0.04, high=0.15, marked_high=0.2),
    # Stride-time CV about 2-3 % healthy, 3-5 % and more in PD (Hausdorff's gait-variability work).
    "stride_time_cv_pct": Norm(high=3.0, marked_high=5.0),
    # Our definition (docs/gait_parameters.md) reads 12-20 % on healthy synthetic walkers; PD prolongs it.
    "double_support_pct": Norm(low=10, high=28, marked_high=35),
    # Toe lift over stance: 8-11 cm on healthy synthetic walkers; shuffling lifts the foot 2-3 cm.
    "foot_clearance_m": Norm(low=0.06, marked_low=0.03),
    # Sagittal upper-arm swing relative to the trunk: 23-44 degrees on healthy synthetic walkers; falls with PD.
    "arm_swing_left_deg": Norm(low=20, high=60, marked_low=10),
    "arm_swing_right_deg": Norm(low=20, high=60, marked_low=10),
    # 5 +/- 4 % in controls, 14 +/- 8 % in early PD (Lewek et al. 2010).
    "arm_swing_asymmetry_pct": Norm(high=12, marked_high=25),
    # A few degrees of forward lean is usual; a stooped PD posture is well beyond 10 degrees.
    "trunk_flexion_deg": Norm(low=-5, high=10, marked_high=15),
    # 180-degree turn between 10 % and 90 % of the heading change: 1-2 s healthy; en-bloc PD turns take over 4 s.
    "turn_duration_s": Norm(high=2.5, marked_high=4.0),
    "turn_steps": Norm(high=4, marked_high=6),
    # Any freezing episode is abnormal.
    "freezing_episodes": Norm(high=0, marked_high=1),
}


def _norm(key: str, value: float) -> Norm:
    if key not in NORMS:
        raise ValueError(f"no normative range for {key!r}")
    if not math.isfinite(value):
        raise ValueError(f"{key} must be a finite number, got {value!r}")
    return NORMS[key]


def grade(key: str, value: float) -> str:
    """One of GRADES for `value` of parameter `key`."""
    norm = _norm(key, value)
    if value < norm.marked_low:
        return "markedly reduced"
    if value < norm.low:
        near = norm.marked_low == -math.inf or value >= norm.low - _SOMEWHAT_SHARE * (norm.low - norm.marked_low)
        return "somewhat reduced" if near else "reduced"
    if value > norm.marked_high:
        return "markedly increased"
    if value > norm.high:
        near = norm.marked_high == math.inf or value <= norm.high + _SOMEWHAT_SHARE * (norm.marked_high - norm.high)
        return "somewhat increased" if near else "increased"
    return TYPICAL


def grade_level(key: str, value: float) -> int:
    """How far out of range: 0 typical, 1 somewhat, 2 plain, 3 markedly (either direction)."""
    word = grade(key, value)
    return 0 if word == TYPICAL else 1 if word.startswith("somewhat") else 3 if word.startswith("markedly") else 2


def is_abnormal(key: str, value: float | None) -> bool:
    """True for a measured value outside the typical range of a graded parameter."""
    return value is not None and key in NORMS and grade(key, value) != TYPICAL


def near_limit(key: str, value: float) -> str | None:
    """ "lower" or "upper" for a typical value close to that end of its range, else None."""
    norm = _norm(key, value)
    if grade(key, value) != TYPICAL:
        return None
    width = norm.high - norm.low
    if math.isfinite(norm.low) and value < norm.low + _NEAR_LIMIT_SHARE * (
        width if math.isfinite(width) else abs(norm.low)
    ):
        return "lower"
    if math.isfinite(norm.high) and value > norm.high - _NEAR_LIMIT_SHARE * (
        width if math.isfinite(width) else abs(norm.high)
    ):
        return "upper"
    return None
