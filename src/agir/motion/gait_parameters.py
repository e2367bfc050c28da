"""Spatiotemporal gait parameters of one walking clip, as defined in docs/gait_parameters.md.

`extract_gait_parameters(joints, fps)` takes canonical SMPL-22 joints (metres, y up, any walking direction, any frame
rate), finds the events and periods (`agir.motion.gait_events`) and averages each parameter over straight walking.
A parameter that cannot be measured is None, with the reason, never a guess.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from agir.motion.gait_events import (
    PELVIS_CUTOFF_HZ,
    POSITION_CUTOFF_HZ,
    FootEvents,
    Periods,
    detect_feet,
    forward_vectors,
    horizontal,
    lowpass,
    pelvis_centre,
    walking_periods,
)
from agir.motion.gait_root import METHOD as RECOVERED
from agir.motion.gait_root import PREFIX as ROOT_RELATIVE
from agir.motion.gait_root import recover_root
from agir.motion.parameters import PARAMETER_KEYS, PARAMETERS
from agir.motion.skeleton import (
    LEFT_ANKLE,
    LEFT_ELBOW,
    LEFT_SHOULDER,
    LEFT_TOE,
    NECK,
    NUM_JOINTS,
    PELVIS,
    RIGHT_ANKLE,
    RIGHT_ELBOW,
    RIGHT_SHOULDER,
    RIGHT_TOE,
)

UNITS: dict[str, str] = {p.key: p.unit for p in PARAMETERS}
MIN_DURATION_S = 0.8  # about the shortest stride: a shorter clip cannot hold one
MIN_FRAMES = 8
DECIMALS = 4
MAX_STRIDE_SHARE = 1.8  # of the median stride time (stride-time CV is under 12% even in severe PD)
CYCLE_SAMPLES = 100  # points per time-normalised gait cycle
CYCLE_HARMONICS = 2  # of the stride frequency kept in a mean cycle: the swing and its asymmetry
# Step-to-step SD of the step widths, as a share of their mean, above which a recovered walk's width is pose jitter:
# jitter-free walks (walking or recovered root) stay under 0.22; under lifter jitter the widths read up to 35% wide.
MAX_WIDTH_SCATTER = 0.25
# Standard error of an arm swing (jackknife over strides) above which it is not reported: 2 standard errors (95%)
# then exceed both 5 degrees (half the span between the grade limits, 10 and 20 degrees) and 20% of the swing.
# Jitter-free walks stay under 0.4 degrees; lifter jitter of ~5 cm per joint gives 1-4 degrees on a 0.27 m upper arm.
MAX_ARM_SWING_SE_DEG = 2.5
MAX_ARM_SWING_SE_SHARE = 0.1

NO_STRIDE = "no complete stride of straight walking"
NO_TURN = "no turn of at least 90 degrees in the clip"
NO_TOES = "layout has no toe joints"
STANDING = "standing still throughout: neither the pelvis nor the feet move"
CURVED = "no sharp turn of at least 90 degrees: the walk turns along wide curves only (see turning_total_deg)"
# The joints every parameter is measured from (feet, upper arms, trunk axis).
_FILTERED = [
    PELVIS,
    NECK,
    LEFT_ANKLE,
    RIGHT_ANKLE,
    LEFT_TOE,
    RIGHT_TOE,
    LEFT_SHOULDER,
    RIGHT_SHOULDER,
    LEFT_ELBOW,
    RIGHT_ELBOW,
]
# Upper-arm joints of each side; a layout without them cannot measure that arm's swing.
_ARM_JOINTS = {"left": (LEFT_SHOULDER, LEFT_ELBOW), "right": (RIGHT_SHOULDER, RIGHT_ELBOW)}


@dataclass
class GaitParameters:
    """The parameters of one clip, why any of them is None, and the detected events."""

    values: dict[str, float | int | None]  # every key of PARAMETER_KEYS
    reasons: dict[str, str] = field(default_factory=dict)  # why each None value is None
    events: dict[str, np.ndarray] = field(default_factory=dict)  # frames; 'turn' (start, end), 'freezing' (k, 2)
    methods: dict[str, str] = field(default_factory=dict)  # how a value was obtained, where not as documented
    root_relative: bool = False  # the input had its root translation removed (video lifters)

    def to_dict(self) -> dict:
        """JSON-ready: every parameter (floats rounded, counts as int), the reasons of the nulls, the methods."""
        out: dict = {key: _rounded(self.values[key]) for key in PARAMETER_KEYS}
        out["reasons"] = dict(self.reasons)
        out["methods"] = dict(self.methods)
        return out


def _rounded(value: float | int | None) -> float | int | None:
    if value is None or isinstance(value, (int, np.integer)):
        return None if value is None else int(value)
    return round(float(value), DECIMALS)


def _check_input(joints: np.ndarray, fps: float, measured: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    joints = np.asarray(joints)
    if joints.ndim != 3 or joints.shape[1:] != (NUM_JOINTS, 3):
        raise ValueError(f"joints must be (frames, {NUM_JOINTS}, 3) canonical SMPL-22, got shape {joints.shape}")
    if not (isinstance(fps, (int, float, np.number)) and math.isfinite(fps) and fps > 0):
        raise ValueError(f"fps must be a positive number, got {fps!r}")
    needed = max(MIN_FRAMES, math.ceil(MIN_DURATION_S * fps))
    if len(joints) < needed:
        raise ValueError(
            f"{len(joints)} frames at {fps:g} fps are too few for one stride "
            f"(at least {needed} frames, {MIN_DURATION_S} s)"
        )
    bad = ~np.isfinite(joints).all(axis=(1, 2))
    if bad.any():
        raise ValueError(
            f"joints contain NaN or inf in {int(bad.sum())} of {len(joints)} frames "
            f"(first: frame {int(np.argmax(bad))})"
        )
    if measured is None:
        measured = np.ones(NUM_JOINTS, dtype=bool)
    measured = np.asarray(measured)
    if measured.shape != (NUM_JOINTS,) or measured.dtype != bool:
        raise ValueError(f"measured must be a ({NUM_JOINTS},) bool mask, got {measured.dtype} {measured.shape}")
    return joints.astype(np.float64), measured


def extract_gait_parameters(joints: np.ndarray, fps: float, *, measured: np.ndarray | None = None) -> GaitParameters:
    """Gait parameters of one clip of canonical joints (frames, 22, 3) in metres, y up, at `fps`.

    `measured` (22,) bool marks the joints the source layout really has; parameters needing a missing joint are None.
    """
    joints, measured = _check_input(joints, fps, measured)
    fps = float(fps)
    recovery = recover_root(joints, fps)
    if recovery.root_relative and recovery.joints is None:
        values = dict.fromkeys(PARAMETER_KEYS)
        values["duration_s"] = len(joints) / fps
        reasons = {key: recovery.reason for key in PARAMETER_KEYS if key != "duration_s"}
        return GaitParameters(values, reasons, _event_frames({}, None, fps, False), root_relative=True)
    if recovery.root_relative:
        result = _measure(recovery.joints, fps, measured, recovery.facing, recovery.feet, recovery.footprints)
    else:
        result = _measure(joints, fps, measured)
    if recovery.root_relative:
        result.root_relative = True
        result.methods = {key: RECOVERED for key, value in result.values.items() if value is not None}
        result.methods["freezing_episodes"] = f"{RECOVERED}; freezing: the feet stop stepping in turn for >= 1 s"
        del result.methods["duration_s"]
    return result


def _measure(
    joints: np.ndarray,
    fps: float,
    measured: np.ndarray,
    facing: np.ndarray | None = None,
    feet: dict[str, FootEvents] | None = None,
    footprints: dict[str, dict[float, np.ndarray]] | None = None,
) -> GaitParameters:
    """The parameters of canonical joints with a walking root; `facing`, `feet` and `footprints` (the foot position
    of each contact, by heel strike) replace the walking direction, the contacts and the heel-strike positions where
    they were found otherwise (a root recovered from the feet)."""
    has_toes = bool(measured[[LEFT_TOE, RIGHT_TOE]].all())
    filtered = joints.copy()  # only the joints measured from are filtered: the filter is most of the time taken
    filtered[:, _FILTERED] = lowpass(joints[:, _FILTERED], fps, POSITION_CUTOFF_HZ)
    # A recovered root is the pelvis joint itself, free of pose jitter; the hips would only add theirs.
    pelvis = pelvis_centre(joints) if footprints is None else horizontal(joints[:, PELVIS])
    feet = feet or detect_feet(filtered, fps, has_toes)
    stepping = all(len(foot.heel_strike) >= 2 for foot in feet.values())
    periods = walking_periods(pelvis, fps, facing, stepping)
    strikes = _strikes(filtered, feet, periods, footprints)
    forward = _sagittal_forward(strikes, periods)

    values: dict[str, float | int | None] = dict.fromkeys(PARAMETER_KEYS)
    reasons: dict[str, str] = {}
    values["duration_s"] = len(joints) / fps
    # A recovered root carries the feet's pose jitter in every direction: only its path below stride frequencies is
    # the walk (the sway it drops adds < 2% at 0.3 m/s), the rest would lengthen the path.
    values["speed_m_s"] = _speed(lowpass(pelvis, fps, PELVIS_CUTOFF_HZ), periods)
    strides = _straight_strides(feet, periods)
    values["n_strides"] = len(strides)
    values.update(_stride_timing(strides))
    geometry, widths = _step_geometry(strikes, feet, periods)
    values.update(geometry)
    if footprints is not None and len(widths):
        _check_width_scatter(widths, values, reasons)
    arms, arm_reasons = _arm_swing(filtered, forward, strides, fps, measured)
    values.update(arms)
    reasons.update(arm_reasons)
    if measured[NECK]:
        values["trunk_flexion_deg"] = _trunk_flexion(filtered, forward, periods)
    else:  # a lower-body marker set: the neck sits on the pelvis, a zero-length trunk
        reasons["trunk_flexion_deg"] = "layout has no neck or upper-trunk joint"
    if has_toes:
        values["foot_clearance_m"] = _foot_clearance(filtered, feet, fps)
        if strides:
            values["double_support_pct"] = _double_support(strides, feet)
    else:
        reasons["foot_clearance_m"] = NO_TOES
        # The ankle alone shows heel off, not toe off: stance would end half a step early.
        reasons["double_support_pct"] = f"{NO_TOES}: toe off cannot be seen"
    values.update(_turn(periods, feet))
    values["turning_total_deg"] = float(np.degrees(periods.turning[0]))
    values["turning_time_s"] = periods.turning[1]
    values["freezing_episodes"] = len(periods.freezes)
    _explain_nulls(values, reasons, periods)
    return GaitParameters(values, reasons, _event_frames(feet, periods, fps, has_toes))


def _speed(pelvis: np.ndarray, periods: Periods) -> float | None:
    """Pelvis path length over straight walking / its duration.

    The path is low-passed at PELVIS_CUTOFF_HZ, above the ~1 Hz sway: speed changes along the path do not change its
    length, while pose jitter would add to it (+15% at 0.3 m/s with 12 mm of jitter at the 6 Hz cut-off).
    """
    steady = periods.straight[1:] & periods.straight[:-1]
    if not steady.any():
        return None
    path = np.linalg.norm(np.diff(pelvis, axis=0), axis=-1)[steady].sum()
    return float(path * periods.fps / steady.sum())


@dataclass
class _Stride:
    side: str
    start: float  # heel strike, seconds
    end: float  # next heel strike of the same foot


def _straight_strides(feet: dict[str, FootEvents], periods: Periods) -> list[_Stride]:
    """Strides of straight walking; one over MAX_STRIDE_SHARE x the median stride time holds a stop that was not
    seen as one (a freeze under heavy pose jitter): it is no stride of walking."""
    strides = []
    for side, foot in feet.items():
        starts, ends = foot.heel_strike[:-1], foot.heel_strike[1:]
        for start, end, ok in zip(starts, ends, periods.covers(starts, ends), strict=True):
            if ok:
                strides.append(_Stride(side, float(start), float(end)))
    if strides:
        longest = MAX_STRIDE_SHARE * float(np.median([s.end - s.start for s in strides]))
        strides = [s for s in strides if s.end - s.start <= longest]
    return strides


def _stride_timing(strides: list[_Stride]) -> dict[str, float]:
    if not strides:
        return {}
    times = np.array([s.end - s.start for s in strides])
    return {
        "cadence_steps_min": float(120.0 / times.mean()),
        "stride_time_cv_pct": float(100.0 * times.std() / times.mean()),
    }


def _double_support(strides: list[_Stride], feet: dict[str, FootEvents]) -> float:
    """Mean share (%) of the strides with both feet in stance.

    The time both feet have been in stance up to t is piecewise linear in t: one pass over the contacts builds it,
    each stride reads it at its two ends."""
    both = [
        (max(a, c), min(b, d)) for a, b in feet["left"].stance for c, d in feet["right"].stance if min(b, d) > max(a, c)
    ]
    edges = np.array(sorted(both)).reshape(-1, 2)
    knots = edges.ravel()  # disjoint and in order: each foot's contacts are
    lengths = np.column_stack([edges[:, 1] - edges[:, 0], np.zeros(len(edges))]).ravel()
    covered = np.concatenate([[0.0], np.cumsum(lengths)])[:-1]  # at each knot
    starts, ends = np.array([s.start for s in strides]), np.array([s.end for s in strides])
    inside = np.interp(ends, knots, covered) - np.interp(starts, knots, covered) if len(knots) else 0.0 * ends
    return float(np.mean(100.0 * inside / (ends - starts)))


def _strike_positions(ankle: np.ndarray, foot: FootEvents, fps: float) -> np.ndarray:
    """(strikes, 2) horizontal ankle position at each heel strike, averaged over the first third of the stance.

    The heel rests there until heel off; the average steadies the position against pose jitter.
    """
    positions = []
    for (start, stop), struck in zip(foot.stance, foot.struck, strict=True):
        if not struck:
            continue
        first = int(math.ceil(start * fps))
        last = max(first + 1, int(math.floor((start + (stop - start) / 3.0) * fps)) + 1)
        positions.append(horizontal(ankle[first:last]).mean(axis=0))
    return np.array(positions).reshape(-1, 2)


def _progression_line(
    places: np.ndarray, sides: list[str], straight: np.ndarray, k: int, curved: bool
) -> np.ndarray | None:
    """Unit walking direction at strike k: the line through the 5 (or 3) consecutive strikes around it.

    An odd number of alternating strikes puts the left and right offsets symmetrically about the window's centre,
    so they do not tilt the line; more strikes average out foot placement scatter. The window must be straight
    walking with alternating feet; None if no window is. At the ends of the walk the window is shifted inwards,
    except on a curved walk, where only a window centred on k has the direction at k.
    """
    for span in (2, 1):
        first = k - span if curved else min(max(k - span, 0), len(places) - 1 - 2 * span)
        if first < 0 or first + 2 * span >= len(places):
            continue
        window = slice(first, first + 2 * span + 1)
        alternating = all(a != b for a, b in zip(sides[window], sides[window][1:], strict=False))
        if not (alternating and straight[first : first + 2 * span].all()):
            continue
        points = places[window] - places[window].mean(axis=0)
        direction = np.linalg.svd(points, full_matrices=False)[2][0]
        return direction if direction @ (points[-1] - points[0]) > 0 else -direction
    return None


@dataclass
class _Strikes:
    """Every heel strike of both feet in time order."""

    times: np.ndarray  # seconds
    sides: list[str]
    places: np.ndarray  # (n, 2) horizontal heel position
    straight: np.ndarray  # (n - 1,) the step from strike k to k + 1 is straight walking
    directions: np.ndarray  # (n, 2) unit walking direction at each strike (line of foot placements), NaN if none


def _strikes(
    filtered: np.ndarray,
    feet: dict[str, FootEvents],
    periods: Periods,
    footprints: dict[str, dict[float, np.ndarray]] | None,
) -> _Strikes:
    if footprints:
        place = {side: np.array([footprints[side][t] for t in feet[side].heel_strike]) for side in feet}
    else:
        place = {
            side: _strike_positions(filtered[:, ankle], feet[side], periods.fps)
            for side, ankle in (("left", LEFT_ANKLE), ("right", RIGHT_ANKLE))
        }
    order = sorted((t, side, i) for side in place for i, t in enumerate(feet[side].heel_strike))
    times = np.array([t for t, _, _ in order])
    sides = [side for _, side, _ in order]
    places = np.array([place[side][i] for _, side, i in order]).reshape(-1, 2)
    straight = periods.covers(times[:-1], times[1:])
    directions = np.full((len(times), 2), np.nan)
    for k in range(len(times)):
        line = _progression_line(places, sides, straight, k, periods.curved)
        if line is not None:
            directions[k] = line
    return _Strikes(times, sides, places, straight, directions)


def _step_geometry(
    strikes: _Strikes, feet: dict[str, FootEvents], periods: Periods
) -> tuple[dict[str, float], np.ndarray]:
    """Stride length, step lengths per side and step width from heel-strike positions, and the width of each step."""
    out: dict[str, float] = {}
    lengths = []
    for side, foot in feet.items():
        mine = np.array([s == side for s in strikes.sides], dtype=bool)
        ok = periods.covers(foot.heel_strike[:-1], foot.heel_strike[1:])
        lengths.extend(np.linalg.norm(np.diff(strikes.places[mine], axis=0), axis=-1)[ok])
    if lengths:
        out["stride_length_m"] = float(np.mean(lengths))

    widths, by_side = [], {"left": [], "right": []}
    for k in range(1, len(strikes.times)):
        # On a curve only the centre line gives the direction at the middle of a step (none at the walk's ends);
        # along a straight line the line of foot placements around the strike does.
        if periods.curved:
            direction = _centreline_direction(strikes, k)
        else:
            direction = None if np.isnan(strikes.directions[k, 0]) else strikes.directions[k]
        if strikes.sides[k] == strikes.sides[k - 1] or not strikes.straight[k - 1] or direction is None:
            continue
        step = strikes.places[k] - strikes.places[k - 1]
        by_side[strikes.sides[k]].append(float(step @ direction))
        widths.append(abs(float(step @ [direction[1], -direction[0]])))
    for side in ("left", "right"):
        if by_side[side]:
            out[f"step_length_{side}_m"] = float(np.mean(by_side[side]))
    if widths:
        out["step_width_m"] = float(np.mean(widths))
    return out, np.array(widths)


def _check_width_scatter(widths: np.ndarray, values: dict, reasons: dict[str, str]) -> None:
    """Null a recovered walk's step width whose `widths` (one per step) scatter more than gait does
    (MAX_WIDTH_SCATTER): the footprints then carry the lifter's jitter of a few cm, as large as the width itself,
    and the mean reads wide."""
    scatter = float(np.std(widths))
    if scatter > MAX_WIDTH_SCATTER * values["step_width_m"]:
        reasons["step_width_m"] = (
            f"{ROOT_RELATIVE}: step widths scatter by {100 * scatter:.1f} cm around {100 * values['step_width_m']:.1f}"
            " cm, more than gait varies: pose jitter of the feet"
        )
        values["step_width_m"] = None


def _centreline_direction(strikes: _Strikes, k: int) -> np.ndarray | None:
    """On a curved walk, the walking direction half-way through the step from strike k - 1 to k: the chord from the
    midpoint of the step before to that of the step after. Midpoints of alternating feet lie on the path's centre
    line, and a chord symmetric about the step's own midpoint is parallel to the curve there, whatever the radius."""
    window = slice(k - 2, k + 2)
    if k < 2 or k + 1 >= len(strikes.times) or not strikes.straight[k - 2 : k + 1].all():
        return None
    sides = strikes.sides[window]
    if any(a == b for a, b in zip(sides, sides[1:], strict=False)):
        return None
    chord = strikes.places[k] + strikes.places[k + 1] - strikes.places[k - 2] - strikes.places[k - 1]
    return chord / np.linalg.norm(chord)


