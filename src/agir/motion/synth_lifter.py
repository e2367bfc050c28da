"""What a monocular video 3D-pose lifter would write for a synthetic trial, and marker-like ankle points.

Lifter errors modelled (docs/gait_parameters.md, "Real skeletons"): temporally correlated joint jitter of a few cm,
larger along the camera depth axis; bone lengths that wobble by a few percent; feet that skate; the root translation
removed (root-relative output, the pelvis at the origin in every frame); the 15-joint `lifter15` joint set (no spine
joints, toes or collars). Frame rate is the trial's (`simulate_trial(fps=15)` etc.).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.signal import lfilter

from agir.motion.skeleton import JOINT_INDEX, LEFT_ANKLE, LEFT_TOE, RIGHT_ANKLE, RIGHT_TOE, get_layout

LIFTER_LAYOUT = "lifter15"
# Each lifter15 joint's parent: the bones whose length wobbles.
_LIFTER_PARENTS = {
    "left_hip": "pelvis",
    "right_hip": "pelvis",
    "left_knee": "left_hip",
    "right_knee": "right_hip",
    "left_ankle": "left_knee",
    "right_ankle": "right_knee",
    "neck": "pelvis",
    "head": "neck",
    "left_shoulder": "neck",
    "right_shoulder": "neck",
    "left_elbow": "left_shoulder",
    "right_elbow": "right_shoulder",
    "left_wrist": "left_elbow",
    "right_wrist": "right_elbow",
}
MALLEOLUS_HALF_WIDTH_M = 0.035  # ankle joint centre to each malleolus, across the foot


@dataclass(frozen=True)
class LifterNoise:
    """Error model of a video lifter; the defaults give an MPJPE of about 5 cm (published lifters: 40-60 mm)."""

    jitter_m: float = 0.02  # std of each joint's error across the image plane (x right, y up)
    depth_factor: float = 2.0  # std along the camera depth axis, as a multiple of jitter_m
    jitter_time_s: float = 0.08  # correlation time of the jitter
    bone_wobble: float = 0.03  # std of the relative error of each bone length
    wobble_time_s: float = 0.5
    skate_m: float = 0.02  # std of a slow horizontal drift of each ankle: feet that skate
    skate_time_s: float = 1.0
    root_relative: bool = True  # translation removed: the pelvis at the origin in every frame
    camera_yaw_deg: float | None = None  # camera viewing direction about +y; None draws one


def correlated_noise(shape: tuple[int, ...], correlation: float, rng: np.random.Generator) -> np.ndarray:
    """Unit-variance Gaussian noise along axis 0, AR(1) with lag-1 `correlation` (stationary from the first sample)."""
    white = rng.standard_normal(shape)
    white[1:] *= np.sqrt(1.0 - correlation**2)
    return lfilter([1.0], [1.0, -correlation], white, axis=0)


def _noise(shape: tuple[int, ...], fps: float, time_s: float, rng: np.random.Generator) -> np.ndarray:
    return correlated_noise(shape, float(np.exp(-1.0 / (fps * time_s))), rng)


def lifter_observation(
    joints: np.ndarray, fps: float, rng: np.random.Generator, noise: LifterNoise = LifterNoise()
) -> tuple[np.ndarray, np.ndarray]:
    """(frames, 22, 3) canonical joints of a lifter's 15-joint output for canonical `joints`, and the measured mask.

    Order of the errors: bone lengths wobble (along each bone, parents first), ankles skate, every joint jitters in
    the camera frame, then the root translation is removed.
    """
    layout = get_layout(LIFTER_LAYOUT)
    index = {name: i for i, name in enumerate(layout.joints)}
    clean = np.asarray(joints, dtype=float)[:, [JOINT_INDEX[name] for name in layout.joints]]
    frames = len(clean)
    scale = 1.0 + noise.bone_wobble * _noise((frames, len(layout.joints)), fps, noise.wobble_time_s, rng)
    source = clean.copy()
    for child, parent in _LIFTER_PARENTS.items():  # parents come first
        c, p = index[child], index[parent]
        source[:, c] = source[:, p] + scale[:, c, None] * (clean[:, c] - clean[:, p])
    skate = noise.skate_m * _noise((frames, 2, 2), fps, noise.skate_time_s, rng)
    for k, name in enumerate(("left_ankle", "right_ankle")):
        source[:, index[name], 0] += skate[:, k, 0]
        source[:, index[name], 2] += skate[:, k, 1]

    yaw = np.radians(rng.uniform(0.0, 360.0) if noise.camera_yaw_deg is None else noise.camera_yaw_deg)
    depth = np.array([np.sin(yaw), 0.0, np.cos(yaw)])
    right = np.array([np.cos(yaw), 0.0, -np.sin(yaw)])
    up = np.array([0.0, 1.0, 0.0])
    error = _noise((frames, len(layout.joints), 3), fps, noise.jitter_time_s, rng) * noise.jitter_m
    if noise.root_relative:
        error[:, index["pelvis"]] = 0.0  # a lifter's error is that of each joint relative to the root
    source += error[..., :1] * right + error[..., 1:2] * up + noise.depth_factor * error[..., 2:] * depth
    if noise.root_relative:
        source -= source[:, index["pelvis"]][:, None]
    return layout.to_canonical(source), layout.measured_mask


def malleoli(joints: np.ndarray) -> dict[str, np.ndarray]:
    """(frames, 3) lateral and medial malleolus points of each foot, as marker-like ankle points.

    They sit MALLEOLUS_HALF_WIDTH_M either side of the ankle joint centre, across the foot (perpendicular to the
    ankle -> toe direction, horizontally): their midpoint is the joint centre, the lateral one is ~3.5 cm outside it.
    """
    points = {}
    for side, ankle, toe, outward in (("L", LEFT_ANKLE, LEFT_TOE, 1.0), ("R", RIGHT_ANKLE, RIGHT_TOE, -1.0)):
        along = joints[:, toe] - joints[:, ankle]
        across = np.stack([along[:, 2], np.zeros(len(along)), -along[:, 0]], axis=-1)  # the foot's left
        across *= outward * MALLEOLUS_HALF_WIDTH_M / np.linalg.norm(across, axis=-1, keepdims=True)
        points[f"{side}.Ankle"] = joints[:, ankle] + across
        points[f"{side}.Ankle.Medial"] = joints[:, ankle] - across
    return points
