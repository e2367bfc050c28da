"""Readers of other motion formats; importing this package registers them with `agir.motion.io`.

- `carepd`: CARE-PD walk pickles (SMPL parameters, or joints), loaded with a restricted unpickler.
- `humanml3d`: HumanML3D's 263-d feature vectors (`new_joint_vecs`); its `new_joints` are plain `.npy` joints.
- `bvh`: BVH motion capture, forward kinematics; rigs matched by joint names (`bvh_rigs`: CMU, Mixamo, Xsens, Rokoko,
  Perception Neuron, OptiTrack).
- `c3d`: C3D marker files through the optional `ezc3d` package; marker sets and joint centres in `marker_sets`.
"""

from agir.motion.formats import bvh, c3d, carepd, humanml3d  # noqa: F401
