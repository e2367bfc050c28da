"""Virtual subjects of the synthetic cohort: body geometry and a gait profile sampled from the MDS-UPDRS 3.10 score.

Each gait parameter has a mean per score, one spread for all scores and an impairment direction. A subject's values
share one latent "severity within the class" draw, so a mild 2 is mild in most parameters at once and adjacent
scores overlap the way real cohorts do: no single parameter separates them. Anchors: healthy adults over 60 walk
1.24 +/- 0.28 m/s (Kasovic et al. 2021) with strides of 1.2-1.4 m at 100-120 steps/min; PD walks slower with shorter
strides, higher cadence and longer double support (Zanardi et al. 2021); arm swing asymmetry is 14 +/- 8 % in early PD
vs 5 +/- 4 % in controls (Lewek et al. 2010); severe gait shuffles, stoops, turns en bloc and freezes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SCORES = (0, 1, 2, 3)
# How strongly the parameters of one subject move together with its latent severity (0 = independent draws).
SEVERITY_CORRELATION = 0.6

Vector = tuple[float, float, float]


@dataclass(frozen=True)
class Anthropometry:
    """Segment geometry in metres. Offsets are (left, up, forward) in the parent's frame, for the left side."""

    height_m: float
    hip: Vector  # pelvis -> left hip
    thigh_m: float
    shank_m: float
    ankle_height_m: float  # ankle joint above the floor with the foot flat (the toe joint is on the floor)
    foot_forward_m: float  # ankle -> toe joint, horizontally, with the foot flat
    spine: tuple[Vector, Vector, Vector, Vector]  # pelvis -> spine1 -> spine2 -> spine3 -> neck
    head: Vector  # neck -> head
    collar: Vector  # spine3 -> left collar
    shoulder: Vector  # left collar -> left shoulder
    upper_arm_m: float
    forearm_m: float


# A 1.70 m adult close to the SMPL neutral body; every subject is this, scaled to its height, each segment jittered.
_REFERENCE_HEIGHT_M = 1.70
_REFERENCE_BODY = Anthropometry(
    height_m=_REFERENCE_HEIGHT_M,
    hip=(0.06, -0.085, 0.0),
    thigh_m=0.39,
    shank_m=0.40,
    ankle_height_m=0.07,
    foot_forward_m=0.125,
    spine=((0.0, 0.105, -0.008), (0.0, 0.135, 0.005), (0.0, 0.055, 0.003), (0.0, 0.215, -0.02)),
    head=(0.0, 0.085, 0.035),
    collar=(0.075, 0.115, -0.01),
    shoulder=(0.11, 0.03, -0.01),
    upper_arm_m=0.27,
    forearm_m=0.25,
)


@dataclass(frozen=True)
class SubjectProfile:
    """A virtual subject: body, preferred gait and impairment. Trials vary around these values day to day."""

    subject_id: str
    score: int  # MDS-UPDRS 3.10, 0..3
    body: Anthropometry
    speed_m_s: float  # preferred straight-walking speed = stride_length_m * cadence_steps_min / 120
    cadence_steps_min: float
    stride_length_m: float
    step_asymmetry: float  # (left - right step length) / mean step length
    step_width_m: float
    step_length_cv_pct: float
    stride_time_cv_pct: float
    double_support_pct: float
    foot_lift_m: float  # extra ankle lift at mid-swing (shuffling: small)
    heel_strike_deg: float  # toe-up foot angle at heel strike (0 = flat-foot landing)
    push_off_deg: float  # foot angle to the floor at toe-off (heel rise about the toe)
    toe_out_deg: float
    arm_swing_left_deg: float  # peak-to-peak, upper arm relative to the trunk, sagittal plane
    arm_swing_right_deg: float
    arm_abduction_deg: float
    elbow_flexion_deg: float
    trunk_flexion_deg: float  # forward lean of pelvis->neck from vertical
    knee_extension: float  # standing hip-ankle distance over thigh + shank (flexed knees: lower)
    pelvis_sway_m: float  # lateral, half peak-to-peak
    pelvis_bob_m: float  # least vertical excursion (longer steps need more: the legs must reach the floor)
    pelvis_rotation_deg: float  # yaw, half peak-to-peak
    turn_steps: float  # mean steps of the 180-degree turn
    turn_step_time: float  # turn step time over straight step time
    turn_radius_m: float
    turn_swing: float  # share of arm and pelvis swing kept while turning (en bloc: low)
    head_lead_s: float  # how far ahead in time the head and thorax turn (en bloc: ~0)
    freezing_per_trial: float  # expected freezing episodes per trial
    trial_variability: float  # day-to-day coefficient of variation of speed-like parameters

    def __post_init__(self) -> None:
        _check_score(self.score)


