"""Oracle bounds of arm swing, stride length and speed under lifter noise: how close could any estimator come?

`PYTHONPATH=src python benchmarks/gait_bounds.py [--seeds 10] [--only TEXT] [--distances 10 20]` prints a Markdown
table. Conditions are the lifter-noise ones of benchmarks/gait_accuracy.py (root-relative 15-joint lifter output at 30
and 15 fps, `LifterNoise()` defaults (2 / 4 cm jitter) and half of it; the same seeds x scores 0-3), for the 3.10
walk (10 m, turn, 10 m back) and a walk twice as long. The oracles know everything about the trial but the noise:
the true gait events, strides, straight-walking periods, walking direction and the clean arm waveform of the
simulation, applied to the noisy joints.

Arm swing (swings above 20 degrees): the sagittal upper-arm angle of the noisy joints (6 Hz low-pass) relative to the
trunk axis, as agir.gait measures it, over the true straight strides:
- per-stride: its peak-to-peak over each stride, averaged;
- mean cycle: agir.gait's estimator (2-harmonic mean cycle per foot) on the true strides;
- waveform fit: the least-squares scale of the clean angle (known shape and phase) to the noisy one, times the true
  swing: the matched filter, the bound of any estimator that must learn the swing from the joints;
- waveform fit, elbow + wrist: the same scale fitted to the shoulder -> wrist angle too (its clean waveform holds the
  walker's coupling of elbow flexion to the swing), both combined by their residual variance: what a two-link arm
  model could give if it knew that coupling.
Stride length over the true straight strides, from one footprint per true contact:
- true root: the noisy pelvis-relative ankle plus the true pelvis path, averaged over the true foot-flat window (foot
  flat to heel off, where the ankle stands still);
- recovered root: agir.gait's least-squares root path (`gait_root`) from the noisy feet, given the true contacts
  (its foot-flat windows on the true stance), standing (no swing for 1 s) and walking direction; speed is that
  root's path over the true straight walking (as agir.gait).
"ours" is agir.gait itself on the noisy clip. Per condition, walk and estimator: the mean, SD and worst relative
error (%) over trials (arms) and how many miss the issue's bounds (arm swing 10%, stride length and speed 5%).
"""

from __future__ import annotations

import argparse
import copy
import math
from collections import defaultdict

import numpy as np

from agir.motion.gait_events import PELVIS_CUTOFF_HZ, POSITION_CUTOFF_HZ, forward_vectors, horizontal, lowpass, runs
from agir.motion.gait_parameters import _Stride, _swing_and_error, arm_angles, extract_gait_parameters
from agir.motion.gait_root import FLAT_FROM, FLAT_TO, _root_path, _standing
from agir.motion.skeleton import JOINT_INDEX, LEFT_ANKLE, LEFT_ELBOW, NUM_JOINTS, PELVIS, RIGHT_ANKLE, RIGHT_ELBOW
from agir.motion.synth import TRUTH_HZ, LifterNoise, _day_to_day, lifter_observation, sample_subject, simulate_trial
from agir.motion.synth_plan import LEFT, RIGHT, plan_walk
from agir.motion.synth_pose import pose
from agir.motion.synth_truth import _periods

MIN_ARM_SWING_DEG = 20.0
BOUNDS = {"arm swing": 10.0, "stride": 5.0, "speed": 5.0}
HALF = LifterNoise(jitter_m=LifterNoise().jitter_m / 2.0)
CONDITIONS = {
    "30 fps, 1 / 2 cm": (30.0, HALF),
    "15 fps, 1 / 2 cm": (15.0, HALF),
    "30 fps, 2 / 4 cm": (30.0, LifterNoise()),
    "15 fps, 2 / 4 cm": (15.0, LifterNoise()),
}
SIDES = {"left": (LEFT, LEFT_ANKLE), "right": (RIGHT, RIGHT_ANKLE)}


