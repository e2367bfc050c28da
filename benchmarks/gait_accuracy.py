"""Accuracy of `agir.motion.gait_parameters` on the synthetic walker, per recording condition.

`PYTHONPATH=src python benchmarks/gait_accuracy.py [--seeds 10] [--only TEXT]` prints a Markdown table: for each
condition, the worst relative error (%) over seeds x scores 0-3 of speed, stride length, cadence, step width and arm
swing (swings above 20 degrees only: below, video jitter of ~1 degree is already 5%), the phantom freezing episodes
(found beyond the truth), the trials with a negative step length, and how many values of each of those parameters
came back null (of all of them: every trial, every arm whatever its swing); the worst errors are over the values not
null.

Conditions: clean mocap (SMPL-22, 30 fps); markers (120 fps, the ankle joint centre taken as the midpoint of
synthetic lateral and medial malleolus points); root-relative (15-joint lifter layout, translation removed, no
noise); lifter noise at 30 and 15 fps (root-relative, 15 joints, `LifterNoise()` defaults, and at half the jitter);
curved path (circle and figure-eight of radius 1.5 m, 12 m); shuffling at 0.2 m/s.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import numpy as np

from agir.motion.gait_parameters import extract_gait_parameters
from agir.motion.skeleton import LEFT_ANKLE, RIGHT_ANKLE
from agir.motion.synth import LifterNoise, lifter_observation, malleoli, sample_subject, shuffler, simulate_trial

KEYS = ("speed_m_s", "stride_length_m", "cadence_steps_min", "step_width_m")
ARMS = ("arm_swing_left_deg", "arm_swing_right_deg")
MIN_ARM_SWING_DEG = 20.0


def _clean(subject, rng, seed):
    trial = simulate_trial(subject, rng, fps=30.0)
    return trial, trial.joints, None


def _markers(subject, rng, seed):
    trial = simulate_trial(subject, rng, fps=120.0)
    joints = trial.joints.copy()
    points = malleoli(joints)
    joints[:, LEFT_ANKLE] = (points["L.Ankle"] + points["L.Ankle.Medial"]) / 2.0
    joints[:, RIGHT_ANKLE] = (points["R.Ankle"] + points["R.Ankle.Medial"]) / 2.0
    return trial, joints, None


def _lifter(fps: float, noise: LifterNoise) -> Callable:
    def make(subject, rng, seed):
        trial = simulate_trial(subject, rng, fps=fps)
        joints, measured = lifter_observation(trial.joints, fps, np.random.default_rng(seed), noise)
        return trial, joints, measured

    return make


def _curved(subject, rng, seed):
    trial = simulate_trial(subject, rng, fps=30.0, path=("circle", "figure_eight")[seed % 2], walk_distance_m=12.0)
    return trial, trial.joints, None


def _shuffling(subject, rng, seed):
    trial = simulate_trial(shuffler(subject), rng, fps=30.0)
    return trial, trial.joints, None


NO_NOISE = LifterNoise(jitter_m=0.0, bone_wobble=0.0, skate_m=0.0)
HALF = LifterNoise(jitter_m=LifterNoise().jitter_m / 2.0)
CONDITIONS: dict[str, Callable] = {
    "clean mocap, 30 fps": _clean,
    "markers (malleoli midpoint), 120 fps": _markers,
    "root-relative, lifter15, no noise": _lifter(30.0, NO_NOISE),
    "lifter noise, 30 fps (1 / 2 cm jitter)": _lifter(30.0, HALF),
    "lifter noise, 15 fps (1 / 2 cm jitter)": _lifter(15.0, HALF),
    "lifter noise, 30 fps (2 / 4 cm jitter)": _lifter(30.0, LifterNoise()),
    "lifter noise, 15 fps (2 / 4 cm jitter)": _lifter(15.0, LifterNoise()),
    "curved path (circle, figure-eight)": _curved,
    "shuffling at 0.2 m/s": _shuffling,
}


def evaluate(make: Callable, seeds: int) -> dict[str, float | int | str | None]:
    """Worst errors (None where every value was null) and failure counts of one condition over `seeds` x scores 0-3;
    'nulls' names how many values of each parameter came back null."""
    worst: dict[str, float | None] = dict.fromkeys((*KEYS, "arm_swing"))
    phantom = negative = 0
    nulls, totals = dict.fromkeys(worst, 0), dict.fromkeys(worst, 0)
    for score in range(4):
        for seed in range(seeds):
            rng = np.random.default_rng(10_000 + 100 * score + seed)
            trial, joints, measured = make(sample_subject(f"A{score}", score, rng), rng, seed)
            values = extract_gait_parameters(joints, trial.fps, measured=measured).values
            pairs = [(key, key) for key in KEYS] + [("arm_swing", arm) for arm in ARMS]
            for name, key in pairs:
                totals[name] += 1
                if values[key] is None:
                    nulls[name] += 1
                    continue
                truth = trial.truth[key]
                if name == "arm_swing" and truth < MIN_ARM_SWING_DEG:
                    continue
                error = 100.0 * (values[key] / truth - 1.0)
                worst[name] = error if worst[name] is None or abs(error) > abs(worst[name]) else worst[name]
            phantom += max(0, (values["freezing_episodes"] or 0) - trial.truth["freezing_episodes"])
            steps = [values[k] for k in ("step_length_left_m", "step_length_right_m") if values[k] is not None]
            negative += any(step < 0 for step in steps)
    named = ", ".join(
        f"{count}/{totals[name]} {name.replace('_m_s', '').replace('_m', '').replace('_', ' ')}"
        for name, count in nulls.items()
        if count
    )
    return {**worst, "phantom freezing": phantom, "negative step": negative, "nulls": named or "0"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10, help="seeds per score (default 10)")
    parser.add_argument("--only", default="", help="run only the conditions whose name contains this text")
    args = parser.parse_args()
    columns = ("speed", "stride", "cadence", "step width", "arm swing", "phantom freezing", "negative step", "nulls")
    print(f"Worst error (%) over {args.seeds} seeds x scores 0-3 (arm swing: swings > {MIN_ARM_SWING_DEG:g} deg)\n")
    print("| condition | " + " | ".join(columns) + " |")
    print("| --- " * (len(columns) + 1) + "|")
    for name, make in CONDITIONS.items():
        if args.only not in name:
            continue
        started = time.perf_counter()
        result = evaluate(make, args.seeds)
        cells = ["all null" if result[k] is None else f"{result[k]:+.1f}" for k in (*KEYS, "arm_swing")] + [
            str(result[k]) for k in ("phantom freezing", "negative step", "nulls")
        ]
        print(f"| {name} | " + " | ".join(cells) + f" |  <!-- {time.perf_counter() - started:.0f} s -->", flush=True)


if __name__ == "__main__":
    main()
