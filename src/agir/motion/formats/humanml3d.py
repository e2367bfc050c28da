"""HumanML3D: joints recovered from its 263-d per-frame feature vectors (`new_joint_vecs/*.npy`).

HumanML3D (Guo et al. 2022) stores SMPL-22 joints in metres, y up, at 20 fps. Its `new_joints/*.npy` are plain
(frames, 22, 3) arrays (read by the `.npy` reader, fps 20); `new_joint_vecs/*.npy` hold, per frame t:

    [0]        root yaw velocity: half the heading change from t to t+1 (the y-part of a quaternion step)
    [1:3]      root linear velocity from t to t+1 in (x, z), expressed in the heading of frame t+1
    [3]        root height
    [4:67]     joints 1..21 relative to the root in (x, z) and absolute in y, in the heading of frame t
    [67:193]   joint rotations (6-d), [193:259] joint velocities, [259:263] foot contacts: not needed here

The joints are recovered as HumanML3D's `recover_from_ric` does: integrate the heading (frame 0 faces +z) and the
root's ground path, rotate the local positions back and add the root. Model outputs are normalised with the
dataset's Mean.npy/Std.npy: pass them to `recover_joints` (the `humanml3d` corpus source does for `feature_stats`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from agir.motion.features import rotate_y
from agir.motion.io import MotionFileError, RawMotion, numpy_errors, register_feature_decoder

FEATURE_DIM = 263
JOINTS = 22
FPS = 20.0
RIC = slice(4, 4 + (JOINTS - 1) * 3)


def recover_joints(features: np.ndarray, mean: np.ndarray | None = None, std: np.ndarray | None = None) -> np.ndarray:
    """(frames, 263) features (normalised ones with their mean and std) -> (frames, 22, 3) joints."""
    features = np.asarray(features, dtype=np.float64)
    if mean is not None and std is not None:
        features = features * std + mean
    frames = len(features)
    # Heading angle: HumanML3D's quaternion (cos a, 0, sin a, 0) is a turn of 2a, +z towards +x when undone.
    half_angle = np.concatenate([[0.0], np.cumsum(features[:-1, 0])])
    heading = -2.0 * half_angle
    steps = np.zeros((frames, 3))
    steps[1:, [0, 2]] = features[:-1, 1:3]
    root = np.cumsum(rotate_y(steps, heading), axis=0)
    root[:, 1] = features[:, 3]
    local = features[:, RIC].reshape(frames, JOINTS - 1, 3)
    joints = rotate_y(local, heading)
    joints[..., [0, 2]] += root[:, None, [0, 2]]
    return np.concatenate([root[:, None], joints], axis=1)


def load_stats(folder: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """Mean.npy and Std.npy of a HumanML3D folder, each (263,)."""
    arrays = []
    for name in ("Mean.npy", "Std.npy"):
        path = Path(folder) / name
        with numpy_errors(path):
            array = np.load(path, allow_pickle=False)
        if array.shape != (FEATURE_DIM,):
            raise MotionFileError(path, f"shaped {array.shape}, expected ({FEATURE_DIM},)")
        arrays.append(array.astype(np.float64))
    return arrays[0], arrays[1]


@register_feature_decoder(FEATURE_DIM)
def decode_features(
    path: Path, features: np.ndarray, mean: np.ndarray | None = None, std: np.ndarray | None = None
) -> RawMotion:
    if features.dtype.kind not in "iuf" or features.ndim != 2 or features.shape[1] != FEATURE_DIM:
        raise MotionFileError(
            path, f"feature array {features.dtype} {features.shape}, expected numbers shaped (frames, {FEATURE_DIM})"
        )
    bad = ~np.isfinite(features).all(axis=1)
    if bad.any():
        raise MotionFileError(
            path,
            f"{int(bad.sum())} of {len(features)} feature vectors contain NaN or inf "
            f"(first: frame {int(np.argmax(bad))})",
        )
    return RawMotion(recover_joints(features, mean, std), FPS, "smpl22", units="m", up="y")
