"""Joint layouts and their mapping to AGIR's canonical skeleton (22 SMPL body joints, metres, y up).

Every canonical joint is a weighted sum of source joints: one joint copied as is, or a documented interpolation
(e.g. a spine joint half-way between two measured ones). A canonical joint that a layout does not measure at all is
*missing*: it is placed on its parent (a zero-length bone) and flagged in the returned mask, so downstream code can
refuse or null what depends on it instead of trusting a guess.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

SMPL22_JOINTS: tuple[str, ...] = (
    "pelvis",
    "left_hip",
    "right_hip",
    "spine1",
    "left_knee",
    "right_knee",
    "spine2",
    "left_ankle",
    "right_ankle",
    "spine3",
    "left_foot",
    "right_foot",
    "neck",
    "left_collar",
    "right_collar",
    "head",
    "left_shoulder",
    "right_shoulder",
    "left_elbow",
    "right_elbow",
    "left_wrist",
    "right_wrist",
)
SMPL22_PARENTS: tuple[int, ...] = (-1, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 9, 9, 12, 13, 14, 16, 17, 18, 19)
NUM_JOINTS = len(SMPL22_JOINTS)
JOINT_INDEX: dict[str, int] = {name: i for i, name in enumerate(SMPL22_JOINTS)}

# Canonical joints by role, used by features and gait analysis.
PELVIS = JOINT_INDEX["pelvis"]
LEFT_HIP, RIGHT_HIP = JOINT_INDEX["left_hip"], JOINT_INDEX["right_hip"]
LEFT_ANKLE, RIGHT_ANKLE = JOINT_INDEX["left_ankle"], JOINT_INDEX["right_ankle"]
LEFT_TOE, RIGHT_TOE = JOINT_INDEX["left_foot"], JOINT_INDEX["right_foot"]
LEFT_SHOULDER, RIGHT_SHOULDER = JOINT_INDEX["left_shoulder"], JOINT_INDEX["right_shoulder"]
LEFT_ELBOW, RIGHT_ELBOW = JOINT_INDEX["left_elbow"], JOINT_INDEX["right_elbow"]
NECK = JOINT_INDEX["neck"]

# A joint is either copied from one source joint, a weighted blend of several, or not measured (None).
JointSource = str | dict[str, float] | None


@dataclass(frozen=True)
class JointLayout:
    """A named source skeleton and how each canonical SMPL-22 joint is obtained from it."""

    name: str
    joints: tuple[str, ...]
    to_smpl22: dict[str, JointSource]
    description: str = ""
    # What a reader should tell the user about a layout built for one file (joints placed rather than measured).
    notes: tuple[str, ...] = field(default=(), compare=False)
    _matrix: np.ndarray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        unknown = set(self.to_smpl22) - set(SMPL22_JOINTS)
        absent = set(SMPL22_JOINTS) - set(self.to_smpl22)
        if unknown or absent:
            raise ValueError(
                f"layout {self.name}: mapping must name every SMPL-22 joint exactly "
                f"(unknown {sorted(unknown)}, absent {sorted(absent)})"
            )
        index = {name: i for i, name in enumerate(self.joints)}
        matrix = np.zeros((NUM_JOINTS, len(self.joints)), dtype=np.float64)
        for target, source in self.to_smpl22.items():
            weights = {source: 1.0} if isinstance(source, str) else (source or {})
            for joint, weight in weights.items():
                matrix[JOINT_INDEX[target], index[joint]] = weight
        sums = matrix.sum(axis=1)
        if not np.all(np.isclose(sums, 1.0) | np.isclose(sums, 0.0)):
            raise ValueError(f"layout {self.name}: blend weights of each joint must sum to 1")
        object.__setattr__(self, "_matrix", matrix)

    @property
    def num_joints(self) -> int:
        return len(self.joints)

    @property
    def missing(self) -> tuple[str, ...]:
        """Canonical joints this layout does not measure."""
        return tuple(name for name in SMPL22_JOINTS if self.to_smpl22[name] is None)

    @property
    def measured_mask(self) -> np.ndarray:
        """(22,) bool: True where the canonical joint comes from measured source joints."""
        return np.array([self.to_smpl22[name] is not None for name in SMPL22_JOINTS])

    def to_canonical(self, joints: np.ndarray) -> np.ndarray:
        """Map (frames, J, 3) source joints to (frames, 22, 3) canonical joints; missing joints sit on their parent."""
        if joints.ndim != 3 or joints.shape[1:] != (self.num_joints, 3):
            raise ValueError(f"layout {self.name} expects (frames, {self.num_joints}, 3), got {tuple(joints.shape)}")
        canonical = np.einsum("cj,tjd->tcd", self._matrix, joints)
        for joint in np.flatnonzero(~self.measured_mask):  # parents precede children in SMPL order
            canonical[:, joint] = canonical[:, SMPL22_PARENTS[joint]]
        return canonical.astype(np.float32)


def _mid(a: str, b: str, t: float = 0.5) -> dict[str, float]:
    """A point a fraction t of the way from joint a to joint b."""
    return {a: 1.0 - t, b: t} if a != b else {a: 1.0}


SMPL24_JOINTS = SMPL22_JOINTS + ("left_hand", "right_hand")

H36M17_JOINTS: tuple[str, ...] = (
    "hip",
    "right_hip",
    "right_knee",
    "right_ankle",
    "left_hip",
    "left_knee",
    "left_ankle",
    "spine",
    "thorax",
    "neck_nose",
    "head",
    "left_shoulder",
    "left_elbow",
    "left_wrist",
    "right_shoulder",
    "right_elbow",
    "right_wrist",
)

KINECT25_JOINTS: tuple[str, ...] = (
    "spine_base",
    "spine_mid",
    "neck",
    "head",
    "shoulder_left",
    "elbow_left",
    "wrist_left",
    "hand_left",
    "shoulder_right",
    "elbow_right",
    "wrist_right",
    "hand_right",
    "hip_left",
    "knee_left",
    "ankle_left",
    "foot_left",
    "hip_right",
    "knee_right",
    "ankle_right",
    "foot_right",
    "spine_shoulder",
    "hand_tip_left",
    "thumb_left",
    "hand_tip_right",
    "thumb_right",
)


def _blend(*parts: tuple[dict[str, float], float]) -> dict[str, float]:
    """Weighted sum of blends (weights summing to 1): e.g. 90 % of the pelvis-marker centre plus 10 % of the neck's."""
    weights: dict[str, float] = {}
    for blend, share in parts:
        for joint, weight in blend.items():
            weights[joint] = weights.get(joint, 0.0) + weight * share
    return weights


