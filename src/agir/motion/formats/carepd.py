"""CARE-PD cohort pickles: {subject: {walk: {pose, trans, beta, fps, UPDRS_GAIT, medication, ...}}}.

Assumptions, from the CARE-PD release: `pose` is SMPL axis-angle (frames, 72) (24 joints x 3, the global orientation
first), `trans` (frames, 3) the root translation in metres, `beta` (10,) the body shape, `fps` a number, y up
(not relied on: the up axis is detected). A walk that already holds joints under `joints` or `positions`
((frames, J, 3), e.g. SMPL-24 or SMPL-22) is used as is; otherwise joints need a user-provided SMPL model file
(`agir.motion.formats.smpl`). The files are read with `safe_pickle`: nothing but containers and arrays is built.

`load_motion` reads a `.pkl` holding one walk (the walk's dict itself, or a cohort of one walk), with joints or with
SMPL parameters and the model given as `ReadOptions.smpl_model` (`--smpl-model`); cohorts go through `read_cohort`
and `walk_motion`, as the `carepd` corpus source does.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from agir.motion.formats.safe_pickle import load_pickle
from agir.motion.formats.smpl import SMPLModel, smpl_joints
from agir.motion.io import MotionFileError, RawMotion, ReadOptions, register_reader

JOINT_KEYS = ("joints", "positions")
SMPL_KEYS = ("pose", "trans", "beta")
SCORE_KEY = "UPDRS_GAIT"
MEDICATION_KEY = "medication"
SMPL_POSE_DIM = 72


def read_cohort(path: Path) -> dict[str, dict[str, dict]]:
    """The subject -> walk -> dict structure of a CARE-PD pickle, checked; a walk pickle counts as one walk."""
    content = load_pickle(path)
    if _is_walk(content):
        return {path.stem: {path.stem: content}}
    if not isinstance(content, dict) or not content:
        raise MotionFileError(path, f"expected subject -> walk -> dict, got {type(content).__name__}")
    for subject, walks in content.items():
        if not isinstance(walks, dict) or not all(_is_walk(walk) for walk in walks.values()):
            raise MotionFileError(
                path,
                f"subject {subject!r}: expected walk -> dict with {', '.join(SMPL_KEYS)} or {' or '.join(JOINT_KEYS)}",
            )
    return {str(subject): {str(name): walk for name, walk in walks.items()} for subject, walks in content.items()}


def walk_motion(path: Path, walk: dict, model: SMPLModel | None) -> RawMotion:
    """One walk's joints as read (precomputed, or SMPL forward kinematics with `model`) and its frame rate."""
    fps = _number(path, walk, "fps")
    key = next((k for k in JOINT_KEYS if k in walk), None)
    if key is not None:
        return RawMotion(_array(path, walk, key), fps)
    if model is None:
        raise MotionFileError(
            path,
            "SMPL parameters but no joints: give an SMPL model file (--smpl-model, data.recordings.smpl_model) to "
            "compute them",
        )
    pose, trans, beta = (_array(path, walk, name) for name in SMPL_KEYS)
    if pose.ndim != 2 or pose.shape[1] != 3 * model.num_joints or trans.shape != (len(pose), 3):
        raise MotionFileError(
            path,
            f"pose {pose.shape} and trans {trans.shape} do not fit an SMPL model of "
            f"{model.num_joints} joints: expected (frames, {3 * model.num_joints}) and "
            f"(frames, 3)",
        )
    for name, values in (("pose", pose), ("trans", trans), ("beta", beta)):
        if not np.isfinite(values).all():
            raise MotionFileError(path, f"{name} contains NaN or inf values")
    joints = smpl_joints(model, pose, trans, beta)
    layout = {24: "smpl24", 22: "smpl22"}.get(model.num_joints)
    return RawMotion(joints, fps, layout, units="m")


def walk_labels(walk: dict) -> dict:
    """The walk's score (None when absent or NaN) and medication state, as stored."""
    score = walk.get(SCORE_KEY)
    if isinstance(score, (float, np.floating)) and math.isnan(score):
        score = None
    return {"score": None if score is None else int(score), "medication": walk.get(MEDICATION_KEY)}


@register_reader(".pkl")
def read_walk_pickle(path: Path, options: ReadOptions) -> RawMotion:
    walks = [walk for walks in read_cohort(path).values() for walk in walks.values()]
    if len(walks) != 1:
        raise MotionFileError(
            path,
            f"a cohort of {len(walks)} walks; build a corpus from it "
            f"(python -m agir.data build --config configs/data/carepd.yaml)",
        )
    return walk_motion(path, walks[0], options.smpl_model)


def _is_walk(value: object) -> bool:
    return isinstance(value, dict) and (any(k in value for k in JOINT_KEYS) or all(k in value for k in SMPL_KEYS))


def _array(path: Path, walk: dict, key: str) -> np.ndarray:
    value = np.asarray(walk[key])
    if value.dtype.kind not in "iuf":
        raise MotionFileError(path, f"{key!r} holds {value.dtype} values, expected numbers")
    return value.astype(np.float64)


def _number(path: Path, walk: dict, key: str) -> float | None:
    if key not in walk:
        return None
    try:
        return float(walk[key])
    except (TypeError, ValueError):
        raise MotionFileError(path, f"{key!r} is not a number: {walk[key]!r}") from None
