import numpy as np
import pytest
from helpers import REST_POSE

from agir.motion.features import (
    FEATURE_DIM,
    FOOT_CONTACTS,
    JOINT_VELOCITIES,
    LOCAL_POSITIONS,
    ROOT_HEIGHT,
    ROOT_VELOCITY,
    ROOT_YAW_VELOCITY,
    denormalize,
    facing_yaw,
    features_to_joints,
    foot_contacts,
    joints_to_features,
    normalize,
)
from agir.motion.skeleton import JOINT_INDEX, LEFT_ANKLE, LEFT_HIP, LEFT_TOE, PELVIS, RIGHT_ANKLE, RIGHT_HIP, RIGHT_TOE

LEFT_LEG = [JOINT_INDEX[f"left_{name}"] for name in ("knee", "ankle", "foot")]
RIGHT_LEG = [JOINT_INDEX[f"right_{name}"] for name in ("knee", "ankle", "foot")]


def rotate_y(points: np.ndarray, angle) -> np.ndarray:
    """Rotate points about +y (+z turns towards +x), one angle per frame."""
    angle = np.reshape(angle, (-1,) + (1,) * (points.ndim - 2))
    x, y, z = points[..., 0], points[..., 1], points[..., 2]
    return np.stack([np.cos(angle) * x + np.sin(angle) * z, y, np.cos(angle) * z - np.sin(angle) * x], axis=-1)


def walk(
    frames: int,
    fps: float,
    heading: float,
    turn_rad_s: float = 0.0,
    speed: float = 1.2,
    floor: float = 0.0,
    seed: int = 0,
) -> np.ndarray:
    """A walker: legs swinging in antiphase, heading turning at a constant rate, a little jitter."""
    rng = np.random.default_rng(seed)
    times = np.arange(frames) / fps
    yaw = heading + turn_rad_s * times
    phase = 2 * np.pi * 0.9 * times
    body = np.repeat(REST_POSE[None], frames, axis=0)
    for leg, sign in ((LEFT_LEG, 1.0), (RIGHT_LEG, -1.0)):
        body[:, leg, 2] += sign * 0.25 * np.sin(phase)[:, None]
        body[:, leg[1:], 1] += 0.06 * np.clip(sign * np.cos(phase), 0, None)[:, None]
    step = speed / fps * np.stack([np.sin(yaw), np.zeros(frames), np.cos(yaw)], axis=-1)
    pelvis = np.cumsum(step, axis=0) + np.array([3.0, floor, -2.0])
    return rotate_y(body, yaw) + pelvis[:, None] + rng.normal(scale=0.003, size=body.shape)


@pytest.mark.parametrize(
    "frames, fps, heading, turn, seed",
    [
        (120, 30.0, 0.0, 0.0, 0),  # straight line walk
        (90, 30.0, 2.9, 1.5, 1),  # turning through +-pi
        (300, 60.0, -2.0, -2.5, 2),  # several full turns the other way
        (17, 25.0, 1.0, 0.4, 3),
        (2, 30.0, -0.7, 0.0, 4),
    ],
)
def test_features_invert_exactly_for_any_direction_length_and_fps(frames, fps, heading, turn, seed):
    joints = walk(frames, fps, heading, turn, seed=seed)
    features = joints_to_features(joints, fps)
    assert features.shape == (frames, FEATURE_DIM) and features.dtype == np.float32
    back = features_to_joints(features)
    assert back.shape == (frames, 22, 3) and back.dtype == np.float32
    np.testing.assert_allclose(back, normalize(joints)[0], atol=1e-4)


def test_random_motion_inverts_exactly_too():
    rng = np.random.default_rng(5)
    joints = REST_POSE + rng.normal(scale=0.05, size=(64, 22, 3)) + np.cumsum(rng.normal(size=(64, 1, 3)), axis=0)
    joints = rotate_y(joints, rng.uniform(-np.pi, np.pi, size=64))  # facing jumps about from frame to frame
    np.testing.assert_allclose(features_to_joints(joints_to_features(joints)), normalize(joints)[0], atol=1e-4)


