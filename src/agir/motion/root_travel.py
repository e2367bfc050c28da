"""Whether a clip's skeleton travels: a root-relative one (pelvis held at the origin, as some pose lifters and
datasets write it) walks on the spot, so speed, stride length and turns cannot be measured from it."""

from __future__ import annotations

import numpy as np

from agir.motion.skeleton import PELVIS

# A 3.10 walk covers metres; a pelvis whose ground path spans less than this over a clip of at least MIN_SECONDS
# is held in place.
MIN_TRAVEL_M = 0.3
MIN_SECONDS = 2.0


def root_relative_warning(joints: np.ndarray, fps: float) -> str | None:
    """A one-line warning when the pelvis of canonical `joints` (T, 22, 3), metres, y up, hardly moves over the
    ground in a clip long enough to walk; None otherwise."""
    seconds = len(joints) / fps
    # The extent of the pelvis's ground path, not its length: jitter adds length, not extent.
    travel = float(np.linalg.norm(np.ptp(joints[:, PELVIS][:, [0, 2]], axis=0)))
    if seconds < MIN_SECONDS or travel >= MIN_TRAVEL_M:
        return None
    return (
        f"root-relative skeleton: the pelvis stays within {travel:.2f} m over {seconds:.1f} s, so walking speed, "
        "stride length and turns cannot be measured"
    )
