"""Seeded synthetic Parkinsonian walker: AGIR's embedded training cohort, with exact ground truth.

A kinematic walker, not physics. Each trial is the MDS-UPDRS 3.10 test: stand ~0.5 s, walk ~10 m, turn 180
degrees, walk back, stand ~0.5 s. Virtual subjects (`sample_subject`) have their own body, preferred gait and an
impairment profile drawn from their score with overlapping distributions: shorter, slower strides, higher cadence,
shuffling (low foot lift, flat heel strike, little push-off), reduced and asymmetric arm swing, stooped trunk,
en-bloc turns with more steps, more stride variability and, mostly at 3, freezing episodes.

Guarantees: same seed -> identical arrays; canonical SMPL-22 joints in metres, y up, toes on the floor at y=0 in
stance; bone lengths constant; stance contact points do not slide; truth follows docs/gait_parameters.md (see
`agir.motion.synth_truth` for the choices the definitions leave open). Module map: `synth_profile` (subjects),
`synth_plan` (footsteps and timing), `synth_pose` (joint positions), `synth_truth` (ground truth).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from agir.motion.synth_lifter import LifterNoise, correlated_noise, lifter_observation, malleoli
from agir.motion.synth_plan import LEFT, PATH_SHAPES, RIGHT, plan_walk
from agir.motion.synth_pose import pose
from agir.motion.synth_profile import SCORES, Anthropometry, SubjectProfile, sample_subject
from agir.motion.synth_truth import TRUTH_KEYS, measure_truth

__all__ = [
    "Anthropometry",
    "LifterNoise",
    "SubjectProfile",
    "Trial",
    "TRUTH_KEYS",
    "add_observation_noise",
    "lifter_observation",
    "malleoli",
    "make_cohort",
    "sample_subject",
    "shuffler",
    "simulate_trial",
]

TRUTH_HZ = 200.0  # the dense sampling the truth is measured on
MIN_WALK_DISTANCE_M = 1.0


@dataclass
class Trial:
    joints: np.ndarray  # (frames, 22, 3) float32, SMPL-22 order, metres, y up, floor at y=0
    fps: float
    truth: dict[str, float | int | None]  # every key of docs/gait_parameters.md, same units
    events: dict[str, np.ndarray]  # heel strikes / toe-offs per foot (frames), 'turn' (start, end), 'freezing' (k, 2)
    profile: SubjectProfile  # the generating parameters of this trial: the subject with its day-to-day variation


def _day_to_day(subject: SubjectProfile, rng: np.random.Generator) -> SubjectProfile:
    """The subject on the day of one trial: speed, cadence, arm swing, trunk and foot lift vary a little."""
    cv = subject.trial_variability
    stride_f, cadence_f, left_f, right_f, lift_f = 1.0 + cv * rng.standard_normal(5) * [1.0, 0.6, 1.5, 1.5, 2.0]
    stride = subject.stride_length_m * stride_f
    cadence = subject.cadence_steps_min * cadence_f
    return dataclasses.replace(
        subject,
        stride_length_m=stride,
        cadence_steps_min=cadence,
        speed_m_s=stride * cadence / 120.0,
        arm_swing_left_deg=subject.arm_swing_left_deg * left_f,
        arm_swing_right_deg=subject.arm_swing_right_deg * right_f,
        foot_lift_m=subject.foot_lift_m * lift_f,
        trunk_flexion_deg=subject.trunk_flexion_deg + rng.normal(0.0, 1.0),
    )


def _to_frames(seconds: np.ndarray, fps: float, n_frames: int) -> np.ndarray:
    return np.clip(np.round(np.asarray(seconds, dtype=float) * fps), 0, n_frames - 1).astype(np.int64)


def simulate_trial(
    subject: SubjectProfile,
    rng: np.random.Generator,
    *,
    fps: float = 30.0,
    walk_distance_m: float = 10.0,
    turn: bool = True,
    heading_deg: float | None = None,
    path: str = "straight",
    path_radius_m: float = 1.5,
) -> Trial:
    """One trial of `subject`: walk `walk_distance_m`, turn 180 degrees and walk back (or only walk, turn=False).

    `heading_deg` is the initial walking direction as a yaw about +y (0 = +z, 90 = +x); None draws one at random.
    `path` "circle" or "figure_eight" walks `walk_distance_m` along that curve of `path_radius_m` (after 1 m straight)
    instead, without the 180-degree turn. The random draws do not depend on `fps`, so one seed gives the same motion
    and truth at any frame rate.
    """
    if not np.isfinite(fps) or fps <= 0:
        raise ValueError(f"fps must be a positive number, got {fps!r}")
    if path not in PATH_SHAPES:
        raise ValueError(f"path must be one of {', '.join(PATH_SHAPES)}, got {path!r}")
    if not path_radius_m >= 1.0:
        raise ValueError(f"path_radius_m must be at least 1 m (a sharper curve is a turn), got {path_radius_m!r}")
    if not walk_distance_m >= MIN_WALK_DISTANCE_M:
        raise ValueError(f"walk_distance_m must be at least {MIN_WALK_DISTANCE_M} m, got {walk_distance_m!r}")
    heading = np.radians(rng.uniform(0.0, 360.0) if heading_deg is None else heading_deg)
    day = _day_to_day(subject, rng)
    plan = plan_walk(day, rng, walk_distance_m, turn, path, path_radius_m)

    n_frames = int(np.floor(plan.duration_s * fps)) + 1
    joints = pose(plan, day, np.arange(n_frames) / fps)
    dense_times = np.arange(int(np.floor(plan.duration_s * TRUTH_HZ)) + 1) / TRUTH_HZ
    truth, turn_s, freezes_s = measure_truth(plan, dense_times, pose(plan, day, dense_times))
    truth["duration_s"] = n_frames / fps

    c, s = np.cos(heading), np.sin(heading)
    world = np.stack(
        [joints[..., 0] * c + joints[..., 2] * s, joints[..., 1], -joints[..., 0] * s + joints[..., 2] * c], axis=-1
    )
    events = {}
    for side, name in ((LEFT, "left"), (RIGHT, "right")):
        foot = plan.feet[side]
        events[f"heel_strike_{name}"] = _to_frames(foot.strike[1:], fps, n_frames)
        events[f"toe_off_{name}"] = _to_frames(foot.toe_off[:-1], fps, n_frames)
    events["turn"] = _to_frames(turn_s if turn_s else [], fps, n_frames)
    events["freezing"] = _to_frames(freezes_s, fps, n_frames).reshape(-1, 2)
    return Trial(world.astype(np.float32), float(fps), truth, events, day)


def shuffler(subject: SubjectProfile, speed_m_s: float = 0.2, cadence_steps_min: float = 90.0) -> SubjectProfile:
    """`subject` walking at `speed_m_s` with short shuffling steps: foot lift ~1 cm, flat landing, little push-off."""
    stride = speed_m_s * 120.0 / cadence_steps_min
    return dataclasses.replace(
        subject,
        stride_length_m=stride,
        cadence_steps_min=cadence_steps_min,
        speed_m_s=speed_m_s,
        foot_lift_m=0.01,
        heel_strike_deg=2.0,
        push_off_deg=8.0,
        double_support_pct=max(subject.double_support_pct, 35.0),
    )


def add_observation_noise(
    joints: np.ndarray, sigma_m: float, rng: np.random.Generator, correlation: float = 0.6
) -> np.ndarray:
    """Pose-estimation jitter: Gaussian per joint and axis with std `sigma_m`, AR(1)-correlated in time.

    Bone lengths are no longer constant afterwards, on purpose (video-lifted poses are like that).
    """
    joints = np.asarray(joints)
    if joints.ndim != 3 or joints.shape[-1] != 3:
        raise ValueError(f"joints must be (frames, joints, 3), got shape {joints.shape}")
    if not sigma_m >= 0:
        raise ValueError(f"sigma_m must be >= 0, got {sigma_m!r}")
    if not 0.0 <= correlation < 1.0:
        raise ValueError(f"correlation must be in [0, 1), got {correlation!r}")
    return (joints + sigma_m * correlated_noise(joints.shape, correlation, rng)).astype(np.float32)


def _score_counts(n_subjects: int, weights: np.ndarray) -> np.ndarray:
    """Subjects per score in proportion to `weights`, rounded by largest remainder so they sum to n_subjects."""
    exact = weights / weights.sum() * n_subjects
    counts = np.floor(exact).astype(int)
    counts[np.argsort(counts - exact, kind="stable")[: n_subjects - counts.sum()]] += 1
    return counts


def make_cohort(
    n_subjects: int,
    trials_per_subject: int,
    seed: int,
    score_weights: tuple[float, float, float, float] = (0.3, 0.3, 0.25, 0.15),
    *,
    walk_distance_m: float = 10.0,
    fps: float = 30.0,
) -> list[tuple[SubjectProfile, list[Trial]]]:
    """`n_subjects` virtual subjects (scores in proportion to `score_weights`, shuffled), each with its trials.

    Subject i draws from its own seed stream, so it is the same subject whatever `trials_per_subject`.
    """
    if n_subjects < 1 or trials_per_subject < 1:
        raise ValueError(f"need at least one subject and one trial, got {n_subjects} x {trials_per_subject}")
    weights = np.asarray(score_weights, dtype=float)
    if weights.shape != (len(SCORES),) or (weights < 0).any() or weights.sum() <= 0:
        raise ValueError(f"score_weights must be {len(SCORES)} non-negative numbers, not all 0, got {score_weights}")
    streams = np.random.SeedSequence(seed).spawn(n_subjects + 1)
    scores = np.random.default_rng(streams[0]).permutation(np.repeat(SCORES, _score_counts(n_subjects, weights)))
    cohort = []
    for i, (score, stream) in enumerate(zip(scores, streams[1:], strict=False)):
        rng = np.random.default_rng(stream)
        subject = sample_subject(f"S{i + 1:03d}", int(score), rng)
        trials = [
            simulate_trial(subject, rng, fps=fps, walk_distance_m=walk_distance_m) for _ in range(trials_per_subject)
        ]
        cohort.append((subject, trials))
    return cohort
