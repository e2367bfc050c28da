"""The footstep plan of one synthetic trial: path, heel strikes, foot contacts, pelvis progression, freezing.

Everything is defined in continuous time in a local frame: x = the subject's left at the start, y up, z = the
initial walking direction. The path runs out along +z, around a half circle (the 180-degree turn) and back; the
feet land beside it, half a step width to each side. The pelvis progresses along the path through the midpoints of
the two feet at every heel strike, so it moves with the steps: in steady walking its speed is step length over step
time. Freezing is a stop with the feet together, a trembling hold, and a new start, as from standing.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
from scipy.interpolate import CubicHermiteSpline, PchipInterpolator

from agir.motion.synth_profile import SubjectProfile

WALK, TURN, CLOSE = 0, 1, 2  # step kinds; CLOSE brings the trailing foot beside the other one and stops
LEFT, RIGHT = 0, 1
QUIET_S = 0.5  # standing still at the start and at the end of a trial
_FIRST_LIFT_S = 0.15  # from the first pelvis motion to the first toe-off
_TURN_END_FRACTION = 0.3  # the first and last turn steps each cover this share of the half circle
_STEP_LENGTH_TIME_CORRELATION = 0.5
_SETTLE_S = 0.3  # after the feet close, the sway and arm swing die out within this time


@dataclass(frozen=True)
class WalkPath:
    """Out `out_length` along +z, a half circle of `radius` to the left (sign +1) or right (-1), back `back_length`."""

    out_length: float
    radius: float = 0.0  # 0: no turn
    back_length: float = 0.0
    turn_sign: float = 1.0

    @property
    def arc_length(self) -> float:
        return np.pi * self.radius

    def heading(self, s: np.ndarray) -> np.ndarray:
        """Walking direction (yaw about +y, 0 = +z, positive towards +x) at arc length s."""
        if self.radius == 0.0:
            return np.zeros_like(s, dtype=float)
        return self.turn_sign * np.clip((s - self.out_length) / self.radius, 0.0, np.pi)

    def point(self, s: np.ndarray) -> np.ndarray:
        """(..., 2) path point (x, z) at arc length s."""
        s = np.asarray(s, dtype=float)
        if self.radius == 0.0:
            return np.stack([np.zeros_like(s), s], axis=-1)
        angle = np.clip((s - self.out_length) / self.radius, 0.0, np.pi)
        x = self.turn_sign * self.radius * (1.0 - np.cos(angle))
        z = self.out_length + self.radius * np.sin(angle) + np.minimum(s, self.out_length) - self.out_length
        z = z - np.maximum(s - self.out_length - self.arc_length, 0.0)
        return np.stack([x, z], axis=-1)


PATH_SHAPES = ("straight", "circle", "figure_eight")
_CURVE_LEAD_M = 1.0  # a curved walk starts with this much straight walking
_CURVE_GRID_M = 0.002  # sampling of the numerically integrated curved path


@dataclass(frozen=True)
class CurvedPath:
    """A walk of `length` along a continuous curve of `radius`: a circle, or a figure-eight (a left loop, then a
    right loop of the same length), after a short straight lead-in along +z; `turn_sign` +1 curves left first."""

    length: float
    radius: float
    shape: str
    turn_sign: float = 1.0

    def heading(self, s: np.ndarray) -> np.ndarray:
        s = np.asarray(s, dtype=float)
        curved = np.maximum(s - _CURVE_LEAD_M, 0.0)
        if self.shape == "figure_eight":
            half = (self.length - _CURVE_LEAD_M) / 2.0
            curved = np.minimum(curved, half) - np.maximum(curved - half, 0.0)
        return self.turn_sign * curved / self.radius

    @functools.cached_property
    def _grid(self) -> tuple[np.ndarray, np.ndarray]:
        s = np.arange(-1.0, self.length + 2.0, _CURVE_GRID_M)
        heading = self.heading(s)
        steps = np.stack([np.sin(heading), np.cos(heading)], axis=-1)
        points = np.concatenate([[[0.0, 0.0]], np.cumsum((steps[1:] + steps[:-1]) / 2.0 * _CURVE_GRID_M, axis=0)])
        return s, points - points[np.argmin(np.abs(s))]

    def point(self, s: np.ndarray) -> np.ndarray:
        grid, points = self._grid
        s = np.asarray(s, dtype=float)
        return np.stack([np.interp(s, grid, points[:, 0]), np.interp(s, grid, points[:, 1])], axis=-1)


def left_of(heading: np.ndarray) -> np.ndarray:
    """(..., 2) unit (x, z) vector to the walker's left for a walking direction `heading`."""
    return np.stack([np.cos(heading), -np.sin(heading)], axis=-1)