@pytest.mark.parametrize("heading", [0.0, 1.3, -2.4, np.pi])
def test_normalize_aligns_facing_origin_and_floor(heading):
    joints = walk(60, 30.0, heading, floor=0.37)
    normalized, root = normalize(joints)
    np.testing.assert_allclose(normalized[0, PELVIS, [0, 2]], 0.0, atol=1e-6)
    assert facing_yaw(normalized)[0] == pytest.approx(0.0, abs=1e-5)
    # Facing +z puts the body's left at +x and the walk goes towards +z.
    assert normalized[0, LEFT_HIP, 0] > normalized[0, RIGHT_HIP, 0]
    travel = normalized[-1, PELVIS] - normalized[0, PELVIS]
    assert travel[2] > 1.0 and abs(travel[0]) < 0.1
    feet = normalized[:, [LEFT_ANKLE, LEFT_TOE, RIGHT_ANKLE, RIGHT_TOE], 1]
    assert feet.min() == pytest.approx(0.0, abs=1e-6)
    assert root.floor == pytest.approx(joints[:, [LEFT_ANKLE, LEFT_TOE, RIGHT_ANKLE, RIGHT_TOE], 1].min())
    np.testing.assert_allclose(root.position, joints[:, PELVIS])
    assert abs(np.angle(np.exp(1j * (root.yaw[0] - heading)))) < 0.05
    np.testing.assert_allclose(denormalize(normalized, root), joints, atol=1e-5)


def test_features_do_not_depend_on_where_or_which_way_the_walk_starts():
    here = joints_to_features(walk(50, 30.0, 0.4, 0.8))
    there = joints_to_features(rotate_y(walk(50, 30.0, 0.4, 0.8), 2.2) + np.array([5.0, 0.3, -7.0]))
    np.testing.assert_allclose(here, there, atol=1e-4)


def test_feature_layout_and_facing_frame_velocities():
    slices = [ROOT_HEIGHT, ROOT_VELOCITY, ROOT_YAW_VELOCITY, LOCAL_POSITIONS, JOINT_VELOCITIES, FOOT_CONTACTS]
    assert [s.stop - s.start for s in slices] == [1, 2, 1, 63, 66, 4]
    assert all(a.stop == b.start for a, b in zip(slices, slices[1:], strict=False)) and FEATURE_DIM == 137
    # Walking straight at 1.2 m/s in any world direction is 0.04 m per frame straight ahead (+z) at 30 fps.
    features = joints_to_features(walk(90, 30.0, -1.1, speed=1.2), 30.0)
    assert np.median(features[:, ROOT_VELOCITY], axis=0) == pytest.approx([0.0, 0.04], abs=0.003)
    assert np.median(features[:, ROOT_YAW_VELOCITY]) == pytest.approx(0.0, abs=1e-3)
    assert np.median(features[:, ROOT_HEIGHT]) == pytest.approx(0.93 - 0.02, abs=0.01)  # floor = toes
    turning = joints_to_features(walk(90, 30.0, 0.5, turn_rad_s=0.9), 30.0)
    assert np.median(turning[:, ROOT_YAW_VELOCITY]) == pytest.approx(0.9 / 30.0, abs=0.005)


def test_contacts_one_on_a_planted_foot_zero_on_a_moving_one():
    fps, frames = 30.0, 40
    joints = np.repeat(REST_POSE[None], frames, axis=0)
    # The right foot slides at 1 m/s along the floor after frame 19, then from frame 30 hovers still 10 cm up.
    lifted = np.arange(frames) >= 30
    moved = np.clip((np.arange(frames) - 19) / fps, 0.0, 10 / fps)
    for joint in (RIGHT_ANKLE, RIGHT_TOE):
        joints[:, joint, 2] += moved
        joints[:, joint, 1] += np.where(lifted, 0.1, 0.0)
    contacts = foot_contacts(joints, fps)
    assert contacts.shape == (frames, 4) and set(np.unique(contacts)) <= {0.0, 1.0}
    assert contacts[:, :2].all()  # left heel and toe stay planted
    assert contacts[:18, 2:].all() and not contacts[21:, 2:].any()  # sliding or hovering is no contact
    np.testing.assert_array_equal(joints_to_features(joints, fps)[:, FOOT_CONTACTS], contacts)


def test_bad_shapes_are_refused():
    with pytest.raises(ValueError, match=r"joints must be \(frames, 22, 3\)"):
        normalize(np.zeros((10, 17, 3)))
    with pytest.raises(ValueError, match=r"features must be \(frames, 137\), got \(10, 136\)"):
        features_to_joints(np.zeros((10, 136)))
    with pytest.raises(ValueError, match="features need at least 2 frames"):
        joints_to_features(REST_POSE[None])
    with pytest.raises(ValueError, match="NaN or inf"):
        joints_to_features(np.full((4, 22, 3), np.nan))
    with pytest.raises(ValueError, match="cannot tell facing"):
        normalize(np.zeros((4, 22, 3)))
