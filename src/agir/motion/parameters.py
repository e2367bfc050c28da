"""The gait parameters and everything the code knows about each, in one table.

One `GaitParameter` per parameter `agir.motion.gait_parameters` measures (definitions: docs/gait_parameters.md): its
unit, how text writes its value (`agir.text.rationale`) and names it, the labels a text reader maps to it
(`agir.text.claims`), its normative range and grade cut-offs (`agir.text.norms`), its Parkinson's band
(`agir.viz.bands`), whether the baseline scores from it and whether the corpus summary shows it. Every module that
needs one of these facts reads it here, so adding a parameter is one entry below plus its extractor.

Normative ranges are for healthy older adults; the "marked" bounds sit near the Parkinson's anchors of
shared/reference/UPDRS_GAIT.md. Where a parameter's definition is our own, its range is checked against what
`agir.motion.gait_parameters` measures on the synthetic cohort's score-0 walkers (10th-90th percentile). PD bands are
approximate ranges for mild-to-moderate PD walking ON medication, from the same anchors: Zanardi et al. 2021
(meta-analysis of 72 studies) put PD about 0.13-0.17 m/s slower than controls with shorter strides, a higher cadence
and longer double support; the bands of foot clearance, arm swing, trunk flexion and turns sit between the typical and
the marked bounds; treat them as orientation, not norms.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Norm:
    """Typical range [low, high]; beyond marked_low / marked_high a deviation is marked."""

    low: float = -math.inf
    high: float = math.inf
    marked_low: float = -math.inf
    marked_high: float = math.inf


@dataclass(frozen=True)
class Written:
    """How text writes a value: `decimals` in the written unit, `scale` times the parameter's unit (m -> cm)."""

    decimals: int
    unit: str  # plural form for counts; claims.py reads every form used here
    scale: float = 1.0
    singular: str | None = None


@dataclass(frozen=True)
class GaitParameter:
    key: str
    unit: str  # of the measured value, as `python -m agir.gait` prints it
    count: bool = False  # an integer
    written: Written | None = None  # None: texts never write it
    name: str | None = None  # how a text names it without its number (`stride length`)
    labels: tuple[str, ...] = ()  # written right before its number; each is read back as this parameter only
    label_pattern: str | None = None  # regex of the labels a reader maps to this parameter alone (claims.py)
    side: str | None = None  # "left"/"right" for one side of a pair a label may name together
    norm: Norm | None = None  # None: not graded
    pd_band: tuple[float, float] | None = None  # None: not charted
    feature: bool = True  # a property of the gait the baseline scores from; False: a count of what was analysed
    summary_column: int | None = None  # its column in the corpus summary; None: not shown there
    # What the MDS-UPDRS 3.10 examiner weighs (stride amplitude and speed, foot lift, turning, arm swing): evidence
    # coverage (agir.text.assessment) is the share of these that were measured.
    score_relevant: bool = False

    @property
    def plain_name(self) -> str:
        """The key as words without its unit suffix: 'stride_length_m' -> 'stride length'."""
        suffix = next((s for s in _UNIT_SUFFIXES if self.key.endswith(s)), "")
        return self.key[: len(self.key) - len(suffix)].replace("_", " ")


_UNIT_SUFFIXES = ("_m_s", "_steps_min", "_pct", "_deg", "_m", "_s")

