"""C3D marker files, read with the optional `ezc3d` package (`pip install agir[c3d]`).

Markers are matched to the Plug-in Gait set of layout `plug_in_gait` (see `agir.motion.skeleton` for how each
canonical joint is blended from markers) by label, ignoring case and a `Subject:` prefix. The frame rate and the
units (POINT:RATE, POINT:UNITS) come from the file; the up axis (usually z in Vicon labs) is detected. A marker
that is occluded in some frames is NaN there, which `load_motion` reports, as it reports any non-finite joint.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from agir.motion.io import UNIT_SCALES, MotionFileError, RawMotion, register_reader
from agir.motion.skeleton import PLUG_IN_GAIT_MARKERS


@register_reader(".c3d")
def read_c3d(path: Path) -> RawMotion:
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
    index = {label.split(":")[-1].strip().upper(): i for i, label in enumerate(labels)}
    missing = [marker for marker in PLUG_IN_GAIT_MARKERS if marker not in index]
    if missing:
        raise MotionFileError(
            path,
            f"markers {', '.join(missing)} of the Plug-in Gait set are missing "
            f"(found: {', '.join(labels[:12]) or 'none'})",
        )
    points = content["data"]["points"][:3, [index[marker] for marker in PLUG_IN_GAIT_MARKERS]]  # (3, M, frames)
    units = str(point["UNITS"]["value"][0]).strip().lower() if "UNITS" in point else None
    if units is not None and units not in UNIT_SCALES:
        raise MotionFileError(path, f"POINT:UNITS {units!r} is not one of {', '.join(UNIT_SCALES)}")
    return RawMotion(
        np.transpose(points, (2, 1, 0)), float(content["header"]["points"]["frame_rate"]), "plug_in_gait", units
    )
