"""C3D marker files, read with the optional `ezc3d` package (`pip install agir[c3d]`).

The markers' labels choose a marker set (`agir.motion.formats.marker_sets`: Plug-in Gait, a PD lab's protocol,
Helen Hayes, Qualisys, CAST, or the user's `--markers` map), which turns markers into joint centres; the set chosen
is said in the notes. The frame rate and the units (POINT:RATE, POINT:UNITS) come from the file; the up axis
(usually z in gait labs) is detected. An occluded marker is NaN, or zeros with a negative residual in older files:
both become NaN, gaps that `load_motion` fills or cuts around (`agir.motion.gaps`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from agir.motion.formats.marker_sets import custom_marker_set, marker_points
from agir.motion.io import UNIT_SCALES, MotionFileError, RawMotion, ReadOptions, register_reader

DEFAULT_UNITS = "mm"  # what C3D files use when POINT:UNITS is absent


@register_reader(".c3d")
def read_c3d(path: Path, options: ReadOptions) -> RawMotion:
    try:
        import ezc3d
    except ImportError:
        raise MotionFileError(path, "reading C3D needs the ezc3d package: pip install 'agir[c3d]'") from None
    try:
        content = ezc3d.c3d(str(path))
    except (OSError, RuntimeError, ValueError) as error:
        raise MotionFileError(path, f"corrupt or unreadable C3D file ({error})") from None
    point = content["parameters"]["POINT"]
    labels = [str(label) for key in ("LABELS", "LABELS2") if key in point for label in point[key]["value"]]
    units = str(point["UNITS"]["value"][0]).strip().lower() if "UNITS" in point else None
    if units is not None and units not in UNIT_SCALES:
        raise MotionFileError(path, f"POINT:UNITS {units!r} is not one of {', '.join(UNIT_SCALES)}")
    markers = np.transpose(content["data"]["points"][:3], (2, 1, 0)).astype(np.float64)  # (frames, M, 3)
    labels = labels[: markers.shape[1]]
    residuals = content["data"].get("meta_points", {}).get("residuals")
    occluded = np.all(markers == 0, axis=2)
    if residuals is not None and np.shape(residuals)[1:] == (markers.shape[1], markers.shape[0]):
        occluded |= np.asarray(residuals)[0].T < 0
    markers[occluded] = np.nan
    try:
        custom = None if options.markers is None else custom_marker_set(options.markers)
        unit_mm = UNIT_SCALES[units or DEFAULT_UNITS] / UNIT_SCALES["mm"]
        joints, layout = marker_points(labels, markers, unit_mm, custom)
    except ValueError as error:
        found = ", ".join(label.split(":")[-1] for label in labels[:16]) or "none"
        hint = "" if options.markers is not None else "; give a marker map (--markers MAP.json)"
        raise MotionFileError(path, f"{error} (found: {found}{' ...' * (len(labels) > 16)}){hint}") from None
    notes = [f"marker set {layout.name}: {layout.description}"]
    return RawMotion(
        joints, float(content["header"]["points"]["frame_rate"]), None, units, joint_layout=layout, notes=notes
    )