@dataclass
class FootContacts:
    """The ground contacts of one foot in time order; the first is the start stance, the last the end stance."""

    strike: np.ndarray  # heel strike time (-inf for the start stance)
    flat: np.ndarray  # foot flat after the heel rocker
    heel_off: np.ndarray  # heel rise starts (push-off), rotating about the toe
    toe_off: np.ndarray  # (+inf for the end stance)
    ankle: np.ndarray  # (n, 2) ankle (x, z) while the foot is flat
    yaw: np.ndarray  # walking direction of the contact (toe-out is added per side by the pose)


@dataclass
class Tremble:
    """Freezing: both heels shake in place (toe pivot) at `frequency_hz` inside [start, end]."""

    start: float
    end: float
    frequency_hz: float
    amplitude_deg: float


@dataclass
class GaitPlan:
    """Everything about one trial that is decided before any joint is placed; times in seconds."""

    path: WalkPath | CurvedPath
    feet: tuple[FootContacts, FootContacts]  # left, right
    step_time: np.ndarray  # heel strike time of every step
    step_side: np.ndarray  # LEFT / RIGHT
    step_kind: np.ndarray  # WALK / TURN / CLOSE
    step_ankle: np.ndarray  # (steps, 2) ankle (x, z) at heel strike
    progress: CubicHermiteSpline  # t -> pelvis arc length along the path
    phase: PchipInterpolator  # t -> gait phase (rad): left heel strikes at 0 mod 2 pi, right ones at pi
    envelope: PchipInterpolator  # t -> 0..1 share of sway and arm swing (0 standing or frozen)
    trembles: list[Tremble]
    duration_s: float


def _step_lengths(
    mean: float, sides: np.ndarray, profile: SubjectProfile, noise: np.ndarray, distance: float
) -> np.ndarray:
    """Step lengths around `mean` with the subject's asymmetry and variability, summing to `distance`."""
    asymmetry = np.where(sides == LEFT, 0.5, -0.5) * profile.step_asymmetry
    lengths = mean * (1.0 + asymmetry) * (1.0 + profile.step_length_cv_pct / 100.0 * noise)
    return lengths * distance / lengths.sum()


def _hermite_progress(times: np.ndarray, values: np.ndarray, steady: np.ndarray) -> CubicHermiteSpline:
    """Monotone pelvis progression through the anchors; `steady[i]` marks the interval (i, i+1) as steady walking.

    Next to a steady interval the pelvis already moves at that interval's speed, so steady walking has no dip in
    speed where walking starts, meets the turn, a freeze or the stop; the speed change happens in the other interval.
    A derivative at most 3x the neighbouring slope keeps the cubic monotone (Fritsch-Carlson).
    """
    slopes = np.diff(values) / np.diff(times)
    derivative = PchipInterpolator(times, values).derivative()(times)
    for i in range(1, len(times) - 1):
        if steady[i - 1] != steady[i]:
            derivative[i] = min(
                slopes[i - 1] if steady[i - 1] else slopes[i], 3.0 * (slopes[i] if steady[i - 1] else slopes[i - 1])
            )
    return CubicHermiteSpline(times, values, derivative)


