"""Ground truth of a synthetic trial: docs/gait_parameters.md applied to the clean motion with its exact events.

The motion is sampled densely (not at the trial's frame rate), so the truth is a property of the motion, the same
at any fps. Choices the definitions leave open, made here the way an extractor can reproduce them from joints:

- quiet periods are the runs of pelvis horizontal speed < 0.1 m/s that touch the start or the end of the clip;
  freezing episodes are the other such runs outside the turn lasting >= 1 s; straight walking is every frame outside
  the turn, freezing and quiet periods (so it includes the speed-up after the start and the slow-down before the stop,
  above 0.1 m/s);
- a stride or step is used when its whole interval (heel strike to heel strike) is straight walking, which leaves
  out the closing step into the final stop (the pelvis is already below 0.1 m/s when it lands);
- the walking direction is the path direction (the pelvis heading without its stride-cycle rotation); the turn
  interval is where that heading is between 10% and 90% of its total change;
- double support, arm swing and trunk flexion average over the straight strides / straight frames; foot clearance
  averages over every swing of the trial, as its definition says; stride-time CV uses the population std (ddof=0).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from agir.motion.parameters import PARAMETER_KEYS
from agir.motion.skeleton import JOINT_INDEX
from agir.motion.synth_plan import LEFT, RIGHT, GaitPlan

TRUTH_KEYS: tuple[str, ...] = PARAMETER_KEYS
SLOW_M_S = 0.1
MIN_FREEZE_S = 1.0
MIN_TURN_RAD = np.pi / 2.0
TURN_FRACTIONS = (0.1, 0.9)

Interval = tuple[float, float]


def _runs(mask: np.ndarray) -> np.ndarray:
    """(k, 2) [start, stop) index pairs of the True runs of a boolean array."""
    edges = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    return np.column_stack([np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)])


def _crossing(times: np.ndarray, values: np.ndarray, level: float) -> float:
    """First time a non-decreasing `values` reaches `level`, linearly interpolated between samples."""
    i = int(np.argmax(values >= level))
    if i == 0:
        return float(times[0])
    return float(np.interp(level, values[i - 1 : i + 1], times[i - 1 : i + 1]))


def turn_interval(plan: GaitPlan, times: np.ndarray) -> Interval | None:
    """[10%, 90%] of the heading change, in seconds; None without a turn of at least 90 degrees."""
    heading = plan.path.heading(plan.progress(times))
    change = np.abs(heading - heading[0])
    total = change[-1]
    if total < MIN_TURN_RAD:
        return None
    start, end = (_crossing(times, change, fraction * total) for fraction in TURN_FRACTIONS)
    return start, end


def _sagittal_angle(vectors: np.ndarray, forward: np.ndarray) -> np.ndarray:
    """Forward angle (rad) of `vectors` from straight up, in the plane of `forward` and up."""
    return np.arctan2((vectors * forward).sum(-1), vectors[:, 1])


@dataclass
class _Periods:
    """What each dense sample is: in the turn, frozen, or straight walking (neither, nor quiet)."""

    turn: Interval | None
    freezes: list[tuple[int, int]]  # [start, stop) sample indices
    straight: np.ndarray

    def covers(self, times: np.ndarray, start: np.ndarray, end: np.ndarray) -> np.ndarray:
        """Whether each interval [start, end] (seconds) is straight walking throughout."""
        blocked = np.concatenate([[0], np.cumsum(~self.straight)])
        first, last = np.searchsorted(times, start), np.searchsorted(times, end, side="right")
        return blocked[last] == blocked[first]


def _periods(plan: GaitPlan, times: np.ndarray, pelvis: np.ndarray) -> _Periods:
    dt = times[1] - times[0]
    slow = np.linalg.norm(np.gradient(pelvis, dt, axis=0), axis=-1) < SLOW_M_S
    turn = turn_interval(plan, times)
    in_turn = np.zeros(len(times), dtype=bool) if turn is None else (times >= turn[0]) & (times <= turn[1])
    quiet = np.zeros(len(times), dtype=bool)
    for start, stop in _runs(slow):
        if start == 0 or stop == len(times):
            quiet[start:stop] = True
    freezes = [(a, b) for a, b in _runs(slow & ~in_turn & ~quiet) if (b - a) * dt >= MIN_FREEZE_S]
    frozen = np.zeros(len(times), dtype=bool)
    for a, b in freezes:
        frozen[a:b] = True
    return _Periods(turn, freezes, ~(in_turn | frozen | quiet))


def measure_truth(
    plan: GaitPlan, times: np.ndarray, joints: np.ndarray
) -> tuple[dict[str, float | int | None], Interval | None, list[Interval]]:
    """Truth (every key of TRUTH_KEYS but duration_s), the turn interval and the freezing episodes, in seconds.

    `times` must be evenly spaced and `joints` the trial's pose at those times.
    """
    pelvis = joints[:, JOINT_INDEX["pelvis"]][:, [0, 2]]
    periods = _periods(plan, times, pelvis)
    walk_yaw = plan.path.heading(plan.progress(times))
    forward = np.stack([np.sin(walk_yaw), np.zeros_like(walk_yaw), np.cos(walk_yaw)], axis=-1)
    truth: dict[str, float | int | None] = dict.fromkeys(TRUTH_KEYS)
    truth.update(_stride_truth(plan, times, joints, forward, periods))
    truth.update(_step_truth(plan, times, forward, periods))
    steady = periods.straight[1:] & periods.straight[:-1]
    if steady.any():
        path_length = np.linalg.norm(np.diff(pelvis, axis=0), axis=-1)[steady].sum()
        truth["speed_m_s"] = float(path_length / (steady.sum() * (times[1] - times[0])))
    truth["foot_clearance_m"] = _foot_clearance(plan, times, joints)
    if periods.turn is not None:
        start, end = periods.turn
        truth["turn_duration_s"] = end - start
        truth["turn_steps"] = int(np.count_nonzero((plan.step_time >= start) & (plan.step_time <= end)))
    truth["freezing_episodes"] = len(periods.freezes)
    return truth, periods.turn, [(float(times[a]), float(times[b - 1])) for a, b in periods.freezes]


def _stride_truth(
    plan: GaitPlan, times: np.ndarray, joints: np.ndarray, forward: np.ndarray, periods: _Periods
) -> dict[str, float | int]:
    """Parameters averaged over straight strides (heel strike to the next heel strike of the same foot)."""
    firsts, lasts = [], []
    for side in (LEFT, RIGHT):
        mine = np.flatnonzero(plan.step_side == side)
        straight = periods.covers(times, plan.step_time[mine[:-1]], plan.step_time[mine[1:]])
        firsts.append(mine[:-1][straight]), lasts.append(mine[1:][straight])
    first, last = np.concatenate(firsts), np.concatenate(lasts)
    if not len(first):
        return {"n_strides": 0}
    stride_times = plan.step_time[last] - plan.step_time[first]
    arm, trunk = _arm_and_trunk_angles(joints, forward)
    windows = [slice(*np.searchsorted(times, plan.step_time[[a, b]])) for a, b in zip(first, last, strict=True)]
    truth: dict[str, float | int] = {
        "n_strides": len(first),
        "cadence_steps_min": float(120.0 / stride_times.mean()),
        "stride_time_cv_pct": float(100.0 * stride_times.std() / stride_times.mean()),
        "stride_length_m": float(np.linalg.norm(plan.step_ankle[last] - plan.step_ankle[first], axis=-1).mean()),
        "double_support_pct": _double_support(plan, times, first, last),
        "trunk_flexion_deg": float(np.degrees(trunk[periods.straight].mean())),
    }
    for side in ("left", "right"):
        truth[f"arm_swing_{side}_deg"] = float(np.degrees(np.mean([np.ptp(arm[side][w]) for w in windows])))
    left, right = truth["arm_swing_left_deg"], truth["arm_swing_right_deg"]
    truth["arm_swing_asymmetry_pct"] = float(100.0 * abs(left - right) / max(left, right))
    return truth


def _step_truth(plan: GaitPlan, times: np.ndarray, forward: np.ndarray, periods: _Periods) -> dict[str, float]:
    """Step lengths per side and step width over straight steps (sides alternate in the plan)."""
    later = np.arange(1, len(plan.step_time))
    straight = periods.covers(times, plan.step_time[later - 1], plan.step_time[later])
    at_strike = np.searchsorted(times, plan.step_time[later]).clip(max=len(times) - 1)
    direction = forward[at_strike][:, [0, 2]]
    sideways = np.column_stack([direction[:, 1], -direction[:, 0]])
    delta = plan.step_ankle[later] - plan.step_ankle[later - 1]
    truth = {}
    for side, key in ((LEFT, "step_length_left_m"), (RIGHT, "step_length_right_m")):
        chosen = straight & (plan.step_side[later] == side)
        if chosen.any():
            truth[key] = float((delta[chosen] * direction[chosen]).sum(-1).mean())
    if straight.any():
        truth["step_width_m"] = float(np.abs((delta[straight] * sideways[straight]).sum(-1)).mean())
    return truth


def _double_support(plan: GaitPlan, times: np.ndarray, first_step: np.ndarray, last_step: np.ndarray) -> float:
    """Mean share (%) of each stride with both feet in stance (heel strike to toe-off)."""
    stance = []
    for foot in plan.feet:
        contact = np.searchsorted(foot.strike, times, side="right") - 1
        stance.append(times < foot.toe_off[contact])
    both = np.concatenate([[0], np.cumsum(stance[0] & stance[1])])
    first = np.searchsorted(times, plan.step_time[first_step])
    last = np.searchsorted(times, plan.step_time[last_step])
    return float(100.0 * np.mean((both[last] - both[first]) / (last - first)))


def _arm_and_trunk_angles(joints: np.ndarray, forward: np.ndarray) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Sagittal upper-arm angles relative to the trunk axis, and the trunk's forward lean from vertical (rad)."""
    index = JOINT_INDEX
    trunk = _sagittal_angle(joints[:, index["neck"]] - joints[:, index["pelvis"]], forward)
    arm = {}
    for side in ("left", "right"):
        upper_arm = joints[:, index[f"{side}_elbow"]] - joints[:, index[f"{side}_shoulder"]]
        # Forward angle from straight down, plus the lean: 0 when the arm hangs along the trunk axis.
        arm[side] = _sagittal_angle(-upper_arm, -forward) + trunk
    return arm, trunk


def _foot_clearance(plan: GaitPlan, times: np.ndarray, joints: np.ndarray) -> float | None:
    """Mean over swings of the peak toe height above the toe's height at the end of the preceding stance."""
    lifts = []
    for foot, toe_joint in zip(plan.feet, ("left_foot", "right_foot"), strict=True):
        toe_height = joints[:, JOINT_INDEX[toe_joint], 1]
        for lift_off, strike in zip(foot.toe_off[:-1], foot.strike[1:], strict=False):
            a, b = np.searchsorted(times, [lift_off, strike])
            if b > a:
                lifts.append(toe_height[a : b + 1].max() - toe_height[a])
    return float(np.mean(lifts)) if lifts else None
