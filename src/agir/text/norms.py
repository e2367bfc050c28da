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

from agir.motion.parameters import PARAMETERS, Norm

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


NORMS: dict[str, Norm] = {p.key: p.norm for p in PARAMETERS if p.norm}


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