def plan_walk(
    profile: SubjectProfile,
    rng: np.random.Generator,
    walk_distance_m: float,
    turn: bool,
    shape: str = "straight",
    radius_m: float = 1.5,
) -> GaitPlan:
    """Footsteps, contacts, pelvis progression and freezing for one trial of `profile`.

    `shape` "circle" or "figure_eight" walks `walk_distance_m` along that curve of `radius_m` instead (no 180-degree
    turn: `turn` is ignored)."""
    turn = turn and shape == "straight"
    step_length = profile.stride_length_m / 2.0
    step_time = 60.0 / profile.cadence_steps_min
    double_support = profile.double_support_pct / 100.0
    # Stride time = sum of two independent step times, so a step needs sqrt(2) x the stride's CV.
    step_time_cv = np.sqrt(2.0) * profile.stride_time_cv_pct / 100.0

    n_bout = max(2, int(round(walk_distance_m / step_length)))
    n_turn = max(2, int(round(profile.turn_steps + 0.5 * rng.standard_normal()))) if turn else 0
    radius = max(profile.turn_radius_m, profile.step_width_m / 2.0 + 0.05) if turn else 0.0
    sign = rng.choice((-1.0, 1.0))
    path = (
        WalkPath(walk_distance_m, radius, walk_distance_m if turn else 0.0, sign)
        if shape == "straight"
        else CurvedPath(walk_distance_m, radius_m, shape, sign)
    )

    kinds = np.array([WALK] * n_bout + [TURN] * n_turn + [WALK] * (n_bout if turn else 0) + [CLOSE])
    n_steps = len(kinds)
    first_side = int(rng.integers(2))
    sides = (first_side + np.arange(n_steps)) % 2
    time_noise, own_length_noise, width_noise = rng.standard_normal((3, n_steps))
    # A longer step also takes a little longer, so speed varies less from step to step than either does.
    length_noise = (
        _STEP_LENGTH_TIME_CORRELATION * time_noise + np.sqrt(1.0 - _STEP_LENGTH_TIME_CORRELATION**2) * own_length_noise
    )
    holds = _freezing_holds(kinds, n_bout, profile, rng)
    kinds[holds > 0] = CLOSE

    lengths = np.zeros(n_steps)  # CLOSE steps have length 0: the feet end side by side
    bouts = [np.arange(n_bout)] + ([np.arange(n_bout) + n_bout + n_turn] if turn else [])
    for bout in bouts:
        walking = bout[kinds[bout] == WALK]
        lengths[walking] = _step_lengths(step_length, sides[walking], profile, length_noise[walking], walk_distance_m)
    if turn:
        inner = (1.0 - 2.0 * _TURN_END_FRACTION) / max(n_turn - 2, 1)
        fractions = np.full(n_turn, inner) if n_turn > 2 else np.full(2, 0.5)
        fractions[[0, -1]] = _TURN_END_FRACTION if n_turn > 2 else 0.5
        lengths[n_bout : n_bout + n_turn] = fractions * path.arc_length
    arc = np.cumsum(lengths)
    heading = path.heading(arc)
    side_sign = np.where(sides == LEFT, 1.0, -1.0)
    lateral = side_sign * (profile.step_width_m / 2.0 + 0.1 * profile.step_width_m * width_noise)
    ankles = path.point(arc) + lateral[:, None] * left_of(heading)

    durations = step_time * (1.0 + step_time_cv * time_noise)
    durations[kinds == TURN] *= profile.turn_step_time
    durations[kinds == CLOSE] = step_time
    durations = np.maximum(durations, 0.3 * step_time)
    swing = (1.0 - double_support) * durations

    onset = QUIET_S + rng.uniform(0.0, 0.1)
    strikes = onset + _FIRST_LIFT_S + swing[0] + np.concatenate([[0.0], np.cumsum(durations[1:] + holds[:-1])])
    toe_offs = strikes - swing  # the toe-off that starts the swing ending at each strike
    end = strikes[-1] + _SETTLE_S + QUIET_S + rng.uniform(0.0, 0.1)

    feet = tuple(
        _foot_contacts(side, sides, strikes, toe_offs, ankles, heading, profile, durations, onset)
        for side in (LEFT, RIGHT)
    )
    trembles = [
        Tremble(strikes[k] + 0.2, strikes[k] + holds[k] - 0.1, rng.uniform(4.0, 6.0), rng.uniform(1.5, 3.0))
        for k in np.flatnonzero(holds)
    ]

    # Pelvis anchors: still until onset, at the feet's midpoint at each strike, still through each hold, still at the
    # end. An interval between two regular walking strikes (no hold) is steady.
    midpoints = np.concatenate([[arc[0] / 2.0], (arc[1:] + arc[:-1]) / 2.0])
    regular = kinds == WALK
    anchor_t, anchor_s, anchor_regular = [0.0, onset], [0.0, 0.0], [False, False]
    for k in range(n_steps):
        anchor_t.append(strikes[k]), anchor_s.append(midpoints[k]), anchor_regular.append(bool(regular[k]))
        if holds[k]:
            anchor_t.append(strikes[k] + holds[k]), anchor_s.append(midpoints[k]), anchor_regular.append(False)
    anchor_t.append(end), anchor_s.append(midpoints[-1]), anchor_regular.append(False)
    anchor_regular = np.array(anchor_regular)
    steady = anchor_regular[:-1] & anchor_regular[1:]
    progress = _hermite_progress(np.array(anchor_t), np.array(anchor_s), steady)

    phase_values = np.pi * (np.arange(n_steps) + (first_side == RIGHT))
    phase = PchipInterpolator(
        np.concatenate([[0.0, onset], strikes, [end]]),
        np.concatenate(
            [[phase_values[0] - 1.2 * np.pi, phase_values[0] - np.pi], phase_values, [phase_values[-1] + np.pi]]
        ),
    )
    envelope = _swing_envelope(kinds, strikes, holds, onset, end, profile.turn_swing)
    return GaitPlan(path, feet, strikes, sides, kinds, ankles, progress, phase, envelope, trembles, end)


