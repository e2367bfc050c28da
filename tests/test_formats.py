"""Readers of CARE-PD pickles, HumanML3D features, BVH and C3D, on small files written here in each format."""

import json
import os
import pickle

import numpy as np
import pytest
import scipy.sparse
from helpers import (
    REST_24,
    REST_POSE,
    bvh_text,
    cmu_rest_positions,
    fake_smpl_model,
    lab_markers,
    plug_in_gait_markers,
    rig_tree,
    synthetic_walk,
    walking_rest_pose,
    write_c3d,
    write_pickle,
)

from agir.gait import main as gait_cli
from agir.motion.formats.carepd import read_cohort, walk_labels, walk_motion
from agir.motion.formats.humanml3d import recover_joints
from agir.motion.formats.marker_sets import MARKER_SETS, choose_marker_set
from agir.motion.formats.smpl import load_smpl_model, rodrigues, smpl_joints
from agir.motion.io import MotionFileError, ReadOptions, canonical_motion, load_motion
from agir.motion.skeleton import JOINT_INDEX, get_layout


def rotation_x(degrees):
    a = np.radians(degrees)
    return np.array([[1, 0, 0], [0, np.cos(a), -np.sin(a)], [0, np.sin(a), np.cos(a)]])


def rotation_y(degrees):
    a = np.radians(degrees)
    return np.array([[np.cos(a), 0, np.sin(a)], [0, 1, 0], [-np.sin(a), 0, np.cos(a)]])


def rotation_z(degrees):
    a = np.radians(degrees)
    return np.array([[np.cos(a), -np.sin(a), 0], [np.sin(a), np.cos(a), 0], [0, 0, 1]])


# ---- SMPL forward kinematics and CARE-PD pickles


@pytest.fixture
def smpl_model_file(tmp_path):
    path = tmp_path / "SMPL_NEUTRAL.npz"
    np.savez(path, **fake_smpl_model())
    return path


def test_rodrigues_matches_axis_rotations():
    np.testing.assert_allclose(rodrigues(np.array([np.pi / 2, 0, 0])), rotation_x(90), atol=1e-12)
    np.testing.assert_allclose(rodrigues(np.array([0, 0.3, 0])), rotation_y(np.degrees(0.3)), atol=1e-12)
    np.testing.assert_allclose(rodrigues(np.zeros(3)), np.eye(3))


def test_smpl_forward_kinematics_against_a_hand_computed_pose(smpl_model_file):
    model = load_smpl_model(smpl_model_file)
    fake = fake_smpl_model()
    beta = np.zeros(10)
    beta[0] = 2.0
    rest = REST_24 + 2.0 * fake["shapedirs"][:24, :, 0]  # joint j is regressed from vertex j alone
    np.testing.assert_allclose(model.rest_joints(beta), rest, atol=1e-12)
    pose = np.zeros((2, 72))
    pose[1, 0:3] = [0, np.pi / 2, 0]  # frame 1: the whole body turns 90 degrees about y
    pose[1, 3:6] = [np.pi / 2, 0, 0]  # ... and the left hip flexes 90 degrees about x
    trans = np.array([[0.0, 0.0, 0.0], [1.0, 0.0, 2.0]])
    joints = smpl_joints(model, pose, trans, beta)
    np.testing.assert_allclose(joints[0], rest, atol=1e-12)  # zero pose: the rest joints
    turn, flex = rotation_y(90), rotation_x(90)
    hip = turn @ (rest[1] - rest[0]) + rest[0] + trans[1]
    np.testing.assert_allclose(joints[1, 1], hip, atol=1e-12)
    np.testing.assert_allclose(joints[1, 4], hip + turn @ flex @ (rest[4] - rest[1]), atol=1e-12)
    np.testing.assert_allclose(joints[1, 7], hip + turn @ flex @ (rest[7] - rest[1]), atol=1e-12)
    np.testing.assert_allclose(joints[1, 2], turn @ (rest[2] - rest[0]) + rest[0] + trans[1], atol=1e-12)


def test_smpl_model_pickle_with_a_sparse_regressor_loads_the_same(tmp_path, smpl_model_file):
    fake = fake_smpl_model()
    fake["J_regressor"] = scipy.sparse.csc_matrix(fake["J_regressor"])
    write_pickle(tmp_path / "SMPL_NEUTRAL.pkl", fake)
    from_pickle, from_npz = load_smpl_model(tmp_path / "SMPL_NEUTRAL.pkl"), load_smpl_model(smpl_model_file)
    np.testing.assert_array_equal(from_pickle.J_regressor, from_npz.J_regressor)
    np.testing.assert_array_equal(from_pickle.parents, from_npz.parents)


