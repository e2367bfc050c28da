import numpy as np
import pytest

from agir.motion.skeleton import (
    JOINT_INDEX,
    LAYOUTS,
    SMPL22_JOINTS,
    SMPL22_PARENTS,
    JointLayout,
    bone_lengths,
    get_layout,
)


def test_parents_precede_children():
    assert SMPL22_PARENTS[0] == -1
    assert all(parent < child for child, parent in enumerate(SMPL22_PARENTS) if child)


def test_h36m17_maps_named_joints_blends_spine_and_flags_missing_toes():
    layout = get_layout("h36m17")
    source = np.random.default_rng(0).normal(size=(4, 17, 3))
    canonical = layout.to_canonical(source)
    src = {name: i for i, name in enumerate(layout.joints)}
    np.testing.assert_allclose(canonical[:, JOINT_INDEX["left_knee"]], source[:, src["left_knee"]], rtol=1e-6)
    np.testing.assert_allclose(canonical[:, JOINT_INDEX["neck"]], source[:, src["thorax"]], rtol=1e-6)
    np.testing.assert_allclose(
        canonical[:, JOINT_INDEX["spine3"]], (source[:, src["spine"]] + source[:, src["thorax"]]) / 2, rtol=1e-5
    )
    assert layout.missing == ("left_foot", "right_foot")
    assert not layout.measured_mask[JOINT_INDEX["left_foot"]]
    # A missing joint sits on its parent, a zero-length bone, never a guessed position.
    np.testing.assert_allclose(canonical[:, JOINT_INDEX["left_foot"]], canonical[:, JOINT_INDEX["left_ankle"]])


def _side(layout_name: str, joint: str) -> float:
    """+1 for a left joint, -1 for a right one, 0 on the midline."""
    name = joint.lower()
    return 1.0 if "left" in name else -1.0 if "right" in name else 0.0


@pytest.mark.parametrize("name", sorted(LAYOUTS))
def test_every_layout_keeps_left_and_right(name):
    layout = get_layout(name)
    source = np.zeros((1, layout.num_joints, 3))
    for i, joint in enumerate(layout.joints):
        source[0, i, 0] = _side(name, joint)
    canonical = layout.to_canonical(source)[0]
    for joint in SMPL22_JOINTS:
        if joint.startswith(("left", "right")) and layout.to_smpl22[joint] is not None:
            assert np.sign(canonical[JOINT_INDEX[joint], 0]) == (1 if joint.startswith("left") else -1), joint


def test_bad_layouts_and_shapes_are_refused():
    with pytest.raises(ValueError, match="unknown joint layout 'coco'; known layouts: smpl22"):
        get_layout("coco")
    with pytest.raises(ValueError, match=r"expects \(frames, 17, 3\), got \(5, 22, 3\)"):
        get_layout("h36m17").to_canonical(np.zeros((5, 22, 3)))
    with pytest.raises(ValueError, match="must name every SMPL-22 joint"):
        JointLayout("partial", ("pelvis",), {"pelvis": "pelvis"})


def test_bone_lengths_shape():
    joints = np.random.default_rng(1).normal(size=(3, 22, 3))
    lengths = bone_lengths(joints)
    assert lengths.shape == (3, 21)
    np.testing.assert_allclose(lengths[:, 0], np.linalg.norm(joints[:, 1] - joints[:, 0], axis=-1))