def _freezing_holds(kinds: np.ndarray, n_bout: int, profile: SubjectProfile, rng: np.random.Generator) -> np.ndarray:
    """Seconds the walker stands frozen after each step: only after steps well inside a straight bout."""
    holds = np.zeros(len(kinds))
    episodes = min(int(rng.poisson(profile.freezing_per_trial)), 3)
    if not episodes:
        return holds
    walking = np.flatnonzero(kinds == WALK)
    bout_start = np.where(walking < n_bout, 0, n_bout + np.count_nonzero(kinds == TURN))
    position = walking - bout_start
    candidates = list(walking[(position >= 3) & (position < n_bout - 3)])
    for _ in range(episodes):
        if not candidates:
            break
        k = int(rng.choice(candidates))
        holds[k] = rng.uniform(1.3, 3.0)
        candidates = [c for c in candidates if abs(c - k) > 4]
    return holds


def _foot_contacts(
    side: int,
    sides: np.ndarray,
    strikes: np.ndarray,
    toe_offs: np.ndarray,
    ankles: np.ndarray,
    heading: np.ndarray,
    profile: SubjectProfile,
    durations: np.ndarray,
    onset: float,
) -> FootContacts:
    """The start stance of one foot, then one contact per step it takes."""
    mine = np.flatnonzero(sides == side)
    start = np.array([(1.0 if side == LEFT else -1.0) * profile.step_width_m / 2.0, 0.0])
    strike = np.concatenate([[-np.inf], strikes[mine]])
    toe_off = np.concatenate([toe_offs[mine], [np.inf]])
    rocker = 0.15 * np.concatenate([[0.0], durations[mine]])
    flat = strike + rocker
    # Heel rise lasts half a step, begins after foot flat, and not before the walker starts moving.
    heel_rise = 0.5 * np.concatenate([durations[mine], [0.0]])
    heel_off = np.maximum(np.maximum(toe_off - heel_rise, flat + 0.02), onset)
    return FootContacts(
        strike, flat, heel_off, toe_off, np.vstack([start, ankles[mine]]), np.concatenate([[0.0], heading[mine]])
    )


def _swing_envelope(
    kinds: np.ndarray, strikes: np.ndarray, holds: np.ndarray, onset: float, end: float, turn_swing: float
) -> PchipInterpolator:
    """0 standing, 1 at every straight-walking strike, `turn_swing` in the turn, back to 0 through freezing."""
    level = np.where(kinds == TURN, turn_swing, 1.0)
    level[kinds == CLOSE] = 0.2
    times, values = [0.0, onset], [0.0, 0.0]
    for k, t in enumerate(strikes):
        times.append(t), values.append(level[k])
        if kinds[k] == CLOSE:
            times.append(t + _SETTLE_S), values.append(0.0)
        if holds[k]:
            times.append(t + holds[k] - 0.2), values.append(0.0)
    times.append(end), values.append(0.0)
    return PchipInterpolator(np.array(times), np.array(values))