def _sagittal_forward(strikes: _Strikes, periods: Periods) -> np.ndarray:
    """(frames, 3) walking direction for sagittal angles: the foot-placement line, interpolated between strikes.

    The pelvis path keeps some of its sway at the stride frequency (degrees for slow short-stepped gait), in step with
    the arm swing; the foot-placement line has none. Without any such line, the path direction stands in.
    """
    known = ~np.isnan(strikes.directions[:, 0])
    if not known.any():
        return forward_vectors(periods.heading)
    yaw = np.unwrap(np.arctan2(strikes.directions[known, 0], strikes.directions[known, 1]))
    times = np.arange(len(periods.heading)) / periods.fps
    return forward_vectors(np.interp(times, strikes.times[known], yaw))


def _sagittal_angle(vectors: np.ndarray, forward: np.ndarray) -> np.ndarray:
    """Forward angle (rad) of `vectors` from straight up, in the plane of `forward` and up."""
    return np.arctan2((vectors * forward).sum(-1), vectors[:, 1])


def _trunk_angle(joints: np.ndarray, forward: np.ndarray) -> np.ndarray:
    return _sagittal_angle(joints[:, NECK] - joints[:, PELVIS], forward)


def _stride_curves(signal: np.ndarray, intervals: list[tuple[float, float]], fps: float) -> np.ndarray:
    """(intervals, CYCLE_SAMPLES + 1) `signal` over each interval (seconds), time-normalised to 0..1."""
    times = np.arange(len(signal)) / fps
    return np.array([np.interp(np.linspace(a, b, CYCLE_SAMPLES + 1), times, signal) for a, b in intervals])