def carepd_walk(frames=40, fps=30.0, score=2):
    """SMPL parameters of a body standing still while its root glides 1 m/s along +z."""
    trans = np.zeros((frames, 3))
    trans[:, 2] = np.arange(frames) / fps
    return {
        "pose": np.zeros((frames, 72)),
        "trans": trans,
        "beta": np.zeros(10),
        "fps": fps,
        "UPDRS_GAIT": score,
        "medication": "off",
    }


def test_carepd_cohort_with_smpl_parameters_becomes_canonical_joints(tmp_path, smpl_model_file):
    path = tmp_path / "cohort.pkl"
    write_pickle(
        path,
        {
            "SUB01": {"walk_1": carepd_walk(), "walk_2": carepd_walk(score=1)},
            "SUB02": {"walk_1": {**carepd_walk(), "UPDRS_GAIT": np.nan}},
        },
    )
    cohort = read_cohort(path)
    assert {s: sorted(w) for s, w in cohort.items()} == {"SUB01": ["walk_1", "walk_2"], "SUB02": ["walk_1"]}
    assert walk_labels(cohort["SUB01"]["walk_2"]) == {"score": 1, "medication": "off"}
    assert walk_labels(cohort["SUB02"]["walk_1"])["score"] is None
    raw = walk_motion(path, cohort["SUB01"]["walk_1"], load_smpl_model(smpl_model_file))
    assert raw.layout == "smpl24" and raw.fps == 30.0 and raw.joints.shape == (40, 24, 3)
    motion = canonical_motion(path, raw)
    np.testing.assert_allclose(motion.joints, walking_rest_pose(40, 30.0), atol=1e-6)
    assert motion.measured.all()
    with pytest.raises(MotionFileError, match="SMPL parameters but no joints: give an SMPL model file"):
        walk_motion(path, cohort["SUB01"]["walk_1"], None)