# CMU motion-capture BVH (the cgspeed conversion of the CMU ASF/AMC skeleton). A BVH joint sits where its bone
# starts: LeftUpLeg at the hip, LeftLeg at the knee, LeftFoot at the ankle, LeftToeBase at the ball of the foot,
# LeftArm at the shoulder, LeftForeArm at the elbow, LeftHand at the wrist, Neck at the base of the neck and Head at
# the base of the skull, as SMPL's neck and head joints. Other joints of the file (LHipJoint, LowerBack, Neck1,
# fingers, thumbs) are not read.
CMU_BVH_JOINTS: tuple[str, ...] = (
    "Hips",
    "LeftUpLeg",
    "LeftLeg",
    "LeftFoot",
    "LeftToeBase",
    "RightUpLeg",
    "RightLeg",
    "RightFoot",
    "RightToeBase",
    "Spine",
    "Spine1",
    "Neck",
    "Head",
    "LeftShoulder",
    "LeftArm",
    "LeftForeArm",
    "LeftHand",
    "RightShoulder",
    "RightArm",
    "RightForeArm",
    "RightHand",
)

# 15-joint output of monocular video lifters without spine, nose, toes or collars (pelvis at the root). Joints are
# named here as in SMPL; side conventions differ between projects, so a file's left/right is checked by the reader.
LIFTER15_JOINTS: tuple[str, ...] = (
    "pelvis",
    "left_hip",
    "left_knee",
    "left_ankle",
    "right_hip",
    "right_knee",
    "right_ankle",
    "neck",
    *H36M17_JOINTS[H36M17_JOINTS.index("head") :],  # head and arms, named and ordered as in Human3.6M
)

