"""BVH rigs by joint name: which joint of a CMU, Mixamo, Xsens, Rokoko, Perception Neuron or OptiTrack rig is which
canonical joint.

A BVH joint sits where its bone starts: an upper-leg joint at the hip, a lower-leg joint at the knee, a foot joint at
the ankle, a toe joint at the ball of the foot, an upper-arm joint at the shoulder, a forearm joint at the elbow, a
hand joint at the wrist. The clavicle joint (CMU's LeftShoulder, OptiTrack's LShoulder) sits near the base of the
neck, so SMPL's collar lies half-way from it to the shoulder. Names are compared without a `prefix:` (Mixamo's
`mixamorig:`, a Motive skeleton's name), case, or separators. The rig whose names match the most canonical joints
is used (Mixamo's names are CMU's: its prefix decides); joints it lacks (a second spine joint, the neck) are
completed by `agir.motion.layout_completion`.
"""

from __future__ import annotations

import re

from agir.motion.layout_completion import complete_layout
from agir.motion.skeleton import JointLayout

# Per rig: canonical joint -> its joint name, or two names whose midpoint it is; left side only (mirrored below).
_CMU_LIKE_LEGS_ARMS = {
    "left_hip": "LeftUpLeg",
    "left_knee": "LeftLeg",
    "left_ankle": "LeftFoot",
    "left_foot": "LeftToeBase",
    "left_collar": ("LeftShoulder", "LeftArm"),
    "left_shoulder": "LeftArm",
    "left_elbow": "LeftForeArm",
    "left_wrist": "LeftHand",
}
_LEFT_RIGS: dict[str, dict[str, str | tuple[str, str]]] = {
    "cmu": {"pelvis": "Hips", "spine1": "Spine", "spine2": "Spine1", "neck": "Neck", "head": "Head"}
    | _CMU_LIKE_LEGS_ARMS,
    "mixamo": {"pelvis": "Hips", "spine1": "Spine", "spine2": "Spine1", "spine3": "Spine2", "neck": "Neck"}
    | {"head": "Head"}
    | _CMU_LIKE_LEGS_ARMS,
    "perception_neuron": {"pelvis": "Hips", "spine1": "Spine", "spine2": "Spine1", "spine3": "Spine2"}
    | {"neck": "Neck", "head": "Head"}
    | _CMU_LIKE_LEGS_ARMS
    | {"left_foot": "LeftFootToe"},
    "xsens": {
        "pelvis": "Pelvis",
        "spine1": "L3",
        "spine2": "T12",
        "spine3": "T8",
        "neck": "Neck",
        "head": "Head",
        "left_hip": "LeftUpperLeg",
        "left_knee": "LeftLowerLeg",
        "left_ankle": "LeftFoot",
        "left_foot": "LeftToe",
        "left_collar": ("LeftShoulder", "LeftUpperArm"),
        "left_shoulder": "LeftUpperArm",
        "left_elbow": "LeftForeArm",
        "left_wrist": "LeftHand",
    },
    "rokoko": {"pelvis": "Hips", "spine1": "Spine", "spine2": "Spine2", "spine3": "Spine3", "neck": "Neck"}
    | {"head": "Head"}
    | _CMU_LIKE_LEGS_ARMS
    | {"left_hip": "LeftThigh", "left_knee": "LeftShin", "left_foot": "LeftToe"},
    "optitrack": {
        "pelvis": "Hip",
        "spine1": "Ab",
        "spine3": "Chest",
        "neck": "Neck",
        "head": "Head",
        "left_hip": "LThigh",
        "left_knee": "LShin",
        "left_ankle": "LFoot",
        "left_foot": "LToe",
        "left_collar": ("LShoulder", "LUArm"),
        "left_shoulder": "LUArm",
        "left_elbow": "LFArm",
        "left_wrist": "LHand",
    },
}
REQUIRED = ("left_hip", "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle")


def _mirrored(rig: str, left: str) -> str:
    return "R" + left[1:] if rig == "optitrack" else left.replace("Left", "Right")


def _with_right_side(rig: str, table: dict[str, str | tuple[str, str]]) -> dict[str, str | tuple[str, str]]:
    right = {}
    for joint, names in table.items():
        if joint.startswith("left_"):
            mirrored = tuple(_mirrored(rig, n) for n in names) if isinstance(names, tuple) else _mirrored(rig, names)
            right["right_" + joint[len("left_") :]] = mirrored
    return table | right


RIGS = {rig: _with_right_side(rig, table) for rig, table in _LEFT_RIGS.items()}


def normalized(name: str) -> str:
    """A joint name without any `prefix:`, Mixamo's bare `mixamorig` prefix, case or separators."""
    bare = re.sub(r"[^a-z0-9]", "", name.split(":")[-1].lower())
    return re.sub(r"^mixamorig\d*", "", bare)


def _matches(rig: dict[str, str | tuple[str, str]], index: dict[str, str]) -> dict[str, str | dict[str, float]]:
    found: dict[str, str | dict[str, float]] = {}
    for joint, names in rig.items():
        keys = [normalized(name) for name in (names if isinstance(names, tuple) else (names,))]
        if all(key in index for key in keys):
            found[joint] = index[keys[0]] if len(keys) == 1 else {index[key]: 1.0 / len(keys) for key in keys}
    return found


def rig_layout(joint_names: list[str]) -> JointLayout:
    """The layout of a BVH whose joints (in order) are `joint_names`; ValueError naming the closest rig if its legs
    cannot be found."""
    index: dict[str, str] = {}
    for name in joint_names:
        index.setdefault(normalized(name), name)
    scored = {rig: _matches(table, index) for rig, table in RIGS.items()}
    # Mixamo's names are CMU's; its `mixamorig` prefix tells them apart.
    mixamo = any(re.match(r"mixamorig\d*", name.split(":")[0].lower()) for name in joint_names)
    rig = max(scored, key=lambda name: len(scored[name]) + (name == "mixamo" and mixamo))
    found = scored[rig]
    absent = [joint for joint in REQUIRED if joint not in found]
    if absent:
        wanted = ", ".join(f"{joint} ({RIGS[rig][joint]})" for joint in absent)
        raise ValueError(f"BVH joints match no known rig's legs (closest {rig}: no {wanted})")
    return complete_layout(f"bvh_{rig}", tuple(joint_names), found, f"{rig} joint names")
