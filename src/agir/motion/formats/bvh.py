"""BVH motion capture: a small parser of HIERARCHY/MOTION and forward kinematics to joint positions.

Each joint's local transform is a translation (its OFFSET plus any position channels) followed by the rotations of
its channels in the order listed (`Zrotation Xrotation Yrotation` is R = Rz Rx Ry, degrees, column vectors), the
usual BVH reading. End Sites only end a chain. A file with all the joints of the CMU skeleton is read in layout
`cmu_bvh` (see `agir.motion.skeleton`); any other rig (Mixamo, Xsens, Rokoko, Perception Neuron, OptiTrack, or a CMU
rig with fewer spine joints) is matched by joint names (`agir.motion.formats.bvh_rigs`), missing trunk joints
interpolated. Names are compared without a `prefix:` such as Mixamo's, case or separators.
BVH states no units: "auto" chooses among m, cm, mm, inches and CMU's 1/0.45-inch units from the body size.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from agir.motion.formats.bvh_rigs import normalized, rig_layout
from agir.motion.io import AUTO_UNITS, MotionFileError, RawMotion, ReadOptions, register_reader
from agir.motion.skeleton import CMU_BVH_JOINTS

UNIT_CANDIDATES = AUTO_UNITS + ("in", "cmu")
_AXES = {"x": 0, "y": 1, "z": 2}


@dataclass
class BVHJoint:
    name: str
    parent: int  # index into the joint list, -1 for the root
    offset: np.ndarray  # (3,)
    channels: list[str] = field(default_factory=list)  # e.g. ["Xposition", ..., "Zrotation"], lower-cased axes kept


@dataclass
class BVH:
    joints: list[BVHJoint]
    frame_time: float
    motion: np.ndarray  # (frames, total channels)


class _Tokens:
    """Whitespace-separated words of a BVH file, consumed in order."""

    def __init__(self, path: Path, text: str) -> None:
        self.path, self.words, self.at = path, text.split(), 0

    def next(self, what: str) -> str:
        if self.at >= len(self.words):
            raise MotionFileError(self.path, f"malformed BVH: file ends where {what} was expected")
        self.at += 1
        return self.words[self.at - 1]

    def expect(self, word: str) -> None:
        found = self.next(repr(word))
        if found.upper() != word.upper():
            raise MotionFileError(self.path, f"malformed BVH: expected {word!r}, found {found!r}")

    def number(self, what: str) -> float:
        word = self.next(what)
        try:
            return float(word)
        except ValueError:
            raise MotionFileError(self.path, f"malformed BVH: {what} {word!r} is not a number") from None


def parse_bvh(path: Path) -> BVH:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise MotionFileError(path, f"not a readable BVH text file ({error})") from None
    tokens = _Tokens(path, text)
    tokens.expect("HIERARCHY")
    tokens.expect("ROOT")
    joints: list[BVHJoint] = []
    _parse_joint(tokens, joints, parent=-1)
    tokens.expect("MOTION")
    tokens.expect("Frames:")
    frames = tokens.number("frame count")
    tokens.expect("Frame")
    tokens.expect("Time:")
    frame_time = tokens.number("frame time")
    if frames != int(frames) or frames < 1 or not frame_time > 0:
        raise MotionFileError(path, f"malformed BVH: {frames:g} frames of {frame_time:g} s")
    width = sum(len(joint.channels) for joint in joints)
    values = tokens.words[tokens.at :]
    if len(values) != int(frames) * width:
        raise MotionFileError(
            path,
            f"MOTION holds {len(values)} values, expected {int(frames)} frames x {width} "
            f"channels = {int(frames) * width}",
        )
    try:
        motion = np.array(values, dtype=np.float64).reshape(int(frames), width)
    except ValueError:
        raise MotionFileError(path, "MOTION values are not all numbers") from None
    return BVH(joints, frame_time, motion)


def _parse_joint(tokens: _Tokens, joints: list[BVHJoint], parent: int) -> None:
    name = tokens.next("a joint name")
    index = len(joints)
    tokens.expect("{")
    tokens.expect("OFFSET")
    joint = BVHJoint(name, parent, np.array([tokens.number(f"{name} offset") for _ in range(3)]))
    joints.append(joint)
    tokens.expect("CHANNELS")
    count = tokens.number(f"{name} channel count")
    joint.channels = [tokens.next(f"a channel of {name}") for _ in range(int(count))]
    for channel in joint.channels:
        if channel[:1].lower() not in _AXES or channel[1:].lower() not in ("position", "rotation"):
            raise MotionFileError(tokens.path, f"malformed BVH: joint {name} has unknown channel {channel!r}")
    while True:
        word = tokens.next(f"JOINT, End Site or '}}' in {name}")
        if word == "}":
            return
        if word.upper() == "JOINT":
            _parse_joint(tokens, joints, index)
        elif word.upper() == "END":
            tokens.expect("Site")
            tokens.expect("{")
            tokens.expect("OFFSET")
            for _ in range(3):
                tokens.number(f"{name} end site offset")
            tokens.expect("}")
        else:
            raise MotionFileError(tokens.path, f"malformed BVH: unexpected {word!r} in joint {name}")


def _axis_rotation(axis: int, degrees: np.ndarray) -> np.ndarray:
    """(frames, 3, 3) rotations about one coordinate axis."""
    angle = np.radians(degrees)
    cos, sin = np.cos(angle), np.sin(angle)
    matrix = np.zeros((len(angle), 3, 3))
    first, second = (axis + 1) % 3, (axis + 2) % 3  # cyclic, so the y rotation gets its sign right
    matrix[:, axis, axis] = 1.0
    matrix[:, first, first], matrix[:, first, second] = cos, -sin
    matrix[:, second, first], matrix[:, second, second] = sin, cos
    return matrix


def forward_kinematics(bvh: BVH) -> np.ndarray:
    """(frames, joints, 3) world positions of every joint (End Sites excluded), in the file's units."""
    frames = len(bvh.motion)
    rotations = np.empty((len(bvh.joints), frames, 3, 3))
    positions = np.empty((len(bvh.joints), frames, 3))
    column = 0
    for index, joint in enumerate(bvh.joints):
        local_rotation = np.broadcast_to(np.eye(3), (frames, 3, 3))
        translation = np.broadcast_to(joint.offset, (frames, 3)).copy()
        for channel in joint.channels:
            axis, values = _AXES[channel[0].lower()], bvh.motion[:, column]
            column += 1
            if channel[1:].lower() == "position":
                translation[:, axis] += values
            else:
                local_rotation = local_rotation @ _axis_rotation(axis, values)
        if joint.parent < 0:
            rotations[index], positions[index] = local_rotation, translation
        else:
            parent_rotation = rotations[joint.parent]
            rotations[index] = parent_rotation @ local_rotation
            positions[index] = positions[joint.parent] + (parent_rotation @ translation[..., None])[..., 0]
    return np.moveaxis(positions, 0, 1)


@register_reader(".bvh")
def read_bvh(path: Path, options: ReadOptions) -> RawMotion:
    bvh = parse_bvh(path)
    positions = forward_kinematics(bvh)
    names = [joint.name for joint in bvh.joints]
    try:
        layout = rig_layout(names)
    except ValueError as error:
        raise MotionFileError(path, f"{error}; found: {', '.join(names[:12])} ...") from None
    index = {normalized(name): i for i, name in reversed(list(enumerate(names)))}
    if layout.name == "bvh_cmu" and all(normalized(name) in index for name in CMU_BVH_JOINTS):
        columns = [index[normalized(name)] for name in CMU_BVH_JOINTS]  # the CMU skeleton itself: layout cmu_bvh
        return RawMotion(positions[:, columns], 1.0 / bvh.frame_time, "cmu_bvh", unit_candidates=UNIT_CANDIDATES)
    notes = [f"BVH rig: {layout.description}"]
    return RawMotion(positions, 1.0 / bvh.frame_time, unit_candidates=UNIT_CANDIDATES, joint_layout=layout, notes=notes)
