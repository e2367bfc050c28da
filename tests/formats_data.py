"""Small files in each supported format, written from known joints, for the format and corpus tests."""

import pickle

import numpy as np
from poses import REST_POSE

from agir.motion.skeleton import JOINT_INDEX, SMPL22_PARENTS
from agir.motion.synth import sample_subject, simulate_trial

SMPL24_PARENTS = SMPL22_PARENTS + (20, 21)
# SMPL-24 rest joints: the 22 body joints plus hands 8 cm beyond the wrists.
REST_24 = np.concatenate([REST_POSE, REST_POSE[[20, 21]] + np.array([[0.0, -0.08, 0.0]] * 2)])


def fake_smpl_model(vertices: int = 40, seed: int = 0) -> dict:
    """An SMPL-shaped model: joint j is regressed from vertex j alone, whose template is the rest joint."""
    rng = np.random.default_rng(seed)
    v_template = rng.normal(scale=0.3, size=(vertices, 3))
    v_template[:24] = REST_24
    shapedirs = rng.normal(scale=0.01, size=(vertices, 3, 10))
    regressor = np.zeros((24, vertices))
    regressor[np.arange(24), np.arange(24)] = 1.0
    kintree = np.array([[2**32 - 1, *SMPL24_PARENTS[1:]], list(range(24))], dtype=np.int64)
    return {
        "v_template": v_template,
        "shapedirs": shapedirs,
        "J_regressor": regressor,
        "kintree_table": kintree,
        "weights": np.ones((vertices, 24)) / 24,
        "f": np.zeros((1, 3), dtype=np.int64),
    }


def write_pickle(path, content) -> None:
    with open(path, "wb") as file:
        pickle.dump(content, file, protocol=4)


def synthetic_walk(fps: float, distance_m: float = 4.0) -> np.ndarray:
    """A synthetic subject's straight walk along +z (left +x, y up), metres: real steps, unlike walking_rest_pose."""
    rng = np.random.default_rng(1)
    return simulate_trial(
        sample_subject("W", 1, rng), rng, fps=fps, walk_distance_m=distance_m, turn=False, heading_deg=0.0
    ).joints


def walking_rest_pose(frames: int, fps: float, speed: float = 1.0) -> np.ndarray:
    """REST_POSE gliding along +z at `speed` m/s."""
    return REST_POSE + np.arange(frames)[:, None, None] / fps * np.array([0.0, 0.0, speed])


# CMU-style hierarchy: (name, parent, where the joint sits as a REST_POSE joint or a midpoint of two).
CMU_TREE = (
    ("Hips", None, "pelvis"),
    ("LHipJoint", "Hips", "pelvis"),
    ("LeftUpLeg", "LHipJoint", "left_hip"),
    ("LeftLeg", "LeftUpLeg", "left_knee"),
    ("LeftFoot", "LeftLeg", "left_ankle"),
    ("LeftToeBase", "LeftFoot", "left_foot"),
    ("RHipJoint", "Hips", "pelvis"),
    ("RightUpLeg", "RHipJoint", "right_hip"),
    ("RightLeg", "RightUpLeg", "right_knee"),
    ("RightFoot", "RightLeg", "right_ankle"),
    ("RightToeBase", "RightFoot", "right_foot"),
    ("LowerBack", "Hips", "pelvis"),
    ("Spine", "LowerBack", "spine1"),
    ("Spine1", "Spine", "spine2"),
    ("Neck", "Spine1", "neck"),
    ("Neck1", "Neck", ("neck", "head")),
    ("Head", "Neck1", "head"),
    ("LeftShoulder", "Spine1", "neck"),
    ("LeftArm", "LeftShoulder", "left_shoulder"),
    ("LeftForeArm", "LeftArm", "left_elbow"),
    ("LeftHand", "LeftForeArm", "left_wrist"),
    ("RightShoulder", "Spine1", "neck"),
    ("RightArm", "RightShoulder", "right_shoulder"),
    ("RightForeArm", "RightArm", "right_elbow"),
    ("RightHand", "RightForeArm", "right_wrist"),
)


def rig_tree(drop: tuple[str, ...] = (), rename: dict[str, str] | None = None) -> tuple:
    """CMU_TREE without the joints `drop` (their children hang on their parent) and with joints renamed."""
    parents = {name: parent for name, parent, _ in CMU_TREE}

    def kept_parent(name):
        while name in drop:
            name = parents[name]
        return name

    rename = rename or {}
    return tuple(
        (rename.get(name, name), None if parent is None else rename.get(kept_parent(parent), kept_parent(parent)), at)
        for name, parent, at in CMU_TREE
        if name not in drop
    )


