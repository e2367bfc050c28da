"""Time `extract_gait_parameters` (what `python -m agir.gait` runs) on a 60 s clip at 30 fps, on one core.

`PYTHONPATH=src python benchmarks/gait.py` prints the median of 20 runs (CPU and wall time) for a walking root
(SMPL-22) and for a root-relative 15-joint lifter clip with lifter noise (root recovered from the feet). Target: under
100 ms for the walking root.
"""

from __future__ import annotations

import os

for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_variable] = "1"  # one core, before numpy loads its BLAS

import time  # noqa: E402

import numpy as np  # noqa: E402

from agir.motion.gait_parameters import extract_gait_parameters  # noqa: E402
from agir.motion.synth import lifter_observation, sample_subject, simulate_trial  # noqa: E402

FPS = 30.0
SECONDS = 60.0
RUNS = 20


def sixty_second_clip() -> tuple[np.ndarray, float]:
    """A score-2 walker's 3.10 test long enough to last at least 60 s, cut to 60 s."""
    rng = np.random.default_rng(7)
    subject = sample_subject("bench", 2, rng)
    trial = simulate_trial(subject, rng, fps=FPS, walk_distance_m=SECONDS * subject.speed_m_s / 2.0 + 2.0)
    return trial.joints[: int(SECONDS * FPS)], trial.truth["speed_m_s"]


def median_ms(joints: np.ndarray, measured: np.ndarray | None) -> tuple[float, float]:
    """Median wall time and CPU time (ms): on a shared machine the CPU time is the time on an idle core."""
    extract_gait_parameters(joints, FPS, measured=measured)  # warm-up: filter designs are cached
    wall, cpu = [], []
    for _ in range(RUNS):
        started, started_cpu = time.perf_counter(), time.process_time()
        extract_gait_parameters(joints, FPS, measured=measured)
        wall.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    return 1000.0 * float(np.median(wall)), 1000.0 * float(np.median(cpu))


def main() -> None:
    joints, _ = sixty_second_clip()
    lifted, measured = lifter_observation(joints, FPS, np.random.default_rng(0))
    print(f"clip: {len(joints)} frames at {FPS:g} fps ({len(joints) / FPS:.0f} s), one core, median of {RUNS} runs")
    for name, clip, mask in (("walking root (SMPL-22)", joints, None), ("root-relative lifter15", lifted, measured)):
        wall, cpu = median_ms(clip, mask)
        print(f"{name:<24} {cpu:6.1f} ms CPU, {wall:6.1f} ms wall")


if __name__ == "__main__":
    main()