def _mean_curve(signal: np.ndarray, intervals: list[tuple[float, float]], fps: float) -> np.ndarray:
    """(CYCLE_SAMPLES + 1,) average of `signal` over the intervals (seconds), each time-normalised to 0..1.

    Averaging n phase-aligned repetitions keeps their shape and divides pose jitter by sqrt(n): the peak of a
    jittery curve reads high, the peak of the mean curve does not.
    """
    return _stride_curves(signal, intervals, fps).mean(axis=0)


def _cycle_swings(cycles: np.ndarray) -> np.ndarray:
    """Peak-to-peak of each (..., CYCLE_SAMPLES + 1) mean curve over a gait cycle, smoothed to CYCLE_HARMONICS
    harmonics.

    The harmonics drop the jitter the average leaves without flattening the peaks of a smooth swing.
    """
    closing = np.linspace(0.0, 1.0, CYCLE_SAMPLES + 1) * (cycles[..., -1:] - cycles[..., :1])
    spectrum = np.fft.rfft((cycles - closing)[..., :-1], axis=-1)  # closed: no drift into the harmonics
    spectrum[..., CYCLE_HARMONICS + 1 :] = 0.0
    return np.ptp(np.fft.irfft(spectrum, CYCLE_SAMPLES, axis=-1), axis=-1)