def cmu_rest_positions(tree: tuple = CMU_TREE) -> dict[str, np.ndarray]:
    def place(where):
        if isinstance(where, tuple):
            return (REST_POSE[JOINT_INDEX[where[0]]] + REST_POSE[JOINT_INDEX[where[1]]]) / 2
        return REST_POSE[JOINT_INDEX[where]]

    return {name: place(where) for name, _, where in tree}


def bvh_text(
    root_path: np.ndarray,
    unit: float,
    rotations: dict[str, np.ndarray] | None = None,
    frame_time: float = 1 / 30,
    tree: tuple = CMU_TREE,
) -> str:
    """A CMU-style BVH of REST_POSE whose root follows `root_path` (frames, 3) metres, `unit` metres per BVH unit.

    `rotations` maps joint names to (frames, 3) Z, X, Y angles in degrees (channel order Zrotation Xrotation
    Yrotation, as in CMU files); other joints stay at rest.
    """
    rest = cmu_rest_positions(tree)
    rotations = rotations or {}
    children = {name: [child for child, parent, _ in tree if parent == name] for name, _, _ in tree}
    lines = ["HIERARCHY"]

    def joint(name, parent, depth):
        pad = "  " * depth
        offset = (rest[name] - (rest[parent] if parent else 0.0)) / unit
        lines.append(f"{pad}{'ROOT' if parent is None else 'JOINT'} {name}")
        lines.append(f"{pad}{{")
        lines.append(f"{pad}  OFFSET {' '.join(f'{v:.6f}' for v in (offset if parent else np.zeros(3)))}")
        channels = "6 Xposition Yposition Zposition" if parent is None else "3"
        lines.append(f"{pad}  CHANNELS {channels} Zrotation Xrotation Yrotation")
        for child in children[name]:
            joint(child, name, depth + 1)
        if not children[name]:
            lines.extend([f"{pad}  End Site", f"{pad}  {{", f"{pad}    OFFSET 0.0 -1.0 0.0", f"{pad}  }}"])
        lines.append(f"{pad}}}")

    joint(tree[0][0], None, 0)
    frames = len(root_path)
    columns = []
    for name, parent, _ in tree:
        if parent is None:
            columns.append(root_path / unit)
        columns.append(rotations.get(name, np.zeros((frames, 3))))
    motion = np.concatenate(columns, axis=1)
    lines += ["MOTION", f"Frames: {frames}", f"Frame Time: {frame_time:.8f}"]
    lines += [" ".join(f"{v:.6f}" for v in row) for row in motion]
    return "\n".join(lines) + "\n"


def pelvis_markers(joints: np.ndarray) -> dict[str, np.ndarray]:
    """ASIS and PSIS markers (y up, walking towards +z, metres) placed so that Harrington's regression gives back the
    hip joints of `joints` exactly: its equations solved for the markers in the pelvis frame the hips span, with a
    pelvic depth of 15 cm."""
    left, right = joints[:, JOINT_INDEX["left_hip"]], joints[:, JOINT_INDEX["right_hip"]]
    to_right = right - left
    half_width_mm = 1000 * np.linalg.norm(to_right, axis=-1, keepdims=True) / 2
    z = to_right / np.linalg.norm(to_right, axis=-1, keepdims=True)
    x = np.array([0.0, 0.0, 1.0]) - z[:, 2:3] * z
    x /= np.linalg.norm(x, axis=-1, keepdims=True)
    y = np.cross(z, x)
    width_mm, depth_mm = (half_width_mm - 7.3) / 0.33, 150.0
    origin = (left + right) / 2 + ((0.24 * depth_mm + 9.9) * x + (0.30 * width_mm + 10.9) * y) / 1000
    return {
        "LASI": origin - width_mm / 2000 * z,
        "RASI": origin + width_mm / 2000 * z,
        "LPSI": origin - depth_mm / 1000 * x - width_mm / 6000 * z,
        "RPSI": origin - depth_mm / 1000 * x + width_mm / 6000 * z,
    }