class Replay:
    """A trial and what its simulation knows: the plan (events, strides), the straight-walking periods, the heading.

    `simulate_trial` draws the heading, the day's variation and the plan first, in that order: the same draws from a
    copy of the generator give them back."""

    def __init__(self, subject, rng: np.random.Generator, fps: float, distance_m: float) -> None:
        state = copy.deepcopy(rng)
        self.trial = simulate_trial(subject, rng, fps=fps, walk_distance_m=distance_m)
        heading = np.radians(state.uniform(0.0, 360.0))
        day = _day_to_day(subject, state)
        self.plan = plan_walk(day, state, distance_m, True)
        assert int(np.floor(self.plan.duration_s * fps)) + 1 == len(self.trial.joints), "replay out of step"
        self.dense = np.arange(int(np.floor(self.plan.duration_s * TRUTH_HZ)) + 1) / TRUTH_HZ
        self.periods = _periods(self.plan, self.dense, horizontal(pose(self.plan, day, self.dense)[:, PELVIS]))
        self.fps = fps
        self.times = np.arange(len(self.trial.joints)) / fps
        at = np.clip(np.round(self.times * TRUTH_HZ).astype(int), 0, len(self.dense) - 1)
        self.straight = self.periods.straight[at]
        turn = self.periods.turn
        self.turning = (
            np.zeros(len(self.times), bool) if turn is None else (self.times >= turn[0]) & (self.times <= turn[1])
        )
        self.forward = forward_vectors(self.plan.path.heading(self.plan.progress(self.times)) + heading)

    def strides(self, side: int) -> list[tuple[int, float, float]]:
        """(contact index, start, end) of the foot's straight strides: from its contact i to i + 1 (0 = the start)."""
        mine = np.flatnonzero(self.plan.step_side == side)
        starts, ends = self.plan.step_time[mine[:-1]], self.plan.step_time[mine[1:]]
        ok = self.periods.covers(self.dense, starts, ends)
        return [(i + 1, float(a), float(b)) for i, (a, b) in enumerate(zip(starts, ends, strict=True)) if ok[i]]

    def swings(self) -> list[tuple[int, int]]:
        """(toe off, heel strike) frames of every swing of both feet."""
        return [
            (round(a * self.fps), round(b * self.fps))
            for foot in self.plan.feet
            for a, b in zip(foot.toe_off[:-1], foot.strike[1:], strict=True)
        ]

    def contacts(self, side: int) -> dict[int, tuple[int, int, int, int]]:
        """Contact index -> (first, last, flat first, flat last) frames of each contact after a heel strike."""
        foot, last_frame, fps = self.plan.feet[side], len(self.times) - 1, self.fps
        out = {}
        for i in range(1, len(foot.strike)):
            first = math.ceil(foot.strike[i] * fps)
            last = min(last_frame, math.floor(foot.toe_off[i] * fps) if np.isfinite(foot.toe_off[i]) else last_frame)
            flat_first = min(math.ceil(foot.flat[i] * fps), last)
            heel_off = foot.heel_off[i] * fps if np.isfinite(foot.heel_off[i]) else last_frame
            out[i] = (first, last, flat_first, max(flat_first, min(math.floor(heel_off), last)))
        return out


def _wrists_as_elbows(joints: np.ndarray) -> np.ndarray:
    """`joints` with each wrist in its elbow's place: arm_angles then gives the shoulder -> wrist angle."""
    moved = joints.copy()
    moved[:, [LEFT_ELBOW, RIGHT_ELBOW]] = joints[:, [JOINT_INDEX["left_wrist"], JOINT_INDEX["right_wrist"]]]
    return moved


def _waveform_scale(clean: np.ndarray, noisy: np.ndarray) -> tuple[float, float]:
    """Least-squares scale of the `clean` waveform to the `noisy` one (offsets free), and its inverse variance
    (from the residual, as if white): two such scales of one swing combine weighted by it."""
    shape, observed = clean - clean.mean(), noisy - noisy.mean()
    energy = shape @ shape
    scale = shape @ observed / energy
    residual = observed - scale * shape
    return float(scale), float(energy / max(residual @ residual / len(residual), 1e-12))