def _swing_and_error(angle: np.ndarray, strides: list[_Stride], fps: float) -> tuple[float, float | None]:
    """Peak-to-peak of the mean cycle of `angle` over `strides` (one foot's), and its jackknife standard error over
    the strides (None from a single stride). Consecutive strides of one foot do not overlap, and lifter jitter is
    correlated over well under a stride, so leaving one stride out at a time measures the uncertainty jitter leaves
    in the mean cycle, from the data alone."""
    curves = _stride_curves(angle, [(s.start, s.end) for s in strides], fps)
    count, total = len(curves), curves.sum(axis=0)
    swing = float(_cycle_swings(total / count))
    if count < 2:
        return swing, None
    left_out = _cycle_swings((total - curves) / (count - 1))
    return swing, float(np.sqrt((count - 1) / count * np.sum((left_out - left_out.mean()) ** 2)))


def arm_angles(joints: np.ndarray, forward: np.ndarray, measured: np.ndarray) -> dict[str, np.ndarray]:
    """(frames,) sagittal angle (rad) of each upper arm (shoulder -> elbow) relative to the trunk axis, forward
    positive, for each side whose arm joints `measured` marks; `forward` (frames, 3) is the walking direction."""
    # The shoulders ride on the thorax with the neck: the axis from the pelvis to the mean of the three leans and
    # nods with the trunk like pelvis -> neck (thorax rotation and roll move the shoulders in opposite directions),
    # its fixed offset is no part of a peak-to-peak, and it has a third of the neck's pose jitter.
    top = [NECK, LEFT_SHOULDER, RIGHT_SHOULDER] if measured[[LEFT_SHOULDER, RIGHT_SHOULDER]].all() else [NECK]
    trunk = _sagittal_angle(joints[:, top].mean(axis=1) - joints[:, PELVIS], forward)
    return {
        side: _sagittal_angle(joints[:, shoulder] - joints[:, elbow], -forward) + trunk
        for side, (shoulder, elbow) in _ARM_JOINTS.items()
        if measured[[shoulder, elbow]].all()
    }


