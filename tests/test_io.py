import json
import math

import numpy as np
import pytest
from helpers import REST_POSE

from agir.gait import main as gait_cli
from agir.motion.io import Motion, MotionFileError, load_motion, resample, save_motion
from agir.motion.layout_completion import load_layout_file
from agir.motion.skeleton import JOINT_INDEX, LAYOUTS, SMPL22_JOINTS, get_layout


def walking_body(frames: int = 40, fps: float = 30.0, seed: int = 0) -> np.ndarray:
    """The rest pose gliding forward (+z) at 1.2 m/s with a little jitter, y up."""
    rng = np.random.default_rng(seed)
    forward = np.zeros((frames, 1, 3))
    forward[:, 0, 2] = 1.2 * np.arange(frames) / fps
    return REST_POSE + forward + rng.normal(scale=0.005, size=(frames, 22, 3))


def as_layout(body: np.ndarray, name: str) -> np.ndarray:
    """Source joints of a layout: each copied from the canonical joint it maps to; unused ones near the pelvis."""
    layout = get_layout(name)
    direct = {source: JOINT_INDEX[target] for target, source in layout.to_smpl22.items() if isinstance(source, str)}
    return np.stack([body[:, direct.get(joint, JOINT_INDEX["pelvis"])] for joint in layout.joints], axis=1)


def write_csv(path, joints: np.ndarray, names, time=None) -> None:
    header = [f"{joint}_{axis}" for joint in names for axis in "xyz"]
    table = joints.reshape(len(joints), -1)
    if time is not None:
        header, table = ["time"] + header, np.column_stack([time, table])
    np.savetxt(path, table, delimiter=",", header=",".join(header), comments="")


@pytest.mark.parametrize("name", sorted(LAYOUTS))
def test_npy_npz_and_csv_round_trips_for_each_layout(tmp_path, name):
    layout = get_layout(name)
    source = as_layout(walking_body(), name)
    expected = layout.to_canonical(source)
    np.save(tmp_path / "clip.npy", source)
    np.savez(tmp_path / "clip.npz", joints=source, fps=30.0, layout=name)
    write_csv(tmp_path / "clip.csv", source, layout.joints, time=np.arange(len(source)) / 30.0)
    for file, fps in (("clip.npy", 30.0), ("clip.npz", None), ("clip.csv", None)):
        motion = load_motion(tmp_path / file, fps=fps)
        assert motion.layout == name and motion.fps == pytest.approx(30.0) and motion.path == str(tmp_path / file)
        assert motion.joints.dtype == np.float32 and motion.joints.shape == (40, 22, 3)
        np.testing.assert_allclose(motion.joints, expected, atol=1e-5)
        np.testing.assert_array_equal(motion.measured, layout.measured_mask)


def test_h36m17_maps_the_right_joints_and_flags_missing_toes(tmp_path):
    body = walking_body()
    np.save(tmp_path / "h36m.npy", as_layout(body, "h36m17"))
    motion = load_motion(tmp_path / "h36m.npy", fps=30)
    for joint in ("pelvis", "left_knee", "right_ankle", "left_wrist", "head", "neck"):
        np.testing.assert_allclose(motion.joints[:, JOINT_INDEX[joint]], body[:, JOINT_INDEX[joint]], atol=1e-6)
    assert [SMPL22_JOINTS[i] for i in np.flatnonzero(~motion.measured)] == ["left_foot", "right_foot"]
    feet, ankles = motion.joints[:, JOINT_INDEX["left_foot"]], motion.joints[:, JOINT_INDEX["left_ankle"]]
    np.testing.assert_array_equal(feet, ankles)  # a missing joint sits on its parent


