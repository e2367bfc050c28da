"""Layouts built for one file's joint set (a BVH rig, a C3D marker set, a `--layout-file`), gaps in it completed.

A source rarely measures all 22 canonical joints. `complete_layout` fills what the trunk allows, always the same way:

- neck: the midpoint of the shoulders, when there is no neck joint or C7/clavicle marker;
- pelvis, when only the hips are known: SMPL's pelvis joint lies some 8 cm above the hips' midpoint, PELVIS_ABOVE_HIPS
  of the way from it to the neck (the midpoint itself when there is no neck);
- spine1..spine3: interpolated along the chain pelvis -> neck at SMPL's rest proportions (TRUNK_FRACTIONS), between
  the nearest measured chain joints below and above;
- head: placed beyond the neck along the pelvis -> neck line, HEAD_BEYOND_NECK of the trunk length (SMPL's rest
  head joint, at the skull base, sits about there). No gait parameter reads the head; it serves the body-size check
  that detects units and the up axis;
- collars: the midpoint of the neck and each shoulder.

What still cannot be placed (toes, arms) is not measured: it sits on its parent and the parameters that need it are
null with the reason. `load_layout_file` reads a JSON object `{source joint name: canonical joint or null}` whose key
order is the order of the joints in the file, e.g. a 15-joint video lifter's.
"""

from __future__ import annotations

import json
from pathlib import Path

from agir.motion.skeleton import JOINT_INDEX, SMPL22_JOINTS, JointLayout, JointSource, _blend

TRUNK_CHAIN = ("pelvis", "spine1", "spine2", "spine3", "neck")
TRUNK_FRACTIONS = {"pelvis": 0.0, "spine1": 0.2, "spine2": 0.45, "spine3": 0.6, "neck": 1.0}
HEAD_BEYOND_NECK = 0.2
PELVIS_ABOVE_HIPS = 0.14


def _weights(source: JointSource) -> dict[str, float]:
    return {source: 1.0} if isinstance(source, str) else dict(source or {})


def _between(a: JointSource, b: JointSource, t: float) -> dict[str, float]:
    """The point a fraction t of the way from a to b (t > 1 lies beyond b)."""
    return _blend((_weights(a), 1.0 - t), (_weights(b), t))


def complete_layout(
    name: str, joints: tuple[str, ...], found: dict[str, JointSource], description: str = ""
) -> JointLayout:
    """A layout from the canonical joints a source has (`found`), the rest completed as documented above; its
    notes name what was placed rather than measured. ValueError if neither a pelvis nor both hips are known."""
    mapping: dict[str, JointSource] = {joint: found.get(joint) for joint in SMPL22_JOINTS}
    placed: list[str] = []
    if mapping["neck"] is None and mapping["left_shoulder"] and mapping["right_shoulder"]:
        mapping["neck"] = _between(mapping["left_shoulder"], mapping["right_shoulder"], 0.5)
        placed.append("neck between the shoulders")
    if mapping["pelvis"] is None:
        if mapping["left_hip"] is None or mapping["right_hip"] is None:
            raise ValueError(f"{name}: neither a pelvis nor both hip joints can be placed")
        hips = _between(mapping["left_hip"], mapping["right_hip"], 0.5)
        mapping["pelvis"] = hips if mapping["neck"] is None else _between(hips, mapping["neck"], PELVIS_ABOVE_HIPS)
    known = [joint for joint in TRUNK_CHAIN if mapping[joint] is not None]
    for joint in TRUNK_CHAIN:
        below = [k for k in known if TRUNK_FRACTIONS[k] < TRUNK_FRACTIONS[joint]]
        above = [k for k in known if TRUNK_FRACTIONS[k] > TRUNK_FRACTIONS[joint]]
        if mapping[joint] is None and below and above:
            low, high = below[-1], above[0]
            share = (TRUNK_FRACTIONS[joint] - TRUNK_FRACTIONS[low]) / (TRUNK_FRACTIONS[high] - TRUNK_FRACTIONS[low])
            mapping[joint] = _between(mapping[low], mapping[high], share)
            placed.append(f"{joint} between {low} and {high}")
    if mapping["head"] is None and mapping["neck"] is not None:
        mapping["head"] = _between(mapping["pelvis"], mapping["neck"], 1.0 + HEAD_BEYOND_NECK)
        placed.append("head above the neck along the trunk (no head joint or markers)")
    for side in ("left", "right"):
        if mapping[f"{side}_collar"] is None and mapping["neck"] and mapping[f"{side}_shoulder"]:
            mapping[f"{side}_collar"] = _between(mapping["neck"], mapping[f"{side}_shoulder"], 0.5)
    notes = [f"{name}: placed {', '.join(placed)}"] if placed else []
    absent = [joint for joint in SMPL22_JOINTS if mapping[joint] is None]
    if absent:
        notes.append(f"{name}: no {', '.join(absent)}; parameters needing them are not measured")
    return JointLayout(name, joints, mapping, description, tuple(notes))


def load_layout_file(path: str | Path) -> JointLayout:
    """A layout from a JSON object {source joint: canonical joint or null}, in the file's joint order."""
    path = Path(path)
    try:
        content = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"{path}: not a readable JSON layout file ({error})") from None
    if not isinstance(content, dict) or not content:
        raise ValueError(f"{path}: a layout file is a JSON object {{source joint name: canonical joint or null}}")
    found: dict[str, str] = {}
    for source, target in content.items():
        if target is None:
            continue
        if target not in JOINT_INDEX:
            raise ValueError(f"{path}: {source!r} -> {target!r} is not a canonical joint ({', '.join(SMPL22_JOINTS)})")
        if target in found:
            raise ValueError(f"{path}: canonical joint {target!r} is named twice ({found[target]!r}, {source!r})")
        found[target] = source
    try:
        return complete_layout(path.stem, tuple(content), found, f"from {path.name}")
    except ValueError as error:
        raise ValueError(f"{path}: {error}") from None