def _arm_swing(
    filtered: np.ndarray, forward: np.ndarray, strides: list[_Stride], fps: float, measured: np.ndarray
) -> tuple[dict[str, float | None], dict[str, str]]:
    """Peak-to-peak sagittal upper-arm angle relative to the trunk axis over the mean stride, and the asymmetry;
    an arm whose swing the jitter leaves too uncertain (MAX_ARM_SWING_SE_DEG, MAX_ARM_SWING_SE_SHARE) is None, with
    the reason."""
    if not strides:
        return {}, {}
    by_foot = [group for group in ([s for s in strides if s.side == side] for side in ("left", "right")) if group]
    out: dict[str, float | None] = {}
    reasons: dict[str, str] = {}
    for side, arm in arm_angles(filtered, forward, measured).items():
        swings = [(*_swing_and_error(arm, group, fps), len(group)) for group in by_foot]
        key = f"arm_swing_{side}_deg"
        out[key] = float(np.degrees(sum(swing * n for swing, _, n in swings) / len(strides)))
        errors = [(error, n) for _, error, n in swings if error is not None]
        # Both feet's strides cover the same frames: their errors are not independent, so no smaller together.
        error = np.degrees(sum(e * n for e, n in errors) / sum(n for _, n in errors)) if errors else 0.0
        if error > max(MAX_ARM_SWING_SE_DEG, MAX_ARM_SWING_SE_SHARE * out[key]):
            reasons[key] = (
                f"joint jitter too large to measure the swing: about +/-{2.0 * error:.0f} degrees around "
                f"{out[key]:.0f} (2 standard errors over {len(strides)} strides)"
            )
            out[key] = None
    if len(out) == 2 and None in out.values():
        unmeasured = " and ".join(key.split("_")[2] for key in reasons)
        reasons["arm_swing_asymmetry_pct"] = f"{unmeasured} arm swing not measured: joint jitter too large"
    elif len(out) == 2 and max(out.values()) > 0:
        left, right = out["arm_swing_left_deg"], out["arm_swing_right_deg"]
        out["arm_swing_asymmetry_pct"] = 100.0 * abs(left - right) / max(left, right)
    return out, reasons