def plug_in_gait_markers(joints: np.ndarray) -> dict[str, np.ndarray]:
    """Marker trajectories (frames, 3) placed on canonical joints (y up, metres)."""
    at = {name: joints[:, JOINT_INDEX[name]] for name in JOINT_INDEX}
    across = np.array([0.06, 0.0, 0.0])
    front = np.array([0.0, 0.0, 0.08])
    up = np.array([0.0, 0.08, 0.0])
    markers = {
        "LFHD": at["head"] + across + front + up,
        "RFHD": at["head"] - across + front + up,
        "LBHD": at["head"] + across - front + up,
        "RBHD": at["head"] - across - front + up,
        "C7": at["neck"] - front,
        "CLAV": at["neck"] + front,
        "T10": at["spine2"] - front,
        "STRN": at["spine2"] + front,
        "LHEE": at["left_ankle"] - front,
        "RHEE": at["right_ankle"] - front,
    } | pelvis_markers(joints)
    for side, prefix in (("left", "L"), ("right", "R")):
        markers |= {
            f"{prefix}SHO": at[f"{side}_shoulder"],
            f"{prefix}ELB": at[f"{side}_elbow"],
            f"{prefix}WRA": at[f"{side}_wrist"] + front / 4,
            f"{prefix}WRB": at[f"{side}_wrist"] - front / 4,
            f"{prefix}KNE": at[f"{side}_knee"],
            f"{prefix}ANK": at[f"{side}_ankle"],
            f"{prefix}TOE": at[f"{side}_foot"],
        }
    return markers


def lab_markers(joints: np.ndarray) -> dict[str, np.ndarray]:
    """A PD lab's own labels (REAL_DATA.md: R.ASIS, R.Knee, R.Knee.Medial, ...), no head markers: lateral and medial
    markers 5 cm either side of the knee and ankle centres, so that their midpoints are the joints."""
    at = {name: joints[:, JOINT_INDEX[name]] for name in JOINT_INDEX}
    front, across = np.array([0.0, 0.0, 0.08]), np.array([0.05, 0.0, 0.0])
    pelvis = pelvis_markers(joints)
    markers = {"CLAV": at["neck"] + front, "STRN": at["spine2"] + front, "C7": at["neck"] - front}
    markers |= {"T10": at["spine2"] - front, "RSHO": at["right_shoulder"], "LSHO": at["left_shoulder"]}
    for side, prefix, out in (("right", "R", -across), ("left", "L", across)):
        markers |= {
            f"{prefix}.ASIS": pelvis[f"{prefix}ASI"],
            f"{prefix}.PSIS": pelvis[f"{prefix}PSI"],
            f"{prefix}.GTR": at[f"{side}_hip"] + out,
            f"{prefix}.Knee": at[f"{side}_knee"] + out,
            f"{prefix}.Knee.Medial": at[f"{side}_knee"] - out,
            f"{prefix}.TT": at[f"{side}_knee"] + front / 2 - np.array([0.0, 0.05, 0.0]),
            f"{prefix}.Ankle": at[f"{side}_ankle"] + out,
            f"{prefix}.Ankle.Medial": at[f"{side}_ankle"] - out,
            f"{prefix}.Heel": at[f"{side}_ankle"] - front,
            f"{prefix}.MT2": at[f"{side}_foot"],
            f"{prefix}.MT1": at[f"{side}_foot"] - out / 2,
            f"{prefix}.MT5": at[f"{side}_foot"] + out / 2,
            f"{prefix}EL": at[f"{side}_elbow"] + out,
            f"{prefix}EM": at[f"{side}_elbow"] - out,
            f"{prefix}WL": at[f"{side}_wrist"] + out / 2,
            f"{prefix}WM": at[f"{side}_wrist"] - out / 2,
        }
    return markers


def write_c3d(path, markers: dict[str, np.ndarray], fps: float, units: str = "mm", prefix: str = "") -> None:
    """A C3D file of the markers, z up, in `units` (written with ezc3d); NaN marks an occluded marker."""
    import ezc3d

    scale = {"mm": 1000.0, "m": 1.0}[units]
    labels = list(markers)
    frames = len(next(iter(markers.values())))
    points = np.ones((4, len(labels), frames))
    for i, label in enumerate(labels):
        y_up = markers[label] * scale
        points[:3, i] = np.stack([y_up[:, 0], -y_up[:, 2], y_up[:, 1]])  # y-up (x, y, z) -> z-up (x, -z, y)
    content = ezc3d.c3d()
    content["parameters"]["POINT"]["RATE"]["value"] = [fps]
    content["parameters"]["POINT"]["LABELS"]["value"] = tuple(prefix + label for label in labels)
    content["parameters"]["POINT"]["UNITS"]["value"] = [units]
    content["data"]["points"] = points
    content.write(str(path))