PARAMETERS: tuple[GaitParameter, ...] = (
    GaitParameter(
        "speed_m_s",
        "m/s",
        written=Written(2, "m/s"),
        name="speed",
        labels=("walking speed", "gait speed", "speed"),
        label_pattern=r"(?:walking |gait )?speed|velocity",
        # Over 60: 1.24 +/- 0.28 m/s (Kasovic et al. 2021); PD ON about 0.15 m/s slower (Zanardi et al. 2021).
        norm=Norm(low=1.0, high=1.7, marked_low=0.7),
        pd_band=(0.7, 1.1),
        summary_column=0,
        score_relevant=True,
    ),
    GaitParameter(
        "cadence_steps_min",
        "steps/min",
        written=Written(0, "steps/min"),
        name="cadence",
        labels=("cadence", "step rate"),
        label_pattern=r"cadence|step (?:rate|frequency)|steps per minute",
        # About 100-120 steps/min in healthy older adults (Hollman et al. 2011); PD raises it, festination most.
        norm=Norm(low=95, high=125, marked_low=80, marked_high=140),
        pd_band=(100, 130),
        summary_column=2,
        score_relevant=True,
    ),
    GaitParameter(
        "stride_length_m",
        "m",
        written=Written(2, "m"),
        name="stride length",
        labels=("stride length", "stride amplitude"),
        label_pattern=r"stride (?:length|amplitude)|strides?",
        # 1.2-1.4 m typical over 60 (Hollman et al. 2011); shortened strides are the core PD sign (Zanardi et al. 2021).
        norm=Norm(low=1.1, high=1.7, marked_low=0.8),
        pd_band=(0.8, 1.15),
        summary_column=1,
        score_relevant=True,
    ),
    GaitParameter(
        "step_length_left_m",
        "m",
        written=Written(2, "m"),
        name="left step length",
        labels=("left step length",),
        label_pattern=r"left step(?: length)?s?|step length on the left",
        side="left",
        norm=Norm(low=0.55, high=0.85, marked_low=0.4),
        pd_band=(0.4, 0.58),
    ),
    GaitParameter(
        "step_length_right_m",
        "m",
        written=Written(2, "m"),
        name="right step length",
        labels=("right step length",),
        label_pattern=r"right step(?: length)?s?|step length on the right",
        side="right",
        norm=Norm(low=0.55, high=0.85, marked_low=0.4),
        pd_band=(0.4, 0.58),
    ),
    GaitParameter(
        "step_width_m",
        "m",
        written=Written(0, "cm", 100.0),
        name="step width",
        labels=("step width", "base of support"),
        label_pattern=r"step width|base of support|stance width",
        # About 8-12 cm in older adults (Hollman et al. 2011); a wide base marks instability.
        norm=Norm(low=0.04, high=0.15, marked_high=0.2),
        pd_band=(0.08, 0.2),
    ),
    GaitParameter(
        "stride_time_cv_pct",
        "%",
        written=Written(1, "%"),
        name="stride-time variability",
        labels=("stride-time variability", "rhythm variability"),
        label_pattern=(
            r"stride[- ]?(?:to[- ]stride|time) variability|(?:rhythm |timing |gait )?variability"
            r"|coefficient of variation|\bcv\b"
        ),
        # Stride-time CV about 2-3 % healthy, 3-5 % and more in PD (Hausdorff's gait-variability work).
        norm=Norm(high=3.0, marked_high=5.0),
        pd_band=(3.0, 6.0),
    ),
    GaitParameter(
        "double_support_pct",
        "%",
        written=Written(0, "%"),
        name="double support",
        labels=("double support", "double-support time"),
        label_pattern=r"double[- ]support(?: time| phase)?",
        # Our definition (docs/gait_parameters.md) reads 12-20 % on healthy synthetic walkers; PD prolongs it.
        norm=Norm(low=10, high=28, marked_high=35),
        pd_band=(25, 35),
    ),
    GaitParameter(
        "foot_clearance_m",
        "m",
        written=Written(1, "cm", 100.0),
        name="foot clearance",
        labels=("foot clearance", "foot lift", "toe clearance"),
        label_pattern=r"(?:foot|toe) (?:clearance|lift)|clearance",
        # Toe lift over stance: 8-11 cm on healthy synthetic walkers; shuffling lifts the foot 2-3 cm.
        norm=Norm(low=0.06, marked_low=0.03),
        pd_band=(0.03, 0.06),
        score_relevant=True,
    ),
    GaitParameter(
        "arm_swing_left_deg",
        "deg",
        written=Written(0, "degrees"),
        name="left arm swing",
        labels=("left arm swing", "angular displacement of the left arm"),
        label_pattern=r"left arm(?:[- ]swing| angular displacement)?|(?:swing|angular displacement) of the left arm",
        side="left",
        # Sagittal upper-arm swing relative to the trunk: 23-44 degrees on healthy synthetic walkers; falls with PD.
        norm=Norm(low=20, high=60, marked_low=10),
        pd_band=(10, 25),
        score_relevant=True,
    ),
    GaitParameter(
        "arm_swing_right_deg",
        "deg",
        written=Written(0, "degrees"),
        name="right arm swing",
        labels=("right arm swing", "angular displacement of the right arm"),
        label_pattern=r"right arm(?:[- ]swing| angular displacement)?|(?:swing|angular displacement) of the right arm",
        side="right",
        norm=Norm(low=20, high=60, marked_low=10),
        pd_band=(10, 25),
        score_relevant=True,
    ),
    GaitParameter(
        "arm_swing_asymmetry_pct",
        "%",
        written=Written(0, "%"),
        name="arm-swing asymmetry",
        labels=("arm-swing asymmetry", "asymmetry of arm swing"),
        label_pattern=r"(?:left[- ]right )?(?:arm[- ]swing )?asymmetry(?: (?:of|in) (?:the )?arm[- ]swing)?",
        # 5 +/- 4 % in controls, 14 +/- 8 % in early PD (Lewek et al. 2010).
        norm=Norm(high=12, marked_high=25),
        pd_band=(6, 22),
        summary_column=3,
    ),
    GaitParameter(
        "trunk_flexion_deg",
        "deg",
        written=Written(0, "degrees"),
        name="trunk flexion",
        labels=("trunk flexion", "forward trunk lean"),
        label_pattern=r"(?:forward )?trunk (?:flexion|lean)|trunk|stoop\w*|forward lean",
        # A few degrees of forward lean is usual; a stooped PD posture is well beyond 10 degrees.
        norm=Norm(low=-5, high=10, marked_high=15),
        pd_band=(8, 20),
        summary_column=4,
    ),
    GaitParameter(
        "turn_duration_s",
        "s",
        written=Written(1, "s"),
        name="turn duration",
        label_pattern=r"turn(?:ing)? (?:duration|time)",
        # 180-degree turn between 10 % and 90 % of the heading change: 1-2 s healthy; en-bloc PD turns take over 4 s.
        norm=Norm(high=2.5, marked_high=4.0),
        pd_band=(2.5, 4.5),
        score_relevant=True,
    ),
    GaitParameter(
        "turn_steps",
        "steps",
        count=True,
        written=Written(0, "steps", singular="step"),
        name="steps in the turn",
        label_pattern=r"turn(?:ing)? steps|steps (?:in|of) the turn",
        norm=Norm(high=4, marked_high=6),
        pd_band=(4, 7),
        score_relevant=True,
    ),
    # Path geometry, not gait: the 3.10 test always turns 180 degrees; other walks (circles, figure-eights) more.
    GaitParameter("turning_total_deg", "deg", feature=False),
    GaitParameter("turning_time_s", "s", feature=False),
    GaitParameter(
        "freezing_episodes",
        "count",
        count=True,
        written=Written(0, "freezing episodes", singular="freezing episode"),
        name="freezing",
        label_pattern=r"freezing(?: episodes?)?|episodes? of freezing",
        # Any freezing episode is abnormal.
        norm=Norm(high=0, marked_high=1),
        pd_band=(0, 2),
        summary_column=5,
    ),
    GaitParameter("n_strides", "count", count=True, feature=False),
    GaitParameter("duration_s", "s", feature=False),
)

# Labels that name several parameters at once; a reader narrows them by the unit or the side after the number.
SHARED_LABEL_PATTERNS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (r"step lengths?", ("step_length_left_m", "step_length_right_m")),
    (r"arm[- ]swing|arm angular displacement|angular displacement", ("arm_swing_left_deg", "arm_swing_right_deg")),
    (r"turn(?:ing|s)?", ("turn_duration_s", "turn_steps")),
)

PARAMETER_KEYS: tuple[str, ...] = tuple(p.key for p in PARAMETERS)
BY_KEY: dict[str, GaitParameter] = {p.key: p for p in PARAMETERS}
# The parameters texts write about, in the order texts and grounding take them.
WRITTEN: tuple[GaitParameter, ...] = tuple(p for p in PARAMETERS if p.written)
