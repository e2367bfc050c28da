"""SMPL joints from shape and pose parameters: our own forward kinematics over a user-provided SMPL model file.

The model file (`.npz`, or SMPL's own `.pkl` without chumpy objects, e.g. the smplx distribution's) must hold
`v_template` (V, 3), `shapedirs` (V, 3, B), `J_regressor` (J, V) dense or sparse and `kintree_table` (2, J) whose
first row is each joint's parent. Joints only need the rest shape: the pose blend shapes (`posedirs`) and skinning
weights move vertices, not the regressed rest joints, so they are not read.

    rest joints  J = J_regressor @ (v_template + shapedirs @ beta)
    G_root = [R(pose_0) | J_0],  G_i = G_parent(i) @ [R(pose_i) | J_i - J_parent(i)]
    joint i at frame t = translation of G_i + trans_t

with R the Rodrigues rotation of an axis-angle vector. No SMPL code or weights ship with AGIR.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse

from agir.motion.formats.safe_pickle import SPARSE_GLOBALS, load_pickle
from agir.motion.io import MotionFileError, numpy_errors

MODEL_KEYS = ("v_template", "shapedirs", "J_regressor", "kintree_table")


@dataclass(frozen=True)
class SMPLModel:
    """What joint positions need from an SMPL model: the shaped rest joints' ingredients and the tree."""

    v_template: np.ndarray  # (V, 3)
    shapedirs: np.ndarray  # (V, 3, B)
    J_regressor: np.ndarray  # (J, V) dense
    parents: np.ndarray  # (J,) parent index, -1 for the root; parents precede children

    @property
    def num_joints(self) -> int:
        return len(self.parents)

    def rest_joints(self, beta: np.ndarray) -> np.ndarray:
        """(J, 3) joints of the body shape `beta` (its first B coefficients are used; missing ones are 0)."""
        beta = np.asarray(beta, dtype=np.float64).reshape(-1)[: self.shapedirs.shape[2]]
        shaped = self.v_template + self.shapedirs[:, :, : len(beta)] @ beta
        return self.J_regressor @ shaped


def load_smpl_model(path: str | Path) -> SMPLModel:
    """Read an SMPL model file (.npz or .pkl); a missing key or bad shape is a MotionFileError naming the file."""
    path = Path(path)
    if not path.is_file():
        raise MotionFileError(path, "SMPL model file not found")
    if path.suffix.lower() == ".npz":
        with numpy_errors(path), np.load(path, allow_pickle=False) as archive:
            content = {key: archive[key] for key in archive.files if key in MODEL_KEYS}
    else:
        content = load_pickle(path, SPARSE_GLOBALS)
        if not isinstance(content, dict):
            raise MotionFileError(path, f"SMPL model pickle holds a {type(content).__name__}, not a dict")
    missing = [key for key in MODEL_KEYS if key not in content]
    if missing:
        raise MotionFileError(path, f"not an SMPL model: no {', '.join(missing)}")
    regressor = content["J_regressor"]
    regressor = regressor.toarray() if scipy.sparse.issparse(regressor) else np.asarray(regressor)
    v_template = np.asarray(content["v_template"], dtype=np.float64)
    shapedirs = np.asarray(content["shapedirs"], dtype=np.float64)
    parents = np.asarray(content["kintree_table"])[0].astype(np.int64)
    vertices, joints = len(v_template), len(parents)
    if (
        v_template.shape != (vertices, 3)
        or shapedirs.ndim != 3
        or shapedirs.shape[:2] != (vertices, 3)
        or regressor.shape != (joints, vertices)
    ):
        raise MotionFileError(
            path,
            f"SMPL model arrays do not fit together: v_template {v_template.shape}, "
            f"shapedirs {shapedirs.shape}, J_regressor {regressor.shape}, {joints} joints",
        )
    parents[0] = -1  # the root's entry is a sentinel (2**32 - 1 in SMPL files)
    if np.any(parents[1:] >= np.arange(1, joints)) or np.any(parents[1:] < 0):
        raise MotionFileError(path, "kintree_table: every joint's parent must come before it")
    return SMPLModel(v_template, shapedirs, regressor.astype(np.float64), parents)


def rodrigues(axis_angle: np.ndarray) -> np.ndarray:
    """(..., 3) axis-angle vectors -> (..., 3, 3) rotation matrices."""
    angle = np.linalg.norm(axis_angle, axis=-1, keepdims=True)
    axis = axis_angle / np.where(angle > 1e-12, angle, 1.0)
    x, y, z = np.moveaxis(axis, -1, 0)
    zero = np.zeros_like(x)
    cross = np.stack([zero, -z, y, z, zero, -x, -y, x, zero], axis=-1).reshape(axis.shape[:-1] + (3, 3))
    sin, cos = np.sin(angle)[..., None], np.cos(angle)[..., None]
    return np.eye(3) + sin * cross + (1.0 - cos) * (cross @ cross)


def smpl_joints(model: SMPLModel, pose: np.ndarray, trans: np.ndarray, beta: np.ndarray) -> np.ndarray:
    """(frames, J, 3) joint positions from axis-angle `pose` (frames, 3J), `trans` (frames, 3) and shape `beta`."""
    frames = len(pose)
    rotations = rodrigues(np.asarray(pose, dtype=np.float64).reshape(frames, model.num_joints, 3))
    rest = model.rest_joints(beta)
    world_rotation = np.empty_like(rotations)
    positions = np.empty((frames, model.num_joints, 3))
    for joint, parent in enumerate(model.parents):
        if parent < 0:
            world_rotation[:, joint] = rotations[:, joint]
            positions[:, joint] = rest[joint]
        else:
            world_rotation[:, joint] = world_rotation[:, parent] @ rotations[:, joint]
            positions[:, joint] = positions[:, parent] + world_rotation[:, parent] @ (rest[joint] - rest[parent])
    return positions + np.asarray(trans, dtype=np.float64)[:, None, :]
