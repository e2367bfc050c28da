"""Which way is up, and which side is left: canonical joints turned y up by a proper rotation, sides checked.

Any of +x, -x, +y, -y, +z, -z may be up: video lifters work in camera coordinates (y down), Vicon labs in z up,
some tools in x up. The up axis is turned onto +y by a rotation (det +1): a rotation keeps the body's chirality,
whereas swapping two axes would mirror it and turn every left joint into a right one.

A rotation cannot repair a file whose own labels put left on the body's right (a left-handed coordinate system, or a
lifter with the opposite side convention). `sides_swapped` checks this geometrically: with y up and the body facing
forward, its left lies along up x forward. Forward is where the toes point from the ankles (which also holds when
walking backwards), or else where the pelvis travels.
"""

from __future__ import annotations

import numpy as np

from agir.motion.skeleton import (
    JOINT_INDEX,
    LEFT_ANKLE,
    LEFT_HIP,
    LEFT_TOE,
    PELVIS,
    RIGHT_ANKLE,
    RIGHT_HIP,
    RIGHT_TOE,
    SMPL22_JOINTS,
)

# Each rotation R maps the named axis onto +y (R @ axis = +y); all have det +1.
UP_ROTATIONS: dict[str, np.ndarray] = {
    "+y": np.eye(3),
    "-y": np.array([[1.0, 0.0, 0.0], [0.0, -1.0, 0.0], [0.0, 0.0, -1.0]]),  # 180 degrees about x
    "+z": np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, -1.0, 0.0]]),  # -90 degrees about x
    "-z": np.array([[1.0, 0.0, 0.0], [0.0, 0.0, -1.0], [0.0, 1.0, 0.0]]),  # +90 degrees about x
    "+x": np.array([[0.0, -1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]),  # +90 degrees about z
    "-x": np.array([[0.0, 1.0, 0.0], [-1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]),  # -90 degrees about z
}
UP_CHOICES = ("auto", *UP_ROTATIONS, "x", "y", "z")
# The up axis must carry most of the head-above-ankles vector; a body lying down has no clear up.
MIN_UP_SHARE = 0.8
# Side check: frames whose forward estimate is this clear (toe ahead of ankle, or pelvis speed) take part,
# and this share of them must agree before the sides are called swapped.
MIN_TOE_REACH_M = 0.03
MIN_SPEED_M_S = 0.2
MIN_AGREEMENT = 0.9
MIN_DECIDING_FRAMES = 5
MIRRORED_PAIRS = [
    (JOINT_INDEX[name], JOINT_INDEX["right_" + name[len("left_") :]])
    for name in SMPL22_JOINTS
    if name.startswith("left_")
]


def parse_up(up: str) -> str:
    """`auto`, or a signed axis such as `+y`/`-z`; a bare axis (`z`) means its positive direction."""
    text = str(up).strip().lower()
    if text not in UP_CHOICES:
        raise ValueError(f"unknown up axis {up!r}; use auto, x, y, z, +x, -x, +y, -y, +z or -z")
    return text if text == "auto" or text[0] in "+-" else "+" + text


def head_above_ankles(joints: np.ndarray) -> np.ndarray:
    """(3,) median head-minus-ankle-midpoint vector of canonical joints."""
    ankles = (joints[:, LEFT_ANKLE] + joints[:, RIGHT_ANKLE]) / 2
    return np.median(joints[:, JOINT_INDEX["head"]] - ankles, axis=0)


def detect_up(joints: np.ndarray) -> str | None:
    """The signed axis the head is above the ankles along, or None when no axis clearly carries it."""
    vector = head_above_ankles(joints)
    axis = int(np.argmax(np.abs(vector)))
    norm = float(np.linalg.norm(vector))
    if norm == 0 or abs(vector[axis]) < MIN_UP_SHARE * norm:
        return None
    return ("+" if vector[axis] > 0 else "-") + "xyz"[axis]


def rotate_to_y_up(joints: np.ndarray, up: str) -> np.ndarray:
    """(frames, J, 3) joints with the signed axis `up` turned onto +y."""
    return joints @ UP_ROTATIONS[up].T


def sides_swapped(joints: np.ndarray, measured: np.ndarray, fps: float) -> bool | None:
    """Whether the joints labelled left lie on the body's right (y up, metres); None when it cannot be told."""
    across = joints[:, LEFT_HIP] - joints[:, RIGHT_HIP]
    if measured[[LEFT_TOE, RIGHT_TOE]].all():
        forward = (joints[:, LEFT_TOE] + joints[:, RIGHT_TOE] - joints[:, LEFT_ANKLE] - joints[:, RIGHT_ANKLE]) / 2
        clear = np.linalg.norm(forward[:, [0, 2]], axis=-1) > MIN_TOE_REACH_M
    else:
        forward = np.gradient(joints[:, PELVIS], axis=0) * fps
        clear = np.linalg.norm(forward[:, [0, 2]], axis=-1) > MIN_SPEED_M_S
    # up x forward with up = +y is (forward_z, 0, -forward_x): the body's left.
    side = across[:, 0] * forward[:, 2] - across[:, 2] * forward[:, 0]
    votes = np.sign(side[clear])
    if len(votes) < MIN_DECIDING_FRAMES:
        return None
    if np.mean(votes < 0) >= MIN_AGREEMENT:
        return True
    if np.mean(votes > 0) >= MIN_AGREEMENT:
        return False
    return None


def swap_sides(joints: np.ndarray, measured: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Exchange every left canonical joint with its right counterpart."""
    order = np.arange(joints.shape[1])
    for left, right in MIRRORED_PAIRS:
        order[left], order[right] = right, left
    return joints[:, order], measured[order]
