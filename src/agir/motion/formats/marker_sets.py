"""Marker sets of gait labs: which markers (or lab-computed joint centres) give each canonical joint.

Each set lists, per canonical joint, alternatives tried in order: a lab's virtual joint centre (e.g. `V_L.Hip_JC`,
`LHJC`) where such points are exported, else a joint centre from markers:

- knee = midpoint of the lateral and medial femoral condyle (epicondyle) markers, ankle = midpoint of the lateral and
  medial malleoli, elbow and wrist likewise; where only a lateral marker exists, that marker (about 5 cm lateral of
  the joint centre);
- hip = Harrington et al.'s regression (J Biomech 2007;40:595-602) from the pelvis markers: in a pelvis frame with
  origin at the mid-ASIS, x anterior, y superior and z to the right, with pelvic width PW (ASIS to ASIS) and depth PD
  (mid-ASIS to mid-PSIS, or to the sacrum marker), both in mm: x = -0.24 PD - 9.9, y = -0.30 PW - 10.9,
  z = +-(0.33 PW + 7.3);
- head = centre of the head markers; neck = midpoint of C7 and the clavicle (jugular notch); mid-thorax = midpoint of
  T10 and the sternum.

The pelvis, spine, a missing neck or head and the collars are completed as for any layout
(`agir.motion.layout_completion`): the pelvis between the hip centres, a head above the neck along the trunk. Labels
are compared without a `Subject:` prefix, case or separators, so `R.Knee.Medial`, `R_Knee_Medial` and `RKNEEMEDIAL`
are one marker. A file's set is the one placing the most canonical joints; a user's map (`--markers MAP.json`,
canonical joint -> marker or list of markers whose midpoint it is) replaces the built-in sets.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from agir.motion.layout_completion import complete_layout
from agir.motion.skeleton import JOINT_INDEX, SMPL22_JOINTS, JointLayout


@dataclass(frozen=True)
class Harrington:
    """A hip joint centre regressed from the pelvis markers (both PSIS, or the sacrum)."""

    right_asis: str
    left_asis: str
    posterior: tuple[str, ...]

    @property
    def markers(self) -> tuple[str, ...]:
        return (self.right_asis, self.left_asis, *self.posterior)


# A marker, markers whose midpoint it is, or a regressed hip centre.
Centre = str | tuple[str, ...] | Harrington


@dataclass(frozen=True)
class MarkerSet:
    name: str
    description: str
    joints: dict[str, tuple[Centre, ...]]  # canonical joint -> alternatives, best first


def _sides(left: dict[str, tuple[Centre, ...]], mirror) -> dict[str, tuple[Centre, ...]]:
    """The left side's alternatives plus the right side's, with each marker name mirrored by `mirror`."""

    def mirrored(centre: Centre) -> Centre:
        if isinstance(centre, Harrington):
            return centre
        return tuple(mirror(m) for m in centre) if isinstance(centre, tuple) else mirror(centre)

    right = {"right_" + joint[len("left_") :]: tuple(map(mirrored, options)) for joint, options in left.items()}
    return left | right


def _first_letter(name: str) -> str:
    return "R" + name[1:]


def _dotted(name: str) -> str:
    return name.replace("L.", "R.").replace("L_", "R_")


def _plug_in_gait() -> MarkerSet:
    pelvis = (Harrington("RASI", "LASI", ("LPSI", "RPSI")), Harrington("RASI", "LASI", ("SACR",)))
    left = {
        "left_hip": ("LHJC", *pelvis),
        "left_knee": ("LKJC", ("LKNE", "LKNM"), "LKNE"),
        "left_ankle": ("LAJC", ("LANK", "LMED"), "LANK"),
        "left_foot": ("LTOE",),
        "left_shoulder": ("LSHO",),
        "left_elbow": (("LELB", "LMEP"), "LELB"),
        "left_wrist": (("LWRA", "LWRB"),),
    }
    trunk = {"neck": (("C7", "CLAV"),), "spine2": (("T10", "STRN"),), "head": (("LFHD", "RFHD", "LBHD", "RBHD"),)}
    return MarkerSet("plug_in_gait", "Vicon Plug-in Gait (LASI, LKNE, LANK, ...)", trunk | _sides(left, _first_letter))


def _bmclab() -> MarkerSet:
    pelvis = Harrington("R.ASIS", "L.ASIS", ("L.PSIS", "R.PSIS"))
    left = {
        "left_hip": ("V_L.Hip_JC", pelvis),
        "left_knee": (("L.Knee", "L.Knee.Medial"), "V_L.Knee_JC_Dynamic", "V_L.Knee_JC_Static", "L.Knee"),
        "left_ankle": (("L.Ankle", "L.Ankle.Medial"), "V_L.Ankle_JC", "L.Ankle"),
        "left_foot": ("L.MT2", ("L.MT1", "L.MT5")),
        "left_shoulder": ("LSHO",),
        "left_elbow": (("LEL", "LEM"),),
        "left_wrist": (("LWL", "LWM"),),
    }
    trunk = {"neck": (("C7", "CLAV"),), "spine2": (("T10", "STRN"),)}
    mirror = {"LSHO": "RSHO", "LEL": "REL", "LEM": "REM", "LWL": "RWL", "LWM": "RWM"}
    return MarkerSet(
        "bmclab",
        "PD-lab protocol (R.ASIS, R.Knee, R.Knee.Medial, R.Ankle.Medial, V_R.Hip_JC, ...)",
        trunk | _sides(left, lambda name: mirror.get(name, _dotted(name))),
    )


def _helen_hayes() -> MarkerSet:
    pelvis = Harrington("R.ASIS", "L.ASIS", ("V.Sacral",))
    left = {
        "left_hip": (pelvis,),
        "left_knee": ("L.Knee",),
        "left_ankle": ("L.Ankle",),
        "left_foot": ("L.Toe",),
        "left_shoulder": ("L.Shoulder",),
        "left_elbow": ("L.Elbow",),
        "left_wrist": ("L.Wrist",),
    }
    return MarkerSet(
        "helen_hayes",
        "Helen Hayes, Motion Analysis Cortex names (R.ASIS, V.Sacral, R.Knee, R.Toe, ...)",
        {"head": (("Front.Head", "Rear.Head"),)} | _sides(left, _dotted),
    )


def _qualisys() -> MarkerSet:
    pelvis = Harrington("WaistRFront", "WaistLFront", ("WaistLBack", "WaistRBack"))
    left = {
        "left_hip": (pelvis,),
        "left_knee": (("LKneeOut", "LKneeIn"), "LKneeOut"),
        "left_ankle": (("LAnkleOut", "LAnkleIn"), "LAnkleOut"),
        "left_foot": (("LForefootOut", "LForefootIn"), "LToeTip"),
        "left_shoulder": ("LShoulderTop",),
        "left_elbow": (("LElbowOut", "LElbowIn"), "LElbowOut"),
        "left_wrist": (("LWristOut", "LWristIn"),),
    }
    trunk = {"neck": (("SpineTop", "Chest"),), "head": (("HeadL", "HeadR"),)}
    return MarkerSet(
        "qualisys",
        "Qualisys animation/sports set (WaistLFront, LKneeOut, LAnkleOut, ...)",
        trunk | _sides(left, _first_letter),
    )


def _cast() -> MarkerSet:
    pelvis = Harrington("R_ASIS", "L_ASIS", ("L_PSIS", "R_PSIS"))
    left = {
        "left_hip": (pelvis,),
        "left_knee": (("L_FLE", "L_FME"), "L_FLE"),
        "left_ankle": (("L_FAL", "L_TAM"), "L_FAL"),
        "left_foot": ("L_FM2", ("L_FM1", "L_FM5")),
        "left_shoulder": ("L_SAE",),
        "left_elbow": (("L_HLE", "L_HME"),),
        "left_wrist": (("L_RSP", "L_USP"),),
    }
    trunk = {"neck": (("CV7", "SJN"),), "spine2": (("TV10", "SXS"),)}
    return MarkerSet(
        "cast",
        "CAST / ISB anatomical landmarks (R_ASIS, R_FLE, R_FME, R_FAL, R_TAM, ...)",
        trunk | _sides(left, _dotted),
    )


MARKER_SETS = (_plug_in_gait(), _bmclab(), _helen_hayes(), _qualisys(), _cast())
REQUIRED = ("left_hip", "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle")
# Harrington's constants are in mm.
HARRINGTON_MM = (-0.24, -9.9, -0.30, -10.9, 0.33, 7.3)


def normalized(label: str) -> str:
    """A marker label without a `Subject:` prefix, case or separators."""
    return re.sub(r"[^a-z0-9]", "", label.split(":")[-1].lower())


def _markers_of(centre: Centre) -> tuple[str, ...]:
    if isinstance(centre, Harrington):
        return centre.markers
    return centre if isinstance(centre, tuple) else (centre,)


def _placements(marker_set: MarkerSet, index: dict[str, int]) -> dict[str, Centre]:
    """The first alternative of each joint whose markers are all in the file."""
    placed = {}
    for joint, options in marker_set.joints.items():
        usable = [c for c in options if all(normalized(m) in index for m in _markers_of(c))]
        if usable:
            placed[joint] = usable[0]
    return placed


def custom_marker_set(markers: dict[str, str | list[str]], source: str = "--markers") -> MarkerSet:
    """A marker set from a user's map (canonical joint -> marker, or a list of markers whose midpoint it is)."""
    joints: dict[str, tuple[Centre, ...]] = {}
    for joint, names in markers.items():
        if joint not in JOINT_INDEX:
            raise ValueError(f"{source}: {joint!r} is not a canonical joint ({', '.join(SMPL22_JOINTS)})")
        if isinstance(names, str):
            joints[joint] = (names,)
        elif isinstance(names, list) and names and all(isinstance(name, str) for name in names):
            joints[joint] = (tuple(names),)
        else:
            raise ValueError(f"{source}: {joint!r} must name a marker or a list of markers, got {names!r}")
    return MarkerSet("custom_markers", f"the marker map {source}", joints)