def test_kinect25_and_smpl24_mappings(tmp_path):
    body = walking_body()
    kinect = as_layout(body, "kinect25")
    kinect[:, get_layout("kinect25").joints.index("thumb_left")] = np.nan  # a joint the mapping never reads
    np.save(tmp_path / "kinect.npy", kinect)
    motion = load_motion(tmp_path / "kinect.npy", fps=30)
    assert motion.layout == "kinect25" and motion.measured.all()
    for joint in ("left_hip", "right_foot", "left_shoulder", "head"):
        np.testing.assert_allclose(motion.joints[:, JOINT_INDEX[joint]], body[:, JOINT_INDEX[joint]], atol=1e-6)
    np.testing.assert_allclose(
        motion.joints[:, JOINT_INDEX["left_collar"]],
        (body[:, JOINT_INDEX["neck"]] + body[:, JOINT_INDEX["left_shoulder"]]) / 2,
        atol=1e-6,
    )

    smpl24 = np.concatenate([body, body[:, [20, 21]] + 0.08], axis=1)  # hands beyond the wrists are dropped
    np.save(tmp_path / "smpl24.npy", smpl24)
    motion = load_motion(tmp_path / "smpl24.npy", fps=30)
    assert motion.layout == "smpl24"
    np.testing.assert_allclose(motion.joints, body, atol=1e-6)


@pytest.mark.parametrize("unit, scale", [("mm", 1000.0), ("cm", 100.0), ("m", 1.0)])
def test_units_are_detected_from_body_size(tmp_path, unit, scale):
    body = walking_body()
    np.save(tmp_path / "clip.npy", body * scale)
    np.testing.assert_allclose(load_motion(tmp_path / "clip.npy", fps=30).joints, body, atol=1e-5)
    np.testing.assert_allclose(load_motion(tmp_path / "clip.npy", fps=30, units=unit).joints, body, atol=1e-5)


def test_implausible_units_are_refused_with_the_size_found(tmp_path):
    np.save(tmp_path / "tiny.npy", walking_body() * 0.1)  # a 15 cm tall "person" in metres
    with pytest.raises(MotionFileError, match=r"tiny.npy: implausible body size: head-to-ankle distance 0.147"):
        load_motion(tmp_path / "tiny.npy", fps=30)
    np.save(tmp_path / "mm.npy", walking_body() * 1000)
    with pytest.raises(MotionFileError, match=r"implausible body size for units 'm': head-to-ankle distance 14\d\d"):
        load_motion(tmp_path / "mm.npy", fps=30, units="m")


@pytest.mark.parametrize("up", ["auto", "z"])
def test_z_up_input_becomes_y_up_and_keeps_left_on_the_left(tmp_path, up):
    # A z-up world (right-handed) where the body walks along +x: its left is then up x forward = +y.
    body = walking_body()
    z_up = body[..., [2, 0, 1]]  # rest (x=left, y=up, z=forward) -> (forward, left, up)
    np.save(tmp_path / "zup.npy", z_up)
    joints = load_motion(tmp_path / "zup.npy", fps=30, up=up).joints
    assert np.all(joints[:, JOINT_INDEX["head"], 1] > joints[:, JOINT_INDEX["left_ankle"], 1] + 1.0)
    forward = joints[-1, 0] - joints[0, 0]
    forward[1] = 0.0
    left = np.array([forward[2], 0.0, -forward[0]])  # up x forward with up = +y
    across = joints[:, JOINT_INDEX["left_hip"]] - joints[:, JOINT_INDEX["right_hip"]]
    assert np.all(across @ left > 0)
    np.testing.assert_allclose(
        np.linalg.norm(joints - joints[:, :1], axis=-1), np.linalg.norm(body - body[:, :1], axis=-1), atol=1e-5
    )  # rigid: no scaling


# Proper rotations (det +1) of the y-up body putting its up direction along another signed axis.
TURNED_UP = {
    "-y": np.array([[1.0, 0.0, 0.0], [0.0, -1.0, 0.0], [0.0, 0.0, -1.0]]),  # a camera's y down, z into the scene
    "+x": np.array([[0.0, 1.0, 0.0], [-1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]),
    "-z": np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, -1.0, 0.0]]),
    "-x": np.array([[0.0, -1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]),
}


def assert_left_on_the_left(joints: np.ndarray) -> None:
    forward = joints[-1, 0] - joints[0, 0]
    left = np.array([forward[2], 0.0, -forward[0]])  # up x forward with up = +y
    across = joints[:, JOINT_INDEX["left_hip"]] - joints[:, JOINT_INDEX["right_hip"]]
    assert np.all(across @ left > 0)