def _check_score(score: int) -> None:
    if score not in SCORES:
        raise ValueError(f"score must be one of {SCORES}, got {score!r}")


@dataclass(frozen=True)
class _Spec:
    means: tuple[float, float, float, float]  # by score 0..3
    sd: float
    direction: int  # +1: grows with impairment, -1: falls, 0: not tied to the latent severity
    low: float
    high: float


_SPECS: dict[str, _Spec] = {
    "stride_per_height": _Spec((0.80, 0.70, 0.54, 0.34), 0.06, -1, 0.14, 0.95),
    "cadence_steps_min": _Spec((112.0, 113.0, 115.0, 118.0), 7.0, 0, 85.0, 150.0),
    "arm_swing_deg": _Spec((34.0, 25.0, 16.0, 9.0), 6.0, -1, 3.0, 55.0),  # the less affected arm
    "arm_asymmetry_pct": _Spec((5.0, 13.0, 16.0, 20.0), 5.0, 1, 0.0, 70.0),
    "trunk_flexion_deg": _Spec((4.0, 7.0, 12.0, 19.0), 3.5, 1, -2.0, 40.0),
    "foot_lift_m": _Spec((0.085, 0.07, 0.045, 0.022), 0.01, -1, 0.008, 0.13),
    "heel_strike_deg": _Spec((18.0, 14.0, 9.0, 4.0), 3.5, -1, 0.0, 28.0),
    "push_off_deg": _Spec((45.0, 38.0, 28.0, 16.0), 6.0, -1, 5.0, 60.0),
    "double_support_pct": _Spec((20.0, 23.0, 27.0, 32.0), 3.0, 1, 12.0, 45.0),
    "stride_time_cv_pct": _Spec((2.0, 2.8, 3.8, 5.5), 0.7, 1, 0.8, 12.0),
    "step_length_cv_pct": _Spec((2.5, 3.5, 5.0, 7.0), 1.0, 1, 1.0, 15.0),
    "step_asymmetry_pct": _Spec((2.0, 4.0, 6.0, 8.0), 2.0, 1, 0.0, 20.0),
    "step_width_m": _Spec((0.10, 0.105, 0.115, 0.13), 0.025, 1, 0.04, 0.25),
    "elbow_flexion_deg": _Spec((15.0, 22.0, 30.0, 40.0), 6.0, 1, 5.0, 70.0),
    "knee_extension": _Spec((0.99, 0.985, 0.975, 0.96), 0.006, -1, 0.93, 0.997),
    "pelvis_sway_m": _Spec((0.025, 0.024, 0.022, 0.02), 0.005, 0, 0.008, 0.045),
    "pelvis_bob_m": _Spec((0.02, 0.018, 0.014, 0.01), 0.004, -1, 0.004, 0.035),
    "pelvis_rotation_deg": _Spec((5.0, 4.0, 3.0, 2.0), 1.2, -1, 0.5, 9.0),
    "turn_steps": _Spec((2.6, 3.4, 4.8, 7.0), 0.8, 1, 2.0, 12.0),
    "turn_step_time": _Spec((1.25, 1.3, 1.4, 1.5), 0.08, 1, 1.0, 1.9),
    "turn_radius_m": _Spec((0.22, 0.21, 0.19, 0.17), 0.03, -1, 0.12, 0.35),
    "turn_swing": _Spec((0.8, 0.7, 0.5, 0.3), 0.1, -1, 0.1, 1.0),
    "head_lead_s": _Spec((0.15, 0.12, 0.07, 0.03), 0.03, -1, 0.0, 0.25),
}
# Share of subjects who freeze at all, and their expected episodes per trial.
_FREEZER_SHARE = (0.0, 0.0, 0.15, 0.7)
_FREEZER_RATE = (0.0, 0.0, 0.6, 1.1)


