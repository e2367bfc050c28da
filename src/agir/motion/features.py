"""Root normalization and per-frame motion features with an exact inverse (HumanML3D-like).

`normalize` moves a clip so its first-frame pelvis is at x=z=0, its first-frame facing is +z and the lowest foot
point of the clip is on y=0; the removed root trajectory is kept in a `RootTrajectory`. Facing is the horizontal
direction perpendicular to the body's left-right axis (hips plus shoulders), so with y up the body's left is +x.

Feature vector of frame t (FEATURE_DIM = 137), built from the normalized clip:

    [0]        root (pelvis) height
    [1:3]      root horizontal displacement to frame t+1, in frame t's facing frame (x, z)
    [3]        facing (yaw) change to frame t+1, radians
    [4:67]     the 21 non-root joints relative to the root in frame t's facing frame (x, z), with absolute height y
    [67:133]   displacement of all 22 joints to frame t+1, in frame t's facing frame
    [133:137]  foot contacts: left heel, left toe, right heel, right toe (0 or 1)

Facing frame t = rotated about +y by frame t's yaw. Velocities are per-frame displacements (metres or radians per
frame), so the inverse needs no frame rate; the last frame repeats the displacement before it. The inverse starts
at the origin facing +z, as the normalized clip does, integrates yaw and root displacement exactly as the forward
pass differentiated them, and places the joints from their root-relative positions: T frames in, T frames out.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from agir.motion.skeleton import (
    LEFT_ANKLE,
    LEFT_HIP,
    LEFT_SHOULDER,
    LEFT_TOE,
    NUM_JOINTS,
    PELVIS,
    RIGHT_ANKLE,
    RIGHT_HIP,
    RIGHT_SHOULDER,
    RIGHT_TOE,
)

ROOT_HEIGHT = slice(0, 1)
ROOT_VELOCITY = slice(1, 3)
ROOT_YAW_VELOCITY = slice(3, 4)
LOCAL_POSITIONS = slice(4, 4 + (NUM_JOINTS - 1) * 3)
JOINT_VELOCITIES = slice(LOCAL_POSITIONS.stop, LOCAL_POSITIONS.stop + NUM_JOINTS * 3)
FOOT_CONTACTS = slice(JOINT_VELOCITIES.stop, JOINT_VELOCITIES.stop + 4)
FEATURE_DIM = FOOT_CONTACTS.stop

FOOT_JOINTS = (LEFT_ANKLE, LEFT_TOE, RIGHT_ANKLE, RIGHT_TOE)  # the order of the contact channels
# A foot joint is in contact when it is slower than this and within this height of its lowest point in the clip.
CONTACT_SPEED_M_S = 0.25
CONTACT_HEIGHT_M = 0.05


@dataclass
class RootTrajectory:
    """What normalization removes: the pelvis path and facing in the original frame, and the floor height."""

    position: np.ndarray  # (frames, 3) pelvis in the original frame
    yaw: np.ndarray  # (frames,) facing angle about +y in the original frame; 0 = facing +z
    floor: float  # original height of the lowest foot point, which normalization puts at y=0


def facing_yaw(joints: np.ndarray) -> np.ndarray:
    """(frames,) yaw about +y of the facing direction, from the hips' and shoulders' left-right axis."""
    across = (joints[:, LEFT_HIP] - joints[:, RIGHT_HIP]) + (joints[:, LEFT_SHOULDER] - joints[:, RIGHT_SHOULDER])
    # forward = across x up, horizontal by construction: (-across_z, 0, across_x)
    forward_x, forward_z = -across[:, 2], across[:, 0]
    flat = np.hypot(forward_x, forward_z) < 1e-8
    if flat.any():
        raise ValueError(
            f"cannot tell facing: hips and shoulders have no left-right extent at frame {int(np.argmax(flat))}"
        )
    return np.arctan2(forward_x, forward_z)


def normalize(joints: np.ndarray) -> tuple[np.ndarray, RootTrajectory]:
    """Canonical joints -> (normalized joints, removed root trajectory); see the module docstring."""
    joints = _checked_joints(joints).astype(np.float64)
    yaw = facing_yaw(joints)
    floor = float(joints[:, FOOT_JOINTS, 1].min())
    origin = np.array([joints[0, PELVIS, 0], floor, joints[0, PELVIS, 2]])
    normalized = rotate_y(joints - origin, -yaw[0])
    return normalized.astype(np.float32), RootTrajectory(joints[:, PELVIS].copy(), yaw, floor)


def denormalize(joints: np.ndarray, root: RootTrajectory) -> np.ndarray:
    """Put normalized joints back where `normalize` found them."""
    origin = np.array([root.position[0, 0], root.floor, root.position[0, 2]])
    return (rotate_y(np.asarray(joints, dtype=np.float64), root.yaw[0]) + origin).astype(np.float32)


def foot_contacts(joints: np.ndarray, fps: float) -> np.ndarray:
    """(frames, 4) float32 in {0, 1}: left heel, left toe, right heel, right toe on the ground and still."""
    feet = _checked_joints(joints)[:, FOOT_JOINTS].astype(np.float64)
    if len(feet) < 2:
        raise ValueError(f"foot contacts need at least 2 frames, got {len(feet)}")
    speed = np.linalg.norm(np.gradient(feet, axis=0), axis=-1) * fps
    height = feet[..., 1] - feet[..., 1].min(axis=0)
    return ((speed < CONTACT_SPEED_M_S) & (height < CONTACT_HEIGHT_M)).astype(np.float32)


def joints_to_features(joints: np.ndarray, fps: float = 30.0) -> np.ndarray:
    """(frames >= 2, 22, 3) canonical joints -> (frames, FEATURE_DIM) float32; fps only scales contact speeds."""
    normalized, root = normalize(joints)
    positions = normalized.astype(np.float64)
    yaw = root.yaw - root.yaw[0]  # exactly 0 at frame 0, where the inverse starts
    if len(positions) < 2:
        raise ValueError(f"features need at least 2 frames, got {len(positions)}")
    pelvis = positions[:, PELVIS]
    relative = positions - pelvis[:, None]
    relative[..., 1] = positions[..., 1]  # heights stay absolute
    features = np.empty((len(positions), FEATURE_DIM))
    features[:, ROOT_HEIGHT] = pelvis[:, 1:2]
    features[:, ROOT_VELOCITY] = rotate_y(_next_step(pelvis), -yaw)[:, [0, 2]]
    features[:, ROOT_YAW_VELOCITY] = _wrap_angle(_next_step(yaw))[:, None]
    features[:, LOCAL_POSITIONS] = rotate_y(relative[:, 1:], -yaw).reshape(len(positions), -1)
    features[:, JOINT_VELOCITIES] = rotate_y(_next_step(positions), -yaw).reshape(len(positions), -1)
    features[:, FOOT_CONTACTS] = foot_contacts(positions, fps)
    return features.astype(np.float32)


def features_to_joints(features: np.ndarray) -> np.ndarray:
    """(frames, FEATURE_DIM) features -> (frames, 22, 3) float32 normalized joints (inverse of joints_to_features)."""
    features = np.asarray(features, dtype=np.float64)
    if features.ndim != 2 or features.shape[1] != FEATURE_DIM:
        raise ValueError(f"features must be (frames, {FEATURE_DIM}), got {features.shape}")
    frames = len(features)
    yaw = np.concatenate([[0.0], np.cumsum(features[:-1, ROOT_YAW_VELOCITY.start])])
    step = np.zeros((frames, 3))
    step[:, [0, 2]] = features[:, ROOT_VELOCITY]
    pelvis = np.concatenate([np.zeros((1, 3)), np.cumsum(rotate_y(step, yaw)[:-1], axis=0)])
    pelvis[:, 1] = features[:, ROOT_HEIGHT.start]
    local = features[:, LOCAL_POSITIONS].reshape(frames, NUM_JOINTS - 1, 3)
    joints = np.empty((frames, NUM_JOINTS, 3))
    joints[:, PELVIS] = pelvis
    joints[:, 1:] = rotate_y(local, yaw) + pelvis[:, None]
    joints[:, 1:, 1] = local[..., 1]
    return joints.astype(np.float32)


def _checked_joints(joints: np.ndarray) -> np.ndarray:
    joints = np.asarray(joints)
    if joints.ndim != 3 or joints.shape[1:] != (NUM_JOINTS, 3) or len(joints) == 0:
        raise ValueError(f"joints must be (frames, {NUM_JOINTS}, 3) with frames >= 1, got {joints.shape}")
    if not np.isfinite(joints).all():
        raise ValueError("joints contain NaN or inf values")
    return joints


def rotate_y(points: np.ndarray, angle: np.ndarray | float) -> np.ndarray:
    """Rotate (frames, ..., 3) points about +y by a per-frame (or single) angle; +z turns towards +x."""
    angle = np.asarray(angle, dtype=np.float64).reshape((-1,) + (1,) * (points.ndim - 2))
    cos, sin = np.cos(angle), np.sin(angle)
    x, y, z = points[..., 0], points[..., 1], points[..., 2]
    return np.stack([cos * x + sin * z, y, cos * z - sin * x], axis=-1)


def _next_step(values: np.ndarray) -> np.ndarray:
    """Per-frame change to the next frame; the last frame repeats the change before it."""
    steps = np.diff(values, axis=0)
    return np.concatenate([steps, steps[-1:]])


def _wrap_angle(angle: np.ndarray) -> np.ndarray:
    return (angle + np.pi) % (2 * np.pi) - np.pi