def _trunk_flexion(filtered: np.ndarray, forward: np.ndarray, periods: Periods) -> float | None:
    if not periods.straight.any():
        return None
    return float(np.degrees(_trunk_angle(filtered, forward)[periods.straight].mean()))


def _swings(foot: FootEvents) -> list[tuple[float, float]]:
    """(toe off, next heel strike) of every complete swing of one foot, in seconds."""
    return [
        (end, foot.stance[k + 1][0])
        for k, ((_, end), lifted) in enumerate(zip(foot.stance, foot.lifted, strict=True))
        if lifted and k + 1 < len(foot.stance) and foot.struck[k + 1]
    ]


def _foot_clearance(filtered: np.ndarray, feet: dict[str, FootEvents], fps: float) -> float | None:
    """Peak toe height above its height at toe off, over the mean swing of each foot (weighted by swings).

    A shuffling lift of 1-2 cm is no larger than video pose jitter: the peak of each jittery swing would read up to
    +70% high, the peak of the mean swing stays within ~20%.
    """
    lifts, counts = [], []
    for side, toe in (("left", LEFT_TOE), ("right", RIGHT_TOE)):
        swings = _swings(feet[side])
        if swings:
            lift_off = np.interp([a for a, _ in swings], np.arange(len(filtered)) / fps, filtered[:, toe, 1])
            curve = _mean_curve(filtered[:, toe, 1], swings, fps) - lift_off.mean()
            lifts.append(curve.max())
            counts.append(len(swings))
    return float(np.average(lifts, weights=counts)) if lifts else None