def test_smpl_model_flag_reaches_a_walk_pickle_of_smpl_parameters(tmp_path, smpl_model_file, capsys):
    write_pickle(tmp_path / "walk.pkl", carepd_walk(frames=90))
    assert gait_cli([str(tmp_path / "walk.pkl")]) == 1
    error = capsys.readouterr().err
    assert (
        error.startswith(f"error: {tmp_path / 'walk.pkl'}: SMPL parameters but no joints") and "--smpl-model" in error
    )
    assert error.count("\n") == 1
    assert gait_cli([str(tmp_path / "walk.pkl"), "--smpl-model", str(smpl_model_file), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["duration_s"] == pytest.approx(3.0, abs=0.05)
    assert gait_cli([str(tmp_path / "walk.pkl"), "--smpl-model", str(tmp_path / "none.npz")]) == 1
    assert capsys.readouterr().err == f"error: {tmp_path / 'none.npz'}: SMPL model file not found\n"


def test_carepd_walk_with_precomputed_joints_loads_directly(tmp_path):
    joints = walking_rest_pose(40, 25.0) * 1000  # millimetres, detected
    write_pickle(tmp_path / "walk.pkl", {"joints": joints, "fps": np.float64(25.0), "UPDRS_GAIT": 0})
    motion = load_motion(tmp_path / "walk.pkl")
    assert motion.layout == "smpl22" and motion.fps == 25.0
    np.testing.assert_allclose(motion.joints, joints / 1000, atol=1e-5)


class _RunsAShellCommand:
    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return os.system, (f"touch {self.marker}",)


@pytest.mark.parametrize("nested", [False, True])
def test_malicious_pickle_is_refused_and_runs_nothing(tmp_path, nested):
    marker = tmp_path / "pwned"
    trap = _RunsAShellCommand(marker)
    content = {"SUB01": {"walk": {**carepd_walk(), "fps": trap}}} if nested else trap
    path = tmp_path / "evil.pkl"
    path.write_bytes(pickle.dumps(content))
    with pytest.raises(
        MotionFileError,
        match=r"evil.pkl: pickle refused: it needs the global (posix|nt).system, "
        r"and only plain containers and numpy arrays are loaded",
    ) as caught:
        load_motion(path)
    assert "\n" not in str(caught.value)
    assert not marker.exists()


# ---- HumanML3D


def _quaternion_rotate(angle_half, vectors):
    """HumanML3D's qrot with q = (cos a, 0, sin a, 0): v + 2 (w (u x v) + u x (u x v)), u = (0, sin a, 0)."""
    w, u = np.cos(angle_half), np.array([0.0, np.sin(angle_half), 0.0])
    uv = np.cross(u, vectors)
    return vectors + 2 * (w * uv + np.cross(u, uv))


def turning_walk(frames=60, fps=20.0):
    """REST_POSE walking 1.2 m/s while turning 0.6 rad/s to the left (yaw about +y, +z towards +x); (joints, yaw)."""
    yaw = 0.03 * np.arange(frames) * (20.0 / fps)
    forward = np.stack([np.sin(yaw), np.zeros(frames), np.cos(yaw)], axis=-1)
    root = np.concatenate([np.zeros((1, 3)), np.cumsum(forward[:-1] * 1.2 / fps, axis=0)])
    c, s = np.cos(yaw)[:, None], np.sin(yaw)[:, None]
    body = REST_POSE - REST_POSE[0] * np.array([1.0, 0.0, 1.0])
    x, y, z = body[None, :, 0], body[None, :, 1], body[None, :, 2]
    turned = np.stack([c * x + s * z, np.broadcast_to(y, (frames, 22)), c * z - s * x], axis=-1)
    return turned + root[:, None], yaw


def humanml3d_features(joints, yaw):
    """The parts of HumanML3D's 263-d vector that hold the joints, computed as its processing script does."""
    frames = len(joints)
    half = -yaw / 2  # the root quaternion that turns the body back to face +z
    features = np.zeros((frames, 263))
    root = joints[:, 0]
    features[:-1, 0] = np.arcsin(np.sin(half[1:] - half[:-1]))
    step = np.zeros((frames - 1, 3))
    step[:, [0, 2]] = (root[1:] - root[:-1])[:, [0, 2]]
    features[:-1, 1:3] = np.stack([_quaternion_rotate(half[t + 1], step[t]) for t in range(frames - 1)])[:, [0, 2]]
    features[:, 3] = root[:, 1]
    local = joints[:, 1:] - root[:, None] * np.array([1.0, 0.0, 1.0])
    local = np.stack([_quaternion_rotate(half[t], local[t]) for t in range(frames)])
    features[:, 4:67] = local.reshape(frames, -1)
    return features


def test_humanml3d_features_recover_the_joints_they_were_computed_from(tmp_path):
    joints, yaw = turning_walk()
    features = humanml3d_features(joints, yaw)
    np.testing.assert_allclose(recover_joints(features), joints, atol=1e-9)
    np.save(tmp_path / "000001.npy", features.astype(np.float32))
    motion = load_motion(tmp_path / "000001.npy")
    assert motion.fps == 20.0 and motion.layout == "smpl22"
    np.testing.assert_allclose(motion.joints, joints, atol=1e-4)
    mean, std = features.mean(0), features.std(0) + 1e-3
    np.testing.assert_allclose(recover_joints((features - mean) / std, mean, std), joints, atol=1e-9)


def test_humanml3d_new_joints_are_plain_smpl22_arrays(tmp_path):
    joints, _ = turning_walk()
    np.save(tmp_path / "000002.npy", joints.astype(np.float32))
    motion = load_motion(tmp_path / "000002.npy", fps=20, target_fps=30)
    assert motion.layout == "smpl22" and motion.fps == 30.0 and len(motion.joints) == 89


# ---- BVH

CMU_UNIT = 0.0254 / 0.45


def cmu_canonical_rest():
    """The canonical joints of the test's CMU rest pose: REST_POSE, but spine3 and collars blended as cmu_bvh does."""
    rest, layout = cmu_rest_positions(), get_layout("cmu_bvh")
    return layout.to_canonical(np.stack([rest[name] for name in layout.joints])[None])[0]


def test_bvh_rest_pose_maps_to_the_canonical_joints_in_cmu_units(tmp_path):
    root = walking_rest_pose(30, 30.0)[:, 0]
    (tmp_path / "walk.bvh").write_text(bvh_text(root, CMU_UNIT))
    motion = load_motion(tmp_path / "walk.bvh")
    assert motion.layout == "cmu_bvh" and motion.fps == pytest.approx(30.0) and motion.measured.all()
    expected = walking_rest_pose(30, 30.0)
    for joint in (
        "pelvis",
        "left_hip",
        "right_knee",
        "left_ankle",
        "right_foot",
        "spine1",
        "spine2",
        "neck",
        "head",
        "left_shoulder",
        "right_elbow",
        "left_wrist",
    ):
        np.testing.assert_allclose(motion.joints[:, JOINT_INDEX[joint]], expected[:, JOINT_INDEX[joint]], atol=1e-5)
    collar = (cmu_rest_positions()["LeftShoulder"] + REST_POSE[JOINT_INDEX["left_shoulder"]]) / 2
    np.testing.assert_allclose(motion.joints[0, JOINT_INDEX["left_collar"]], collar, atol=1e-5)


@pytest.mark.parametrize("unit", [CMU_UNIT, 0.01, 0.0254, 1.0])
def test_bvh_units_are_detected_from_body_size(tmp_path, unit):
    (tmp_path / "walk.bvh").write_text(bvh_text(walking_rest_pose(10, 30.0)[:, 0], unit))
    np.testing.assert_allclose(load_motion(tmp_path / "walk.bvh").joints[0], cmu_canonical_rest(), atol=1e-5)


def test_bvh_rotations_follow_the_channel_order(tmp_path):
    frames = 10
    hip_rotation = np.zeros((frames, 3))
    hip_rotation[5] = [30.0, 90.0, 0.0]  # Zrotation 30, Xrotation 90: R = Rz(30) Rx(90)
    (tmp_path / "flex.bvh").write_text(bvh_text(np.tile(REST_POSE[0], (frames, 1)), 1.0, {"LeftUpLeg": hip_rotation}))
    joints = load_motion(tmp_path / "flex.bvh", units="m").joints.astype(np.float64)
    hip, knee, ankle = (REST_POSE[JOINT_INDEX[name]] for name in ("left_hip", "left_knee", "left_ankle"))
    rotation = rotation_z(30) @ rotation_x(90)
    np.testing.assert_allclose(joints[5, JOINT_INDEX["left_knee"]], hip + rotation @ (knee - hip), atol=1e-5)
    np.testing.assert_allclose(joints[5, JOINT_INDEX["left_ankle"]], hip + rotation @ (ankle - hip), atol=1e-5)
    np.testing.assert_allclose(joints[4], cmu_canonical_rest(), atol=1e-5)


# ---- C3D


def test_c3d_plug_in_gait_markers_map_to_the_canonical_joints(tmp_path):
    pytest.importorskip("ezc3d", reason="C3D reading needs the optional ezc3d package (pip install 'agir[c3d]')")
    body = walking_rest_pose(20, 100.0)
    write_c3d(tmp_path / "trial.c3d", plug_in_gait_markers(body), fps=100.0, prefix="Subject01:")
    motion = load_motion(tmp_path / "trial.c3d")  # mm and z up, from the file and detected
    assert motion.layout == "plug_in_gait" and motion.fps == 100.0 and motion.measured.all()
    for joint in (
        "left_knee",
        "right_ankle",
        "left_foot",
        "right_shoulder",
        "left_elbow",
        "left_wrist",
        "neck",
        "spine2",
    ):
        np.testing.assert_allclose(motion.joints[:, JOINT_INDEX[joint]], body[:, JOINT_INDEX[joint]], atol=1e-4)
    # Hips by Harrington's regression from pelvis markers placed where it puts the hips; the pelvis some 8 cm above
    # their midpoint, as SMPL's.
    for joint in ("left_hip", "right_hip"):
        np.testing.assert_allclose(motion.joints[:, JOINT_INDEX[joint]], body[:, JOINT_INDEX[joint]], atol=1e-4)
    np.testing.assert_allclose(motion.joints[:, JOINT_INDEX["pelvis"]], body[:, JOINT_INDEX["pelvis"]], atol=0.01)
    assert motion.notes[0].startswith("marker set plug_in_gait: Vicon Plug-in Gait")
    np.testing.assert_allclose(
        motion.joints[:, JOINT_INDEX["head"], 1], body[:, JOINT_INDEX["head"], 1] + 0.08, atol=1e-4
    )


def test_c3d_without_the_marker_set_names_the_missing_markers(tmp_path):
    pytest.importorskip("ezc3d", reason="C3D reading needs the optional ezc3d package (pip install 'agir[c3d]')")
    markers = plug_in_gait_markers(walking_rest_pose(20, 100.0))
    del markers["LKNE"], markers["T10"]
    write_c3d(tmp_path / "partial.c3d", markers, fps=100.0)
    with pytest.raises(
        MotionFileError,
        match=r"partial.c3d: markers do not fit plug_in_gait: no left_knee \(LKJC or LKNE\+LKNM or LKNE\) \(found: "
        r"LFHD, .*\); give a marker map \(--markers MAP.json\)",
    ) as caught:
        load_motion(tmp_path / "partial.c3d")
    assert "\n" not in str(caught.value)


def test_c3d_lower_body_markers_measure_the_legs_and_null_the_rest_with_reasons(tmp_path, capsys):
    pytest.importorskip("ezc3d", reason="C3D reading needs the optional ezc3d package (pip install 'agir[c3d]')")
    body = synthetic_walk(100.0)[:400]
    legs = {
        name: xyz for name, xyz in plug_in_gait_markers(body).items() if name[1:] in ("ASI", "PSI", "KNE", "ANK", "TOE")
    }
    write_c3d(tmp_path / "legs.c3d", legs, fps=100.0)
    assert gait_cli([str(tmp_path / "legs.c3d"), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["stride_length_m"] > 0.9 and out["trunk_flexion_deg"] is None and out["arm_swing_left_deg"] is None
    assert out["reasons"]["trunk_flexion_deg"] == "layout has no neck or upper-trunk joint"
    assert "plug_in_gait: no spine1, spine2, spine3, neck, left_collar" in out["notes"][1]


LAB_MAP = {  # the lab file's markers as a user would map them: lab hip centres, condyle and malleolus midpoints
    "left_hip": "V_L.Hip_JC",
    "right_hip": "V_R.Hip_JC",
    "left_knee": ["L.Knee", "L.Knee.Medial"],
    "right_knee": ["R.Knee", "R.Knee.Medial"],
    "left_ankle": ["L.Ankle", "L.Ankle.Medial"],
    "right_ankle": ["R.Ankle", "R.Ankle.Medial"],
    "left_foot": "L.MT2",
    "right_foot": "R.MT2",
    "neck": ["C7", "CLAV"],
    "spine2": ["T10", "STRN"],
    "left_shoulder": "LSHO",
    "right_shoulder": "RSHO",
    "left_elbow": ["LEL", "LEM"],
    "right_elbow": ["REL", "REM"],
    "left_wrist": ["LWL", "LWM"],
    "right_wrist": ["RWL", "RWM"],
}


@pytest.fixture
def lab_walk():
    return synthetic_walk(150.0)[:450]


def test_c3d_lab_names_without_head_markers_via_the_built_in_sets_and_a_marker_map(tmp_path, lab_walk):
    pytest.importorskip("ezc3d", reason="C3D reading needs the optional ezc3d package (pip install 'agir[c3d]')")
    body = lab_walk
    markers = lab_markers(body)
    write_c3d(tmp_path / "harrington.c3d", markers, fps=150.0, prefix="SUB01:")
    # The lab's own hip centres, 1 cm off Harrington's here, are used where exported.
    lab_hips = {
        f"V_{s}.Hip_JC": body[:, JOINT_INDEX[f"{side}_hip"]] + [0.0, 0.01, 0.0]
        for s, side in (("L", "left"), ("R", "right"))
    }
    write_c3d(tmp_path / "lab.c3d", markers | lab_hips, fps=150.0)
    motion = load_motion(tmp_path / "harrington.c3d")
    assert motion.layout == "bmclab" and motion.fps == 150.0 and motion.measured.all()
    assert motion.notes[0].startswith("marker set bmclab: PD-lab protocol")
    assert "head above the neck along the trunk (no head joint or markers)" in motion.notes[1]
    for joint in (
        "left_hip",
        "right_hip",
        "left_knee",
        "right_ankle",
        "left_foot",
        "neck",
        "right_elbow",
        "left_wrist",
    ):
        np.testing.assert_allclose(motion.joints[:, JOINT_INDEX[joint]], body[:, JOINT_INDEX[joint]], atol=1e-4)
    head_error = np.linalg.norm(motion.joints[:, JOINT_INDEX["head"]] - body[:, JOINT_INDEX["head"]], axis=-1)
    assert head_error.max() < 0.08  # placed from the trunk, not measured
    with_lab_hips = load_motion(tmp_path / "lab.c3d")
    np.testing.assert_allclose(
        with_lab_hips.joints[:, JOINT_INDEX["left_hip"], 1], body[:, JOINT_INDEX["left_hip"], 1] + 0.01, atol=1e-4
    )
    mapped = load_motion(tmp_path / "lab.c3d", read_options=ReadOptions(markers=LAB_MAP))
    assert (
        mapped.layout == "custom_markers" and mapped.notes[0] == "marker set custom_markers: the marker map --markers"
    )
    np.testing.assert_allclose(mapped.joints, with_lab_hips.joints, atol=1e-4)


def test_c3d_of_unknown_names_is_refused_in_one_line_and_read_with_a_marker_map(tmp_path, lab_walk):
    pytest.importorskip("ezc3d", reason="C3D reading needs the optional ezc3d package (pip install 'agir[c3d]')")
    markers = {"Q" + name: trajectory for name, trajectory in lab_markers(lab_walk).items()}
    markers |= {
        f"QV_{s}.Hip_JC": lab_walk[:, JOINT_INDEX[f"{side}_hip"]] for s, side in (("L", "left"), ("R", "right"))
    }
    path = tmp_path / "other_lab.c3d"
    write_c3d(path, markers, fps=150.0)
    with pytest.raises(MotionFileError, match=r"other_lab.c3d: markers do not fit .*--markers MAP.json") as caught:
        load_motion(path)
    assert "\n" not in str(caught.value)
    their_map = {
        joint: ["Q" + m for m in names] if isinstance(names, list) else "Q" + names for joint, names in LAB_MAP.items()
    }
    map_file = tmp_path / "markers.json"
    map_file.write_text(json.dumps(their_map))
    assert gait_cli([str(path), "--markers", str(map_file), "--json"]) == 0


@pytest.mark.parametrize("marker_set", MARKER_SETS, ids=lambda marker_set: marker_set.name)
def test_each_built_in_marker_set_is_chosen_from_its_own_labels(marker_set):
    labels = sorted({m for options in marker_set.joints.values() for m in _centre_markers(options[0])})
    chosen, placed = choose_marker_set([f"Subject:{label}" for label in labels])
    assert chosen.name == marker_set.name and set(placed) == set(marker_set.joints)


def _centre_markers(centre):
    return centre.markers if hasattr(centre, "markers") else centre if isinstance(centre, tuple) else (centre,)


def test_c3d_gaps_are_filled_or_cut_and_the_output_says_so(tmp_path, capsys):
    pytest.importorskip("ezc3d", reason="C3D reading needs the optional ezc3d package (pip install 'agir[c3d]')")
    body = synthetic_walk(150.0, distance_m=5.0)[:750]  # 5 s at 150 Hz
    short = lab_markers(body)
    short["L.Knee"][400:412] = np.nan  # 12 frames: 0.08 s
    write_c3d(tmp_path / "short_gap.c3d", short, fps=150.0)
    long = lab_markers(body)
    long["R.Ankle.Medial"][:300] = np.nan  # the first 2 s
    write_c3d(tmp_path / "long_gap.c3d", long, fps=150.0)
    files = [str(tmp_path / "short_gap.c3d"), str(tmp_path / "missing.c3d"), str(tmp_path / "long_gap.c3d")]
    assert gait_cli([*files, "--json"]) == 1  # the missing file fails alone
    captured = capsys.readouterr()
    assert captured.err == f"error: {files[1]}: no such file\n"
    short_out, long_out = (json.loads(line) for line in captured.out.splitlines())
    assert (short_out["file"], long_out["file"]) == (files[0], files[2])
    assert (
        "filled 1 gap of up to 0.2 s by spline interpolation (PCHIP): L.Knee+L.Knee.Medial frames 400-411 "
        "(12 frames, 0.08 s)" in short_out["notes"]
    )
    assert short_out["speed_m_s"] > 0
    assert (
        "kept frames 300-749 (3.00 s of 5.00 s), the longest part without gaps over 0.2 s; cut at "
        "R.Ankle+R.Ankle.Medial frames 0-299 (300 frames, 2.00 s)" in long_out["notes"]
    )
    assert long_out["duration_s"] == pytest.approx(3.0, abs=0.01)
    filled = load_motion(tmp_path / "short_gap.c3d").joints[400:412, JOINT_INDEX["left_knee"]]
    assert np.abs(filled - body[400:412, JOINT_INDEX["left_knee"]]).max() < 0.01
    assert gait_cli([str(tmp_path / "long_gap.c3d")]) == 0
    assert "note: kept frames 300-749" in capsys.readouterr().out


# ---- BVH rigs


def test_bvh_rig_without_spine1_and_neck_is_read_with_them_interpolated(tmp_path):
    tree = rig_tree(drop=("Spine1", "Neck"))
    root = walking_rest_pose(30, 30.0)[:, 0]
    (tmp_path / "walk.bvh").write_text(bvh_text(root, 0.01, tree=tree))
    motion = load_motion(tmp_path / "walk.bvh")
    assert motion.layout == "bvh_cmu" and motion.measured.all()
    assert motion.notes[0] == "BVH rig: cmu joint names"
    assert "neck between the shoulders" in motion.notes[1] and "spine2 between spine1 and neck" in motion.notes[1]
    expected = walking_rest_pose(30, 30.0)
    for joint in ("pelvis", "left_knee", "right_ankle", "left_foot", "spine1", "head", "left_wrist"):
        np.testing.assert_allclose(motion.joints[:, JOINT_INDEX[joint]], expected[:, JOINT_INDEX[joint]], atol=1e-5)
    neck = (expected[:, JOINT_INDEX["left_shoulder"]] + expected[:, JOINT_INDEX["right_shoulder"]]) / 2
    np.testing.assert_allclose(motion.joints[:, JOINT_INDEX["neck"]], neck, atol=1e-5)


@pytest.mark.parametrize(
    "rig, rename",
    [
        ("mixamo", {name: f"mixamorig:{name}" for name, _, _ in rig_tree()}),
        (
            "optitrack",
            {
                "Hips": "Skeleton:Hip",
                "Spine": "Skeleton:Ab",
                "LeftUpLeg": "Skeleton:LThigh",
                "LeftLeg": "Skeleton:LShin",
            }
            | {"LeftFoot": "Skeleton:LFoot", "LeftToeBase": "Skeleton:LToe", "RightUpLeg": "Skeleton:RThigh"}
            | {"RightLeg": "Skeleton:RShin", "RightFoot": "Skeleton:RFoot", "RightToeBase": "Skeleton:RToe"}
            | {"LeftArm": "Skeleton:LUArm", "LeftForeArm": "Skeleton:LFArm", "LeftHand": "Skeleton:LHand"}
            | {"RightArm": "Skeleton:RUArm", "RightForeArm": "Skeleton:RFArm", "RightHand": "Skeleton:RHand"}
            | {"Neck": "Skeleton:Neck", "Head": "Skeleton:Head", "Spine1": "Skeleton:Chest"},
        ),
        (
            "xsens",
            {"Hips": "Pelvis", "LeftUpLeg": "LeftUpperLeg", "LeftLeg": "LeftLowerLeg", "LeftToeBase": "LeftToe"}
            | {"RightUpLeg": "RightUpperLeg", "RightLeg": "RightLowerLeg", "RightToeBase": "RightToe"}
            | {"Spine": "L3", "Spine1": "T8", "LeftArm": "LeftUpperArm", "RightArm": "RightUpperArm"},
        ),
    ],
)
def test_bvh_rigs_are_recognised_by_their_joint_names(tmp_path, rig, rename):
    root = walking_rest_pose(20, 30.0)[:, 0]
    (tmp_path / "walk.bvh").write_text(bvh_text(root, 0.01, tree=rig_tree(rename=rename)))
    motion = load_motion(tmp_path / "walk.bvh")
    assert motion.layout == f"bvh_{rig}" and motion.measured.all()
    expected = walking_rest_pose(20, 30.0)
    for joint in ("pelvis", "left_hip", "right_knee", "left_ankle", "right_foot", "neck", "head", "left_elbow"):
        np.testing.assert_allclose(motion.joints[:, JOINT_INDEX[joint]], expected[:, JOINT_INDEX[joint]], atol=1e-5)


# ---- bad input: one line naming the file


def _write_bad(tmp_path, kind):
    """Write one kind of bad file; return (path, load_motion kwargs, expected reason)."""
    if kind == "pickle_truncated":
        path = tmp_path / "walk.pkl"
        path.write_bytes(pickle.dumps({"joints": walking_rest_pose(20, 30.0), "fps": 30.0})[:-50])
        return path, {}, "corrupt or truncated pickle"
    if kind == "pickle_wrong_shape":
        path = tmp_path / "walk.pkl"
        write_pickle(path, {"joints": np.zeros((20, 66)), "fps": 30.0})
        return path, {}, r"joint array shaped \(20, 66\), expected \(frames, joints, 3\)"
    if kind == "pickle_nan_joints":
        path = tmp_path / "walk.pkl"
        joints = walking_rest_pose(20, 30.0)
        joints[4:16, 3] = np.nan  # 0.4 s: too long to fill, and no 8 frames left on either side
        write_pickle(path, {"joints": joints, "fps": 30.0})
        return (
            path,
            {},
            (
                r"no part of at least 8 frames without gaps over 0.2 s is left \(longest 4 frames\); gaps at spine1 "
                r"frames 4-15 \(12 frames, 0.40 s\)"
            ),
        )
    if kind == "pickle_not_a_cohort":
        path = tmp_path / "walk.pkl"
        write_pickle(path, [1, 2, 3])
        return path, {}, "expected subject -> walk -> dict, got list"
    if kind == "humanml3d_nan":
        path = tmp_path / "000003.npy"
        features = humanml3d_features(*turning_walk(20))
        features[7, 10] = np.nan
        np.save(path, features)
        return path, {}, r"1 of 20 feature vectors contain NaN or inf \(first: frame 7\)"
    if kind == "bvh_truncated":
        path = tmp_path / "walk.bvh"
        path.write_text(bvh_text(walking_rest_pose(10, 30.0)[:, 0], CMU_UNIT)[:-200])
        return path, {}, r"MOTION holds \d+ values, expected 10 frames x 78 channels = 780"
    if kind == "bvh_text_value":
        path = tmp_path / "walk.bvh"
        path.write_text(bvh_text(walking_rest_pose(10, 30.0)[:, 0], CMU_UNIT).replace("CHANNELS 3", "CHANNELS x", 1))
        return path, {}, "malformed BVH: .* channel count 'x' is not a number"
    if kind == "bvh_nan":
        path = tmp_path / "walk.bvh"
        text = bvh_text(walking_rest_pose(10, 30.0)[:, 0], CMU_UNIT).splitlines()
        for frame in (0, 1, 9):  # gaps at the ends cannot be interpolated: 7 frames are left
            text[frame - 10] = "nan " + text[frame - 10].split(" ", 1)[1]
        path.write_text("\n".join(text))
        return path, {}, r"no part of at least 8 frames without gaps over 0.2 s is left \(longest 7 frames\)"
    if kind == "bvh_other_skeleton":
        path = tmp_path / "walk.bvh"
        path.write_text(bvh_text(walking_rest_pose(10, 30.0)[:, 0], CMU_UNIT).replace("LeftLeg", "LKnee"))
        return path, {}, r"BVH joints match no known rig's legs \(closest cmu: no left_knee \(LeftLeg\)\); found: Hips"
    if kind == "c3d_corrupt":
        path = tmp_path / "trial.c3d"
        path.write_bytes(b"\x02\x50" + b"\x00" * 100)
        return path, {}, "corrupt or unreadable C3D file"
    raise AssertionError(kind)


@pytest.mark.parametrize(
    "kind",
    [
        "pickle_truncated",
        "pickle_wrong_shape",
        "pickle_nan_joints",
        "pickle_not_a_cohort",
        "humanml3d_nan",
        "bvh_truncated",
        "bvh_text_value",
        "bvh_nan",
        "bvh_other_skeleton",
        "c3d_corrupt",
    ],
)
def test_bad_input_is_a_one_line_error_naming_the_file(tmp_path, kind):
    if kind.startswith("c3d"):
        pytest.importorskip("ezc3d", reason="C3D reading needs the optional ezc3d package (pip install 'agir[c3d]')")
    path, kwargs, reason = _write_bad(tmp_path, kind)
    with pytest.raises(MotionFileError, match=reason) as caught:
        load_motion(path, **kwargs)
    assert str(caught.value).startswith(f"{path}: ") and "\n" not in str(caught.value)