def _sample_body(rng: np.random.Generator) -> Anthropometry:
    height = float(np.clip(rng.normal(1.69, 0.09), 1.45, 1.95))
    scale = height / _REFERENCE_HEIGHT_M

    def length(value: float) -> float:
        return float(value * scale * rng.normal(1.0, 0.025))

    def offset(vector: Vector) -> Vector:
        factor = scale * rng.normal(1.0, 0.025)
        return tuple(float(v * factor) for v in vector)  # type: ignore[return-value]

    ref = _REFERENCE_BODY
    return Anthropometry(
        height_m=height,
        hip=offset(ref.hip),
        thigh_m=length(ref.thigh_m),
        shank_m=length(ref.shank_m),
        ankle_height_m=length(ref.ankle_height_m),
        foot_forward_m=length(ref.foot_forward_m),
        spine=tuple(offset(v) for v in ref.spine),  # type: ignore[arg-type]
        head=offset(ref.head),
        collar=offset(ref.collar),
        shoulder=offset(ref.shoulder),
        upper_arm_m=length(ref.upper_arm_m),
        forearm_m=length(ref.forearm_m),
    )


def sample_subject(subject_id: str, score: int, rng: np.random.Generator) -> SubjectProfile:
    """A virtual subject whose body is random and whose gait parameters are drawn around the means of `score`."""
    _check_score(score)
    body = _sample_body(rng)
    severity = rng.standard_normal()
    independent = rng.standard_normal(len(_SPECS))
    mix = np.sqrt(1.0 - SEVERITY_CORRELATION**2)
    values = {}
    for (name, spec), noise in zip(_SPECS.items(), independent, strict=True):
        shared = SEVERITY_CORRELATION * severity * spec.direction
        draw = shared + (mix * noise if spec.direction else noise)
        values[name] = float(np.clip(spec.means[score] + spec.sd * draw, spec.low, spec.high))

    stride = values["stride_per_height"] * body.height_m
    arm_better = values["arm_swing_deg"]
    arm_worse = max(arm_better * (1.0 - values["arm_asymmetry_pct"] / 100.0), 2.0)
    left_worse = rng.random() < 0.5
    freezes = rng.random() < _FREEZER_SHARE[score]
    return SubjectProfile(
        subject_id=subject_id,
        score=score,
        body=body,
        speed_m_s=stride * values["cadence_steps_min"] / 120.0,
        cadence_steps_min=values["cadence_steps_min"],
        stride_length_m=stride,
        step_asymmetry=values["step_asymmetry_pct"] / 100.0 * rng.choice((-1.0, 1.0)),
        step_width_m=values["step_width_m"],
        step_length_cv_pct=values["step_length_cv_pct"],
        stride_time_cv_pct=values["stride_time_cv_pct"],
        double_support_pct=values["double_support_pct"],
        foot_lift_m=values["foot_lift_m"],
        heel_strike_deg=values["heel_strike_deg"],
        push_off_deg=values["push_off_deg"],
        toe_out_deg=float(np.clip(rng.normal(6.0, 3.0), 0.0, 15.0)),
        arm_swing_left_deg=arm_worse if left_worse else arm_better,
        arm_swing_right_deg=arm_better if left_worse else arm_worse,
        arm_abduction_deg=float(np.clip(rng.normal(6.0, 2.0), 2.0, 12.0)),
        elbow_flexion_deg=values["elbow_flexion_deg"],
        trunk_flexion_deg=values["trunk_flexion_deg"],
        knee_extension=values["knee_extension"],
        pelvis_sway_m=values["pelvis_sway_m"],
        pelvis_bob_m=values["pelvis_bob_m"],
        pelvis_rotation_deg=values["pelvis_rotation_deg"],
        turn_steps=values["turn_steps"],
        turn_step_time=values["turn_step_time"],
        turn_radius_m=values["turn_radius_m"],
        turn_swing=values["turn_swing"],
        head_lead_s=values["head_lead_s"],
        freezing_per_trial=_FREEZER_RATE[score] if freezes else 0.0,
        trial_variability=float(rng.uniform(0.015, 0.035)),
    )