def _arm_errors(replay: Replay, noisy: np.ndarray, measured: np.ndarray) -> dict[str, list[float]]:
    """Relative errors (%) of each arm swing above MIN_ARM_SWING_DEG, per oracle estimator."""
    fps, truth = replay.fps, replay.trial.truth
    observed = arm_angles(lowpass(noisy, fps, POSITION_CUTOFF_HZ), replay.forward, measured)
    clean = arm_angles(replay.trial.joints.astype(float), replay.forward, np.ones(NUM_JOINTS, bool))
    observed_wrist, clean_wrist = (
        arm_angles(_wrists_as_elbows(joints), replay.forward, measured)
        for joints in (lowpass(noisy, fps, POSITION_CUTOFF_HZ), replay.trial.joints.astype(float))
    )
    by_foot = [replay.strides(side) for side in (LEFT, RIGHT)]
    windows = [(math.ceil(a * fps), math.floor(b * fps) + 1) for strides in by_foot for _, a, b in strides]
    frames = np.unique(np.concatenate([np.arange(a, b) for a, b in windows]))
    errors = defaultdict(list)
    for side, angle in observed.items():
        true_swing = truth[f"arm_swing_{side}_deg"]
        if true_swing < MIN_ARM_SWING_DEG:
            continue
        per_stride = np.degrees(np.mean([np.ptp(angle[a:b]) for a, b in windows]))
        groups = [[_Stride("", a, b) for _, a, b in strides] for strides in by_foot if strides]
        cycle = np.degrees(sum(_swing_and_error(angle, g, fps)[0] * len(g) for g in groups) / sum(map(len, groups)))
        scale, weight = _waveform_scale(clean[side][frames], angle[frames])
        wrist_scale, wrist_weight = _waveform_scale(clean_wrist[side][frames], observed_wrist[side][frames])
        both = (scale * weight + wrist_scale * wrist_weight) / (weight + wrist_weight)
        for name, value in (
            ("per-stride", per_stride),
            ("mean cycle", cycle),
            ("waveform fit", scale * true_swing),
            ("waveform fit, elbow + wrist", both * true_swing),
        ):
            errors[name].append(100.0 * (value / true_swing - 1.0))
    return errors


def _stride_errors(replay: Replay, noisy: np.ndarray) -> dict[str, dict[str, float]]:
    """Relative errors (%) of stride length (true root, recovered root) and speed (recovered root)."""
    fps, truth, frames = replay.fps, replay.trial.truth, len(replay.times)
    relative = {
        name: lowpass(noisy[:, ankle] - noisy[:, PELVIS], fps, POSITION_CUTOFF_HZ) for name, (_, ankle) in SIDES.items()
    }
    pelvis = replay.trial.joints[:, PELVIS].astype(float)
    contacts, keys, true_root = [], [], {}
    for name, (side, _) in SIDES.items():
        for i, (first, last, flat_first, flat_last) in replay.contacts(side).items():
            # agir.gait's windows, on the true stance: flat from FLAT_FROM to FLAT_TO of it.
            contacts.append(
                (
                    name,
                    first,
                    last,
                    first + int(FLAT_FROM * (last - first)),
                    first + math.ceil(FLAT_TO * (last - first)),
                )
            )
            keys.append((name, i))
            flat = slice(flat_first, flat_last + 1)
            true_root[name, i] = horizontal(relative[name][flat] + pelvis[flat]).mean(axis=0)
    standing = _standing(replay.swings(), frames, fps)
    for start, stop in runs(standing):
        contacts += [(name, int(start), int(stop) - 1, int(start), int(stop) - 1) for name in SIDES]
    facing = horizontal(replay.forward)
    root, floor = _root_path(relative, contacts, standing, facing, fps)
    recovered = {key: horizontal(place) for key, place in zip(keys, floor, strict=False)}
    out = {}
    for label, prints in (("true root", true_root), ("recovered root", recovered)):
        lengths = [
            np.linalg.norm(prints[name, i + 1] - prints[name, i])
            for name, (side, _) in SIDES.items()
            for i, _, _ in replay.strides(side)
        ]
        out[label] = {"stride": 100.0 * (np.mean(lengths) / truth["stride_length_m"] - 1.0)}
    path = lowpass(horizontal(root), fps, PELVIS_CUTOFF_HZ)
    steady = replay.straight[1:] & replay.straight[:-1]
    speed = np.linalg.norm(np.diff(path, axis=0), axis=-1)[steady].sum() * fps / steady.sum()
    out["recovered root"]["speed"] = 100.0 * (speed / truth["speed_m_s"] - 1.0)
    assert frames == len(root)
    return out