@pytest.mark.parametrize("up", sorted(TURNED_UP))
def test_any_up_axis_is_turned_up_by_a_rotation_and_said(tmp_path, up):
    body = walking_body()
    turned = body @ TURNED_UP[up].T
    assert np.all(turned[:, JOINT_INDEX["head"], "xyz".index(up[1])] * (1 if up[0] == "+" else -1) > 1.0)
    np.save(tmp_path / "turned.npy", turned)
    for flag in ("auto", up, up.lstrip("+")):
        motion = load_motion(tmp_path / "turned.npy", fps=30, up=flag)
        joints = motion.joints
        assert np.all(joints[:, JOINT_INDEX["head"], 1] > joints[:, JOINT_INDEX["left_ankle"], 1] + 1.0)
        assert_left_on_the_left(joints)
        np.testing.assert_allclose(
            np.linalg.norm(joints - joints[:, :1], axis=-1), np.linalg.norm(body - body[:, :1], axis=-1), atol=1e-5
        )
        assert motion.notes == ([f"up axis {up} (detected), turned to +y by a rotation"] if flag == "auto" else [])


def test_labels_on_the_wrong_side_are_swapped_back_and_said(tmp_path):
    mirrored = walking_body() * np.array([-1.0, 1.0, 1.0])  # a left-handed file: left joints on the body's right
    np.save(tmp_path / "mirrored.npy", mirrored)
    motion = load_motion(tmp_path / "mirrored.npy", fps=30)
    assert motion.notes == ["left and right swapped: the joints labelled left lie on the body's right"]
    assert_left_on_the_left(motion.joints)


def test_no_clear_up_axis_or_a_wrong_forced_one_is_refused(tmp_path):
    tilt = np.radians(45)
    leaning = (
        walking_body() @ np.array([[np.cos(tilt), -np.sin(tilt), 0], [np.sin(tilt), np.cos(tilt), 0], [0, 0, 1]]).T
    )
    np.save(tmp_path / "leaning.npy", leaning)
    with pytest.raises(MotionFileError, match=r"leaning.npy: cannot tell the up axis: .* pass up \(--up\)"):
        load_motion(tmp_path / "leaning.npy", fps=30)
    np.save(tmp_path / "flat.npy", walking_body()[..., [0, 2, 1]] * np.array([1.0, 1.0, -1.0]))
    with pytest.raises(MotionFileError, match=r"flat.npy: with up='\+z' the head is below the ankles"):
        load_motion(tmp_path / "flat.npy", fps=30, up="z")
    with pytest.raises(MotionFileError, match=r"flat.npy: unknown up axis 'w'; use auto, x, y, z"):
        load_motion(tmp_path / "flat.npy", fps=30, up="w")


def test_short_gaps_are_filled_long_ones_cut_and_both_said(tmp_path):
    body = walking_body(frames=150)
    gappy = body.copy()
    gappy[40:46, JOINT_INDEX["left_knee"]] = np.nan  # 6 frames, 0.2 s: filled
    gappy[100:130, JOINT_INDEX["left_wrist"]] = np.nan  # 1 s: cut
    gappy[:, JOINT_INDEX["left_wrist"], 0][70] = np.inf  # a single bad value: filled
    np.save(tmp_path / "gaps.npy", gappy)
    motion = load_motion(tmp_path / "gaps.npy", fps=30)
    assert motion.notes == [
        "filled 2 gaps of up to 0.2 s by spline interpolation (PCHIP): left_knee frames 40-45 (6 frames, 0.20 s); "
        "left_wrist frame 70 (0.03 s)",
        "kept frames 0-99 (3.33 s of 5.00 s), the longest part without gaps over 0.2 s; cut at left_wrist frames "
        "100-129 (30 frames, 1.00 s)",
    ]
    assert len(motion.joints) == 100
    np.testing.assert_allclose(
        motion.joints[40:46, JOINT_INDEX["left_knee"]], body[40:46, JOINT_INDEX["left_knee"]], atol=0.02
    )
    strict = load_motion(tmp_path / "gaps.npy", fps=30, max_gap_s=0.1)  # the 6-frame gap is now cut too
    assert len(strict.joints) == 54 and "cut at left_knee frames 40-45" in strict.notes[-1]


def test_a_frame_rate_the_file_states_wins_over_the_flag_with_a_note(tmp_path):
    np.savez(tmp_path / "clip.npz", joints=walking_body(), fps=60.0)
    np.save(tmp_path / "clip.npy", walking_body())
    stated = load_motion(tmp_path / "clip.npz", fps=30)
    assert stated.fps == 60.0
    assert stated.notes == ["read at the file's own 60 fps (--fps 30 applies to files without a rate)"]
    bare = load_motion(tmp_path / "clip.npy", fps=30)
    assert bare.fps == 30.0 and bare.notes == []