LAYOUTS: dict[str, JointLayout] = {
    layout.name: layout
    for layout in (
        JointLayout(
            "smpl22",
            SMPL22_JOINTS,
            {name: name for name in SMPL22_JOINTS},
            "SMPL body joints 0-21 (HumanML3D, CARE-PD joints)",
        ),
        JointLayout(
            "smpl24",
            SMPL24_JOINTS,
            {name: name for name in SMPL22_JOINTS},
            "SMPL joints 0-23; the two hand joints are dropped",
        ),
        JointLayout(
            "h36m17",
            H36M17_JOINTS,
            {
                "pelvis": "hip",
                "left_hip": "left_hip",
                "right_hip": "right_hip",
                "spine1": _mid("hip", "spine"),
                "spine2": "spine",
                "spine3": _mid("spine", "thorax"),
                "left_knee": "left_knee",
                "right_knee": "right_knee",
                "left_ankle": "left_ankle",
                "right_ankle": "right_ankle",
                "left_foot": None,
                "right_foot": None,  # Human3.6M has no toe joints
                "neck": "thorax",
                "head": "neck_nose",
                "left_collar": _mid("thorax", "left_shoulder"),
                "right_collar": _mid("thorax", "right_shoulder"),
                "left_shoulder": "left_shoulder",
                "right_shoulder": "right_shoulder",
                "left_elbow": "left_elbow",
                "right_elbow": "right_elbow",
                "left_wrist": "left_wrist",
                "right_wrist": "right_wrist",
            },
            "Human3.6M 17 joints (VideoPose3D/MotionBERT order); no toes: foot joints are missing",
        ),
        JointLayout(
            "lifter15",
            LIFTER15_JOINTS,
            {
                **{name: name for name in LIFTER15_JOINTS},  # named as in SMPL
                "spine1": _mid("pelvis", "neck", 0.2),
                "spine2": _mid("pelvis", "neck", 0.5),
                "spine3": _mid("pelvis", "neck", 0.6),
                "left_foot": None,
                "right_foot": None,  # no toe joints
                "left_collar": _mid("neck", "left_shoulder"),
                "right_collar": _mid("neck", "right_shoulder"),
            },
            "15-joint video-lifter skeleton (pelvis, hips, knees, ankles, neck, head, shoulders, elbows, wrists); "
            "spine joints interpolated pelvis -> neck, no toes",
        ),
        JointLayout(
            "kinect25",
            KINECT25_JOINTS,
            {
                "pelvis": "spine_base",
                "left_hip": "hip_left",
                "right_hip": "hip_right",
                "spine1": _mid("spine_base", "spine_mid"),
                "spine2": "spine_mid",
                "spine3": _mid("spine_mid", "spine_shoulder"),
                "left_knee": "knee_left",
                "right_knee": "knee_right",
                "left_ankle": "ankle_left",
                "right_ankle": "ankle_right",
                "left_foot": "foot_left",
                "right_foot": "foot_right",
                "neck": "spine_shoulder",
                "head": "head",
                "left_collar": _mid("spine_shoulder", "shoulder_left"),
                "right_collar": _mid("spine_shoulder", "shoulder_right"),
                "left_shoulder": "shoulder_left",
                "right_shoulder": "shoulder_right",
                "left_elbow": "elbow_left",
                "right_elbow": "elbow_right",
                "left_wrist": "wrist_left",
                "right_wrist": "wrist_right",
            },
            "Microsoft Kinect v2 body, 25 joints (body's own left/right)",
        ),
        JointLayout(
            "cmu_bvh",
            CMU_BVH_JOINTS,
            {
                "pelvis": "Hips",
                "left_hip": "LeftUpLeg",
                "right_hip": "RightUpLeg",
                "spine1": "Spine",
                "spine2": "Spine1",
                "spine3": _mid("Spine1", "Neck"),
                "left_knee": "LeftLeg",
                "right_knee": "RightLeg",
                "left_ankle": "LeftFoot",
                "right_ankle": "RightFoot",
                "left_foot": "LeftToeBase",
                "right_foot": "RightToeBase",
                "neck": "Neck",
                "head": "Head",
                "left_collar": _mid("LeftShoulder", "LeftArm"),
                "right_collar": _mid("RightShoulder", "RightArm"),
                "left_shoulder": "LeftArm",
                "right_shoulder": "RightArm",
                "left_elbow": "LeftForeArm",
                "right_elbow": "RightForeArm",
                "left_wrist": "LeftHand",
                "right_wrist": "RightHand",
            },
            "CMU motion-capture BVH skeleton (joint names of the cgspeed conversion)",
        ),
    )
}


def get_layout(name: str) -> JointLayout:
    """The layout called `name`; an unknown name is an error listing the known ones."""
    try:
        return LAYOUTS[name]
    except KeyError:
        raise ValueError(f"unknown joint layout {name!r}; known layouts: {', '.join(LAYOUTS)}") from None


def bone_lengths(joints: np.ndarray) -> np.ndarray:
    """(frames, 21) length of every canonical bone (child to parent) per frame."""
    children = np.arange(1, NUM_JOINTS)
    parents = np.array(SMPL22_PARENTS[1:])
    return np.linalg.norm(joints[:, children] - joints[:, parents], axis=-1)