def _ours(replay: Replay, noisy: np.ndarray, measured: np.ndarray) -> dict[str, list[float]]:
    values = extract_gait_parameters(noisy, replay.fps, measured=measured).values
    truth = replay.trial.truth
    out = defaultdict(list)
    for name, key in (("stride", "stride_length_m"), ("speed", "speed_m_s")):
        if values[key] is not None:
            out[name].append(100.0 * (values[key] / truth[key] - 1.0))
    for side in ("left", "right"):
        key = f"arm_swing_{side}_deg"
        if values[key] is not None and truth[key] >= MIN_ARM_SWING_DEG:
            out["arm swing"].append(100.0 * (values[key] / truth[key] - 1.0))
    return out


def evaluate(fps: float, noise: LifterNoise, distance_m: float, seeds: int) -> tuple[dict, dict[str, float]]:
    """Errors per estimator and quantity over `seeds` x scores 0-3, and the clip's mean duration and strides."""
    errors: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    durations, strides = [], []
    for score in range(4):
        for seed in range(seeds):
            rng = np.random.default_rng(10_000 + 100 * score + seed)
            replay = Replay(sample_subject(f"A{score}", score, rng), rng, fps, distance_m)
            noisy, measured = lifter_observation(replay.trial.joints, fps, np.random.default_rng(seed), noise)
            noisy = noisy.astype(float)
            durations.append(replay.trial.truth["duration_s"])
            strides.append(replay.trial.truth["n_strides"])
            for name, values in _ours(replay, noisy, measured).items():
                errors["ours"][name] += values
            for name, values in _arm_errors(replay, noisy, measured).items():
                errors[name]["arm swing"] += values
            for name, quantities in _stride_errors(replay, noisy).items():
                for quantity, value in quantities.items():
                    errors[name][quantity].append(value)
    return errors, {"duration": float(np.mean(durations)), "strides": float(np.mean(strides))}


def _cell(values: list[float], bound: float) -> str:
    if not values:
        return ""
    values = np.asarray(values)
    worst = values[np.argmax(np.abs(values))]
    beyond = int(np.count_nonzero(np.abs(values) > bound))
    return f"{values.mean():+.1f} / {values.std():.1f} / {worst:+.1f} / {beyond} of {len(values)}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10, help="seeds per score (default 10)")
    parser.add_argument("--only", default="", help="run only the conditions whose name contains this text")
    parser.add_argument("--distances", type=float, nargs="+", default=[10.0, 20.0], help="walk lengths (m) each way")
    args = parser.parse_args()
    print(f"Relative error (%) over {args.seeds} seeds x scores 0-3: mean / SD / worst / trials beyond the bound")
    print(f"(arm swing: arms swinging > {MIN_ARM_SWING_DEG:g} deg, bound 10%; stride and speed: bound 5%)\n")
    columns = ("condition", "walk", "estimator", *BOUNDS)
    print("| " + " | ".join(columns) + " |")
    print("| --- " * len(columns) + "|")
    order = (
        "ours",
        "per-stride",
        "mean cycle",
        "waveform fit",
        "waveform fit, elbow + wrist",
        "true root",
        "recovered root",
    )
    for name, (fps, noise) in CONDITIONS.items():
        if args.only not in name:
            continue
        for distance in args.distances:
            errors, clip = evaluate(fps, noise, distance, args.seeds)
            walk = f"{distance:g} m and back ({clip['duration']:.0f} s, {clip['strides']:.0f} strides)"
            for estimator in order:
                cells = [_cell(errors[estimator][quantity], bound) for quantity, bound in BOUNDS.items()]
                print(f"| {name} | {walk} | {estimator} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