LIFTER15 = {  # a video lifter's 15 joints, in its own order and names
    "Pelvis": "pelvis",
    "RHip": "right_hip",
    "RKnee": "right_knee",
    "RAnkle": "right_ankle",
    "LHip": "left_hip",
    "LKnee": "left_knee",
    "LAnkle": "left_ankle",
    "Neck": "neck",
    "Head": "head",
    "LShoulder": "left_shoulder",
    "LElbow": "left_elbow",
    "LWrist": "left_wrist",
    "RShoulder": "right_shoulder",
    "RElbow": "right_elbow",
    "RWrist": "right_wrist",
}


def test_a_layout_file_maps_any_joint_set_and_completes_the_trunk(tmp_path, capsys):
    body = walking_body()
    camera = (body - body[:, :1]) @ TURNED_UP["-y"].T  # root-relative, y down: a lifter's output
    np.save(tmp_path / "lifted.npy", np.stack([camera[:, JOINT_INDEX[joint]] for joint in LIFTER15.values()], axis=1))
    (tmp_path / "lifter15.json").write_text(json.dumps(LIFTER15))
    layout = load_layout_file(tmp_path / "lifter15.json")
    motion = load_motion(tmp_path / "lifted.npy", fps=25, layout=layout)
    assert motion.layout == "lifter15"
    assert motion.notes == [
        "lifter15: placed spine1 between pelvis and neck, spine2 between pelvis and neck, spine3 between pelvis and "
        "neck",
        "lifter15: no left_foot, right_foot; parameters needing them are not measured",
        "up axis -y (detected), turned to +y by a rotation",
    ]
    assert [SMPL22_JOINTS[i] for i in np.flatnonzero(~motion.measured)] == ["left_foot", "right_foot"]
    relative = body - body[:, :1]
    for joint in ("left_knee", "right_ankle", "neck", "head", "left_wrist"):
        np.testing.assert_allclose(motion.joints[:, JOINT_INDEX[joint]], relative[:, JOINT_INDEX[joint]], atol=1e-5)
    spine2 = 0.55 * relative[:, JOINT_INDEX["pelvis"]] + 0.45 * relative[:, JOINT_INDEX["neck"]]
    np.testing.assert_allclose(motion.joints[:, JOINT_INDEX["spine2"]], spine2, atol=1e-5)
    # The same through agir.gait's flags, the axis forced and the units given.
    flags = ["--layout-file", str(tmp_path / "lifter15.json"), "--fps", "25", "--up=-y", "--units", "m", "--json"]
    assert gait_cli([str(tmp_path / "lifted.npy"), *flags]) == 0
    assert json.loads(capsys.readouterr().out)["notes"] == motion.notes[:2]
    (tmp_path / "bad.json").write_text(json.dumps({"Pelvis": "hips"}))
    with pytest.raises(ValueError, match=r"bad.json: 'Pelvis' -> 'hips' is not a canonical joint"):
        load_layout_file(tmp_path / "bad.json")


@pytest.mark.parametrize("fps_in", [120.0, 100.0])
def test_resampled_sine_matches_the_analytic_sine(fps_in):
    duration, frequency = 2.0, 1.5
    times = np.arange(int(duration * fps_in) + 1) / fps_in
    signal = np.sin(2 * np.pi * frequency * times)[:, None, None] * np.ones((1, 2, 3))
    out = resample(signal, fps_in, 30.0)
    assert out.shape == (61, 2, 3)
    np.testing.assert_allclose(out[:, 0, 0], np.sin(2 * np.pi * frequency * np.arange(61) / 30.0), atol=2e-3)


def test_downsampling_removes_frequencies_the_new_rate_cannot_hold():
    times = np.arange(241) / 120.0
    slow = np.sin(2 * np.pi * 1.0 * times)
    jitter = 0.2 * np.sin(2 * np.pi * 50.0 * times + 0.3)  # would alias to 10 Hz at 30 fps
    out = resample((slow + jitter)[:, None, None], 120.0, 30.0)[:, 0, 0]
    # The end samples are kept as recorded (odd extension, so a walking trend is not bent at the ends).
    np.testing.assert_allclose(out[1:-1], np.sin(2 * np.pi * np.arange(1, 60) / 30.0), atol=0.01)
    aliased = resample((slow + jitter)[::4, None, None], 30.0, 30.0)[:, 0, 0]  # naive decimation, for contrast
    assert np.abs(aliased[1:-1] - np.sin(2 * np.pi * np.arange(1, 60) / 30.0)).max() > 0.1


