"""Gait events from joint kinematics: filtering, walking direction, turn / quiet / freezing periods, foot contacts.

Follows docs/gait_parameters.md. Positions are low-passed with a zero-lag 4th-order Butterworth filter before any
differentiation (6 Hz for gait kinematics, Winter). The walking direction is the pelvis path direction with the
stride-cycle sway filtered out. A foot is in stance while its heel (ankle) or its toe rests on the floor: the slower
of the two is below a small speed, raised to the jitter level of noisy poses. Heel strike and toe off are where that
speed crosses the threshold. This needs no foot lift, so shuffling gait has clear events, and a stance only ends in
a step when the toe lands elsewhere, so a freezing foot that trembles in place makes none.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
from scipy.signal import butter, sosfiltfilt

from agir.motion.skeleton import LEFT_ANKLE, LEFT_HIP, LEFT_TOE, PELVIS, RIGHT_ANKLE, RIGHT_HIP, RIGHT_TOE

FILTER_ORDER = 4
POSITION_CUTOFF_HZ = 6.0  # Winter's cut-off for gait marker trajectories
MAX_CUTOFF_SHARE = 0.8  # of the Nyquist frequency, for low frame rates (15 fps video)
PELVIS_CUTOFF_HZ = 2.0  # pelvis path: keeps the ~1 Hz sway and the starts and stops, drops pose jitter
PATH_CUTOFF_HZ = 0.7  # below stride frequencies (~0.8-1.2 Hz): drops the pelvis sway, keeps healthy turns short
SLOW_M_S = 0.1  # pelvis slower than this: standing still or frozen
SLOW_SHARE = 0.5  # of the walking speed, for walkers below 0.2 m/s
MIN_FREEZE_S = 1.0
MIN_STILL_CHANGE_S = 0.3
MIN_TURN_RAD = np.pi / 2.0
TURN_MAX_RADIUS_M = 1.0  # the 3.10 turn is sharp (radius ~0.2-0.5 m); wider curves are walking along a curve
TURN_FRACTIONS = (0.1, 0.9)
REST_M_S = 0.1  # a foot slower than this rests on the floor (swing peaks: ~0.5 m/s in turns to 5 m/s)
REST_NOISE_PERCENTILE = 25  # a foot rests more than a quarter of the time: this percentile of its speed is jitter
REST_NOISE_FACTOR = 2.5
MIN_PHASE_S = 0.12  # real stance and swing phases last 0.25 s or more: shorter runs are jitter
MIN_SWING_M = 0.04  # a step moves the toe at least this far (en-bloc pivots: 5-11 cm); a tremor, not at all

Interval = tuple[float, float]  # seconds


def _edge_pad(signal: np.ndarray, pad: int, fit: int) -> np.ndarray:
    """`signal` extended at both ends by `pad` samples along the least-squares line of its first/last `fit` samples.

    Extending a trend (walking on) rather than mirroring one noisy end sample keeps filter transients out of the
    clip's first and last frames.
    """
    fit = max(2, min(fit, len(signal)))
    steps = np.arange(fit, dtype=float) - (fit - 1) / 2.0

    def extension(edge: np.ndarray, towards: np.ndarray) -> np.ndarray:
        flat = edge.reshape(fit, -1)
        slope = steps @ (flat - flat.mean(axis=0)) / (steps @ steps)
        line = flat.mean(axis=0) + np.outer(towards, slope)
        return line.reshape((len(towards),) + signal.shape[1:])

    before = extension(signal[:fit], -(fit - 1) / 2.0 - np.arange(pad, 0, -1))
    after = extension(signal[-fit:], (fit - 1) / 2.0 + np.arange(1, pad + 1))
    return np.concatenate([before, signal, after])


@functools.lru_cache(maxsize=64)
def _butterworth(cutoff: float, fps: float) -> np.ndarray:
    """Second-order sections of the low-pass, shared between calls (scipy's filters only read them): designing one
    costs more than filtering a clip with it."""
    return butter(FILTER_ORDER, cutoff, fs=fps, output="sos")


def lowpass(signal: np.ndarray, fps: float, cutoff_hz: float) -> np.ndarray:
    """Zero-lag Butterworth low-pass along axis 0; the cut-off is clipped below the Nyquist frequency."""
    cutoff = min(cutoff_hz, MAX_CUTOFF_SHARE * fps / 2.0)
    sos = _butterworth(cutoff, fps)
    pad = int(np.ceil(fps / cutoff))  # about the filter's settling time
    padded = _edge_pad(np.asarray(signal, dtype=float), pad, int(np.ceil(fps / (2.0 * cutoff))))
    return sosfiltfilt(sos, padded, axis=0, padtype=None)[pad:-pad]


def horizontal(points: np.ndarray) -> np.ndarray:
    """(..., 2) ground-plane (x, z) coordinates of (..., 3) points."""
    return points[..., [0, 2]]


def runs(mask: np.ndarray) -> np.ndarray:
    """(k, 2) [start, stop) frame pairs of the True runs of a boolean array."""
    edges = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    return np.column_stack([np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)])


def pelvis_centre(joints: np.ndarray) -> np.ndarray:
    """(frames, 2) horizontal pelvis position, averaged with the hips: the same path, less pose jitter."""
    return horizontal(joints[:, [PELVIS, LEFT_HIP, RIGHT_HIP]].mean(axis=1))


def smoothed_speed(positions: np.ndarray, fps: float, cutoff_hz: float) -> np.ndarray:
    """(frames,) speed of low-passed (frames, d) positions."""
    return np.linalg.norm(np.gradient(lowpass(positions, fps, cutoff_hz), 1.0 / fps, axis=0), axis=-1)


def walking_heading(path: np.ndarray, fps: float, moving: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(frames,) unwrapped direction of the `path` (the PATH_CUTOFF_HZ pelvis path) and where it was measured.

    Yaw about +y, 0 = +z, positive towards +x. Measured only where the pelvis is clearly moving: the filter
    overshoots where a walker stops, and a backward drift of the smoothed path must not read as a turn. Elsewhere
    the direction is interpolated (held at the ends).
    """
    velocity = np.gradient(path, 1.0 / fps, axis=0)
    valid = moving & (np.linalg.norm(velocity, axis=-1) >= SLOW_M_S / 2.0)
    frames = np.arange(len(path))
    if not valid.any():
        return np.zeros(len(path)), valid
    yaw = np.unwrap(np.arctan2(velocity[valid, 0], velocity[valid, 1]))
    return np.interp(frames, frames[valid], yaw), valid


def forward_vectors(heading: np.ndarray) -> np.ndarray:
    """(frames, 3) horizontal unit walking directions."""
    return np.stack([np.sin(heading), np.zeros_like(heading), np.cos(heading)], axis=-1)


def _crossing(frames: np.ndarray, values: np.ndarray, level: float) -> float:
    """Sub-frame position where `values` (two samples at `frames`) crosses `level`."""
    if values[1] == values[0]:
        return float(frames[0])
    return float(frames[0] + (level - values[0]) / (values[1] - values[0]) * (frames[1] - frames[0]))


def heading_swings(heading: np.ndarray, min_change: float) -> list[tuple[int, int]]:
    """(start, end) frames of the monotone swings of `heading` of at least `min_change` (a zigzag filter).

    A swing ends at its extreme once the heading has come back `min_change` from it, so sway and jitter smaller
    than that neither end a swing nor count as one.
    """
    swings: list[tuple[int, int]] = []
    low = high = pivot = extreme = 0
    direction = 0
    for i in range(1, len(heading)):
        if direction == 0:
            low = i if heading[i] < heading[low] else low
            high = i if heading[i] > heading[high] else high
            if heading[high] - heading[low] >= min_change:
                direction = 1 if high > low else -1
                pivot, extreme = (low, high) if direction > 0 else (high, low)
        elif direction * (heading[i] - heading[extreme]) >= 0:
            extreme = i
        elif direction * (heading[extreme] - heading[i]) >= min_change:
            swings.append((pivot, extreme))
            pivot, extreme, direction = extreme, i, -direction
    if direction and abs(heading[extreme] - heading[pivot]) >= min_change:
        swings.append((pivot, extreme))
    return swings


def turning(heading: np.ndarray, measured: np.ndarray, fps: float) -> tuple[float, float]:
    """Total turning (rad) and turning time (s): every heading swing of at least MIN_TURN_RAD, each timed from 10%
    to 90% of its change (the rule of the 180-degree turn), so a circle or a figure-eight counts in full."""
    total = duration = 0.0
    for start, end in heading_swings(heading, MIN_TURN_RAD):
        within = np.zeros_like(measured)
        within[start : end + 1] = measured[start : end + 1]
        interval = turn_interval(heading, within, fps)
        if interval is not None:
            total += abs(heading[end] - heading[start])
            duration += interval[1] - interval[0]
    return total, duration


def turn_interval(heading: np.ndarray, measured: np.ndarray, fps: float) -> Interval | None:
    """[10%, 90%] of the heading change in seconds; None without a change of at least 90 degrees.

    The change runs from the first to the last frame where the heading was measured. The 10% (90%) crossing is the
    last (first) one before (after) the half-way point, so sway left in the heading cannot start the turn early or
    end it late.
    """
    if not measured.any():
        return None
    first, last = np.flatnonzero(measured)[[0, -1]]
    total = heading[last] - heading[first]
    if abs(total) < MIN_TURN_RAD:
        return None
    fraction = (heading[first : last + 1] - heading[first]) / total
    half = int(np.argmax(fraction >= 0.5))
    low, high = TURN_FRACTIONS
    below = np.flatnonzero(fraction[:half] < low)[-1]
    start = _crossing(below + np.arange(2), fraction[below : below + 2], low)
    above = half + np.flatnonzero(fraction[half:] > high)[0]
    end = _crossing(above - np.arange(2)[::-1], fraction[above - 1 : above + 1], high)
    start, end = start + first, end + first
    return start / fps, end / fps


@dataclass
class Periods:
    """What each frame is: part of the turn, of a freezing episode, or straight walking (neither, and not quiet)."""

    heading: np.ndarray  # (frames,) walking direction, rad
    turn: Interval | None  # the sharp turn of the 3.10 test
    turning: tuple[float, float]  # total turning (rad) and turning time (s), sharp turns and curves alike
    curved: bool  # the walk turns by 90 degrees or more, but along wide curves only (no sharp turn)
    freezes: list[Interval]
    straight: np.ndarray  # (frames,) bool
    fps: float
    standing: bool = False  # the pelvis is still throughout: nobody walks

    def covers(self, start_s: np.ndarray, end_s: np.ndarray) -> np.ndarray:
        """Whether each interval [start, end] (seconds) is straight walking throughout."""
        blocked = np.concatenate([[0], np.cumsum(~self.straight)])
        first = np.clip(np.floor(np.asarray(start_s) * self.fps).astype(int), 0, len(self.straight))
        last = np.clip(np.ceil(np.asarray(end_s) * self.fps).astype(int) + 1, 0, len(self.straight))
        return blocked[last] == blocked[first]


def _drop_short_runs(mask: np.ndarray, min_frames: int) -> np.ndarray:
    """Flip runs shorter than `min_frames`: swing blips inside a stance first, then stance blips in a swing."""
    mask = mask.copy()
    for value in (False, True):
        for start, stop in runs(mask == value):
            if stop - start < min_frames and (start, stop) != (0, len(mask)):
                mask[start:stop] = not value
    return mask


def slow_threshold(speed: np.ndarray) -> float:
    """Pelvis speed below which a walker stands: SLOW_M_S, or SLOW_SHARE of its walking speed (the 90th percentile
    of `speed`) for a walker so slow that its speed dips within a stride would otherwise read as standing."""
    return min(SLOW_M_S, SLOW_SHARE * float(np.percentile(speed, 90)))


def _slow_frames(pelvis: np.ndarray, fps: float, stepping: bool) -> np.ndarray:
    """(frames,) bool: the pelvis moves slower than SLOW_M_S, or than `slow_threshold` where the feet are `stepping`
    (without steps, a lower threshold would take pose jitter for walking).

    Found on a smoothed speed, immune to pose jitter but blurring starts and stops, then each slow run is extended
    over the adjacent frames where the speed at the gait cut-off is slow too, to its sharp edges. Runs shorter than
    MIN_STILL_CHANGE_S are jitter: nobody stops, or starts and stops again, that fast.
    """
    smooth = smoothed_speed(pelvis, fps, PELVIS_CUTOFF_HZ)
    level = slow_threshold(smooth) if stepping else SLOW_M_S
    core = smooth < level
    grown = core | (smoothed_speed(pelvis, fps, POSITION_CUTOFF_HZ) < level)
    slow = np.zeros_like(core)
    for start, stop in runs(grown):
        if core[start:stop].any():
            slow[start:stop] = True
    return _drop_short_runs(slow, int(round(MIN_STILL_CHANGE_S * fps)))


def _sharp(turn: Interval, path: np.ndarray, heading: np.ndarray, fps: float) -> bool:
    """Whether the turn's mean radius (path length / heading change, inside the turn) is below TURN_MAX_RADIUS_M."""
    first, last = int(np.floor(turn[0] * fps)), int(np.ceil(turn[1] * fps))
    length = np.linalg.norm(np.diff(path[first : last + 1], axis=0), axis=-1).sum()
    return bool(length < TURN_MAX_RADIUS_M * abs(heading[last] - heading[first]))


def walking_periods(
    pelvis: np.ndarray, fps: float, facing: np.ndarray | None = None, stepping: bool = False
) -> Periods:
    """Walking direction, quiet start/end, the turn, freezing episodes and straight walking, from the pelvis path.

    `facing` (frames,), the body's unwrapped facing direction, stands in for the path direction where the path is a
    reconstruction (root-relative input) that pivots in place in an en-bloc turn cannot steer. `stepping`: the feet
    take alternating steps, so a walker slower than 0.2 m/s is told from one standing by a threshold of its own."""
    n = len(pelvis)
    slow = _slow_frames(pelvis, fps, stepping)
    path = lowpass(pelvis, fps, PATH_CUTOFF_HZ)
    if facing is None:
        heading, measured = walking_heading(path, fps, ~slow)
    else:
        heading, measured = facing, np.ones(n, dtype=bool)
    turn = turn_interval(heading, measured, fps)
    turn = turn if turn is not None and _sharp(turn, path, heading, fps) else None
    swings = turning(heading, measured, fps)
    curved = turn is None and swings[0] > 0
    times = np.arange(n) / fps
    in_turn = np.zeros(n, dtype=bool) if turn is None else (times >= turn[0]) & (times <= turn[1])
    quiet = np.zeros(n, dtype=bool)
    for start, stop in runs(slow):
        if start == 0 or stop == n:
            quiet[start:stop] = True
    frozen = np.zeros(n, dtype=bool)
    freezes = []
    for start, stop in runs(slow & ~in_turn & ~quiet):
        if (stop - start) / fps >= MIN_FREEZE_S:
            frozen[start:stop] = True
            freezes.append((start / fps, (stop - 1) / fps))
    return Periods(heading, turn, swings, curved, freezes, ~(in_turn | frozen | quiet), fps, bool(quiet.all()))


@dataclass
class FootEvents:
    """The ground contacts of one foot, in seconds."""

    stance: list[Interval]  # every contact, including one already under way at the start or end of the clip
    struck: list[bool]  # the contact starts with a heel strike inside the clip
    lifted: list[bool]  # the contact ends with a toe off inside the clip

    @property
    def heel_strike(self) -> np.ndarray:
        return np.array([start for (start, _), struck in zip(self.stance, self.struck, strict=True) if struck])

    @property
    def toe_off(self) -> np.ndarray:
        return np.array([end for (_, end), lifted in zip(self.stance, self.lifted, strict=True) if lifted])


def contact_speed(heel: np.ndarray, toe: np.ndarray, fps: float) -> np.ndarray:
    """(frames,) speed of the slower of heel and toe: ~0 while either rests on the floor.

    Heel-first, flat-foot and toe-first landings all start a contact, and push-off (toe pivot) continues it. The
    speed is 3D: in an en-bloc turn the inner foot is lifted and set down almost in place.
    """
    speeds = [np.linalg.norm(np.gradient(p, 1.0 / fps, axis=0), axis=-1) for p in (heel, toe)]
    return np.minimum(*speeds)


def rest_threshold(speed: np.ndarray) -> float:
    """Speed below which a foot is at rest: REST_M_S, or a multiple of the jitter of a resting foot if higher."""
    return max(REST_M_S, REST_NOISE_FACTOR * float(np.percentile(speed, REST_NOISE_PERCENTILE)))


def _moved(toe: np.ndarray, before: tuple[int, int], after: tuple[int, int]) -> bool:
    """Whether the toe, the last point to leave the floor, rests elsewhere in the `after` stance than in `before`.

    Median positions over each stance ignore jitter; a step lands at least MIN_SWING_M away (an en-bloc pivot
    turns the toe by several cm), a heel tremor or a heel rise in place moves the toe not at all.
    """
    rest = [_median(horizontal(toe[first : last + 1])) for first, last in (before, after)]
    return float(np.linalg.norm(rest[1] - rest[0])) >= MIN_SWING_M


def _median(points: np.ndarray) -> np.ndarray:
    """Median along axis 0 (np.median's result, without its overhead: this runs once per contact)."""
    ordered = np.sort(points, axis=0)
    return (ordered[(len(points) - 1) // 2] + ordered[len(points) // 2]) / 2.0


def _crossing_time(speed: np.ndarray, level: float, frame: int, step: int, fps: float) -> float:
    """Time (s) the speed crosses `level` between stance frame `frame` and its neighbour `frame + step`."""
    pair = np.clip([frame, frame + step], 0, len(speed) - 1)
    return _crossing(pair.astype(float), speed[pair], level) / fps


def foot_events(heel: np.ndarray, toe: np.ndarray, fps: float) -> FootEvents:
    """Contacts of one foot from its filtered heel and toe positions (frames, 3)."""
    speed = contact_speed(heel, toe, fps)
    level = rest_threshold(speed)
    contact = _drop_short_runs(speed < level, max(1, int(round(MIN_PHASE_S * fps))))
    stances: list[tuple[int, int]] = []  # (first, last) stance frames
    for start, stop in runs(contact):
        if stances and not _moved(toe, stances[-1], (int(start), int(stop) - 1)):
            stances[-1] = (stances[-1][0], int(stop) - 1)
        else:
            stances.append((int(start), int(stop) - 1))
    last_frame = len(speed) - 1
    struck = [first > 0 for first, _ in stances]
    lifted = [last < last_frame for _, last in stances]
    stance = [
        (
            _crossing_time(speed, level, first, -1, fps) if strike else 0.0,
            _crossing_time(speed, level, last, +1, fps) if lift else last_frame / fps,
        )
        for (first, last), strike, lift in zip(stances, struck, lifted, strict=True)
    ]
    return FootEvents(stance, struck, lifted)


def detect_feet(joints: np.ndarray, fps: float, has_toes: bool) -> dict[str, FootEvents]:
    """Events of both feet from filtered canonical joints; without toe joints the ankle stands in for the toe."""
    feet = {}
    for side, ankle, toe in (("left", LEFT_ANKLE, LEFT_TOE), ("right", RIGHT_ANKLE, RIGHT_TOE)):
        feet[side] = foot_events(joints[:, ankle], joints[:, toe if has_toes else ankle], fps)
    return feet