def _turn(periods: Periods, feet: dict[str, FootEvents]) -> dict[str, float | int]:
    if periods.turn is None:
        return {}
    start, end = periods.turn
    strikes = np.concatenate([foot.heel_strike for foot in feet.values()])
    return {"turn_duration_s": end - start, "turn_steps": int(np.count_nonzero((strikes >= start) & (strikes <= end)))}


def _explain_nulls(values: dict, reasons: dict[str, str], periods: Periods) -> None:
    """Give every None value a reason (the specific ones were set where they arose)."""
    no_straight = "no straight walking in the clip (standing, turning or freezing throughout)"
    if periods.standing:  # one reason for everything: nobody walks
        reasons.update({key: STANDING for key in PARAMETER_KEYS if values[key] is None})
    for key in PARAMETER_KEYS:
        if values[key] is not None or key in reasons:
            continue
        if key in ("turn_duration_s", "turn_steps"):
            reasons[key] = CURVED if periods.curved else NO_TURN
        elif key in ("speed_m_s", "trunk_flexion_deg") and not periods.straight.any():
            reasons[key] = no_straight
        elif (
            key == "arm_swing_asymmetry_pct"
            and values["arm_swing_left_deg"] is not None
            and values["arm_swing_right_deg"] is not None
        ):
            reasons[key] = "neither arm swings"
        elif key.startswith("arm_swing") and values["n_strides"]:
            reasons[key] = "layout has no shoulder or elbow joints for this arm"
        elif key.startswith("step_"):
            reasons[key] = (
                "no step of straight walking ending on this side" if "length" in key else "no step of straight walking"
            )
        elif key == "foot_clearance_m":
            reasons[key] = "no complete swing (toe off to heel strike)"
        else:
            reasons[key] = NO_STRIDE


def _event_frames(
    feet: dict[str, FootEvents], periods: Periods | None, fps: float, has_toes: bool
) -> dict[str, np.ndarray]:
    """Events as frame indices; without toe joints there are no toe-off events (what the ankle shows is heel off).

    Without feet and periods (nothing could be measured) every event list is empty."""

    def frames(seconds) -> np.ndarray:
        return np.round(np.asarray(seconds, dtype=float) * fps).astype(np.int64)

    events = {}
    for side in ("left", "right"):
        foot = feet.get(side)
        events[f"heel_strike_{side}"] = frames(foot.heel_strike if foot else [])
        events[f"toe_off_{side}"] = frames(foot.toe_off if foot and has_toes else [])
    events["turn"] = frames(periods.turn if periods and periods.turn else [])
    events["freezing"] = frames(periods.freezes if periods else []).reshape(-1, 2)
    return events