def test_upsampling_and_target_fps_on_load(tmp_path):
    body = walking_body(frames=41, fps=120)
    np.save(tmp_path / "fast.npy", body)
    motion = load_motion(tmp_path / "fast.npy", fps=120, target_fps=30)
    assert motion.fps == 30.0 and motion.joints.shape == (11, 22, 3)
    np.testing.assert_allclose(motion.joints[:, 0, 2], 1.2 * np.arange(11) / 30.0, atol=0.01)
    up = resample(body[:, :1, 2:].astype(np.float64), 120.0, 240.0)[:, 0, 0]
    assert len(up) == 81
    np.testing.assert_allclose(up[::2], body[:, 0, 2], atol=1e-12)


def test_save_and_load_keep_source_layout_and_measured_mask(tmp_path):
    np.save(tmp_path / "h36m.npy", as_layout(walking_body(), "h36m17") * 1000)
    motion = load_motion(tmp_path / "h36m.npy", fps=50)
    save_motion(tmp_path / "saved.npz", motion)
    again = load_motion(tmp_path / "saved.npz")
    assert again.layout == "h36m17" and again.fps == 50.0
    np.testing.assert_array_equal(again.measured, motion.measured)
    np.testing.assert_array_equal(again.joints, motion.joints)
    with pytest.raises(MotionFileError, match="saved.npz: layout 'smpl22' was given but the file says 'h36m17'"):
        load_motion(tmp_path / "saved.npz", layout="smpl22")
    with pytest.raises(MotionFileError, match=r"clip.npy: motions are saved as .npz"):
        save_motion(tmp_path / "clip.npy", Motion(motion.joints, 30.0, "smpl22", motion.measured, ""))