def choose_marker_set(labels: list[str], custom: MarkerSet | None = None) -> tuple[MarkerSet, dict[str, Centre]]:
    """The set placing the most canonical joints from these labels (or `custom`), and its placements;
    ValueError naming what the closest set lacks if the legs cannot be placed."""
    index = {normalized(label): i for i, label in enumerate(labels)}
    candidates = (custom,) if custom is not None else MARKER_SETS
    scored = [(marker_set, _placements(marker_set, index)) for marker_set in candidates]
    marker_set, placed = max(scored, key=lambda pair: len(pair[1]))
    absent = [joint for joint in REQUIRED if joint not in placed]
    if absent:
        wanted = "; ".join(
            f"{joint} ({' or '.join('+'.join(_markers_of(c)) for c in marker_set.joints.get(joint, ()))})"
            for joint in absent
        )
        raise ValueError(f"markers do not fit {marker_set.name}: no {wanted}")
    return marker_set, placed


def _harrington(points: dict[str, np.ndarray], centre: Harrington, unit_mm: float) -> tuple[np.ndarray, np.ndarray]:
    """(left, right) hip centres, (frames, 3) each, in the markers' units (`unit_mm` mm per unit)."""
    a_pd, c_x, a_y, c_y, a_z, c_z = HARRINGTON_MM
    right, left = points[centre.right_asis], points[centre.left_asis]
    origin = (right + left) / 2
    posterior = np.mean([points[m] for m in centre.posterior], axis=0)
    across = right - left
    width = np.linalg.norm(across, axis=-1, keepdims=True)
    z = across / width
    anterior = origin - posterior
    depth = np.linalg.norm(anterior, axis=-1, keepdims=True)
    x = anterior - np.sum(anterior * z, axis=-1, keepdims=True) * z
    x /= np.linalg.norm(x, axis=-1, keepdims=True)
    y = np.cross(z, x)
    base = origin + (a_pd * depth + c_x / unit_mm) * x + (a_y * width + c_y / unit_mm) * y
    lateral = (a_z * width + c_z / unit_mm) * z
    return base - lateral, base + lateral


def marker_points(
    labels: list[str], markers: np.ndarray, unit_mm: float, custom: MarkerSet | None = None
) -> tuple[np.ndarray, JointLayout]:
    """(frames, K, 3) joint centres from (frames, M, 3) markers named `labels`, and the layout mapping them;
    a centre is NaN where a marker it needs is."""
    marker_set, placed = choose_marker_set(labels, custom)
    index = {normalized(label): i for i, label in enumerate(labels)}
    points = {name: markers[:, index[normalized(name)]] for c in placed.values() for name in _markers_of(c)}
    centres: dict[str, np.ndarray] = {}
    found: dict[str, str] = {}
    for joint, centre in placed.items():
        if isinstance(centre, Harrington):
            name = f"{joint.split('_')[0]} hip (Harrington: {', '.join(centre.markers)})"
            centres[name] = _harrington(points, centre, unit_mm)[joint.startswith("right")]
        else:
            name = "+".join(_markers_of(centre))
            centres[name] = np.mean([points[m] for m in _markers_of(centre)], axis=0)
        found[joint] = name
    names = tuple(centres)
    layout = complete_layout(marker_set.name, names, found, marker_set.description)
    return np.stack([centres[name] for name in names], axis=1), layout