class _Trap:
    """Unpickling this creates a file: proof that a loader executed pickle code."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return open, (self.marker, "w")


def _write_bad(tmp_path, kind):
    """Write one kind of bad file; return (path, load_motion kwargs, expected reason regex)."""
    body = walking_body(frames=20)
    path = tmp_path / f"{kind}.npy"
    kwargs = {"fps": 30}
    if kind == "missing":
        return path, kwargs, "no such file"
    if kind == "suffix":
        path = tmp_path / "clip.txt"
        path.write_text("1,2,3")
        return path, kwargs, r"unsupported file type '.txt'; readers exist for .npy, .npz, .csv"
    if kind == "nan_frames":
        body[3:14, 5, 1] = np.nan
        body[15, 0, 0] = np.inf
        np.save(path, body)
        return (
            path,
            kwargs,
            (
                r"no part of at least 8 frames without gaps over 0.2 s is left \(longest 6 frames\); "
                r"gaps at right_knee frames 3-13 \(11 frames, 0.37 s\)"
            ),
        )
    if kind == "too_short":
        np.save(path, body[:3])
        return path, kwargs, r"only 3 frames \(at least 8 needed\)"
    if kind == "two_dims":
        np.save(path, body.reshape(20, 66))
        return path, kwargs, r"joint array shaped \(20, 66\), expected \(frames, joints, 3\)"
    if kind == "joint_count":
        np.save(path, body[:, :20])
        return path, kwargs, "20 joints match no known layout; pass layout, one of: smpl22 \\(22 joints\\)"
    if kind == "layout_mismatch":
        np.save(path, as_layout(body, "h36m17"))
        return path, {**kwargs, "layout": "smpl22"}, "17 joints do not match layout smpl22 \\(22 joints\\)"
    if kind == "unknown_layout":
        np.save(path, body)
        return path, {**kwargs, "layout": "coco"}, "unknown joint layout 'coco'; known layouts: smpl22, smpl24"
    if kind == "no_fps":
        np.save(path, body)
        return path, {}, r"no frame rate in the file; pass fps \(--fps\)"
    if kind == "zero_fps":
        np.save(path, body)
        return path, {"fps": 0}, "frame rate must be positive, got 0"
    if kind == "truncated_npy":
        np.save(path, body)
        path.write_bytes(path.read_bytes()[:300])
        return path, kwargs, "corrupt or truncated file"
    if kind == "truncated_npz":
        path = tmp_path / "clip.npz"
        np.savez_compressed(path, joints=body, fps=30.0)
        path.write_bytes(path.read_bytes()[:-40])
        return path, kwargs, "corrupt or truncated file"
    if kind == "npz_without_joints":
        path = tmp_path / "clip.npz"
        np.savez(path, poses=body)
        return path, kwargs, r"no 'joints' or 'positions' array \(found: poses\)"
    if kind == "csv_text_cell":
        path = tmp_path / "clip.csv"
        write_csv(path, body, SMPL22_JOINTS)
        lines = path.read_text().splitlines()
        cells = lines[4].split(",")
        lines[4] = ",".join([cells[0], "abc", *cells[2:]])
        path.write_text("\n".join(lines))
        return path, kwargs, "line 5, column pelvis_y: 'abc' is not a number"
    if kind == "csv_ragged":
        path = tmp_path / "clip.csv"
        write_csv(path, body, SMPL22_JOINTS)
        path.write_text(path.read_text() + "1.0,2.0\n")
        return path, kwargs, "line 22: 2 values for 66 columns"
    if kind == "csv_unknown_joints":
        path = tmp_path / "clip.csv"
        write_csv(path, body, [name.replace("left_knee", "l_knee") for name in SMPL22_JOINTS])
        return path, kwargs, r"joint columns match no known layout \(closest smpl22: missing \['left_knee_x'"
    if kind == "csv_binary":
        path = tmp_path / "clip.csv"
        path.write_bytes(b"\xff\xfe\x00\x81garbage")
        return path, kwargs, "not a readable CSV text file"
    raise AssertionError(kind)


@pytest.mark.parametrize(
    "kind",
    [
        "missing",
        "suffix",
        "nan_frames",
        "too_short",
        "two_dims",
        "joint_count",
        "layout_mismatch",
        "unknown_layout",
        "no_fps",
        "zero_fps",
        "truncated_npy",
        "truncated_npz",
        "npz_without_joints",
        "csv_text_cell",
        "csv_ragged",
        "csv_unknown_joints",
        "csv_binary",
    ],
)
def test_bad_input_is_a_one_line_error_naming_the_file(tmp_path, kind):
    path, kwargs, reason = _write_bad(tmp_path, kind)
    with pytest.raises(MotionFileError, match=reason) as caught:
        load_motion(path, **kwargs)
    assert str(caught.value).startswith(f"{path}: ") and caught.value.path == str(path)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize("suffix", [".npy", ".npz"])
def test_pickled_objects_are_refused_without_being_unpickled(tmp_path, suffix):
    marker = tmp_path / "unpickled"
    trap = np.array([_Trap(marker)], dtype=object)
    path = tmp_path / f"evil{suffix}"
    if suffix == ".npy":
        np.save(path, trap, allow_pickle=True)
    else:
        np.savez(path, joints=trap, fps=30.0)
    with pytest.raises(MotionFileError, match=f"evil{suffix}: holds pickled Python objects, which are never loaded"):
        load_motion(path, fps=30 if suffix == ".npy" else None)
    assert not marker.exists()


def test_csv_frame_column_needs_fps_and_time_column_sets_it(tmp_path):
    body = walking_body()
    table = np.column_stack([np.arange(len(body)), body.reshape(len(body), -1)])
    header = "frame," + ",".join(f"{joint}_{axis}" for joint in SMPL22_JOINTS for axis in "xyz")
    np.savetxt(tmp_path / "frames.csv", table, delimiter=",", header=header, comments="")
    with pytest.raises(MotionFileError, match="no frame rate"):
        load_motion(tmp_path / "frames.csv")
    assert load_motion(tmp_path / "frames.csv", fps=25).fps == 25.0
    times = np.round(np.arange(len(body)) / 150.0, 3)  # 3-decimal time stamps of a 150 Hz recording
    write_csv(tmp_path / "timed.csv", body, SMPL22_JOINTS, time=times)
    assert math.isclose(load_motion(tmp_path / "timed.csv").fps, 150.0, rel_tol=0.01)
