"""Gaps in recorded trajectories: short ones filled by spline interpolation, long ones cut around.

A gap is a run of frames in which one joint (or marker) has no finite position: NaN as stored, or a C3D marker that
the reader turned to NaN (zeros with residual -1). A gap of at most `max_gap_s` with recorded frames on both sides is
filled by shape-preserving cubic spline interpolation (PCHIP: no overshoot between the recorded frames on either
side). A longer gap, or one at the start or end of the trial (nothing to interpolate towards), cannot be bridged
honestly: the trial is cut there and the longest stretch free of such gaps is kept. Every gap filled or cut is
listed, so that the output can say what was done to the recording.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.interpolate import PchipInterpolator

DEFAULT_MAX_GAP_S = 0.2
LISTED_GAPS = 4  # gaps named one by one in a note; the rest are counted


@dataclass(frozen=True)
class Gap:
    joint: str
    start: int  # first frame without a position
    stop: int  # one past the last

    def describe(self, fps: float) -> str:
        frames = self.stop - self.start
        if frames == 1:
            return f"{self.joint} frame {self.start} ({1 / fps:.2f} s)"
        return f"{self.joint} frames {self.start}-{self.stop - 1} ({frames} frames, {frames / fps:.2f} s)"


@dataclass
class GapRepair:
    """The kept frames [start, stop) with short gaps filled; `joints` is None when too few frames are left."""

    joints: np.ndarray | None
    start: int
    stop: int
    filled: list[Gap]
    cut: list[Gap]

    def notes(self, fps: float, total_frames: int, max_gap_s: float) -> list[str]:
        notes = []
        if self.filled:
            notes.append(
                f"filled {len(self.filled)} gap{'s' * (len(self.filled) > 1)} of up to {max_gap_s:g} s by spline "
                f"interpolation (PCHIP): {listed_gaps(self.filled, fps)}"
            )
        if self.cut:
            notes.append(
                f"kept frames {self.start}-{self.stop - 1} ({(self.stop - self.start) / fps:.2f} s of "
                f"{total_frames / fps:.2f} s), the longest part without gaps over {max_gap_s:g} s; cut at "
                f"{listed_gaps(self.cut, fps)}"
            )
        return notes


def listed_gaps(gaps: list[Gap], fps: float) -> str:
    shown = "; ".join(gap.describe(fps) for gap in gaps[:LISTED_GAPS])
    return shown + (f"; and {len(gaps) - LISTED_GAPS} more" if len(gaps) > LISTED_GAPS else "")


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """[start, stop) of each run of True in a 1-d bool array."""
    edges = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(edges == 1).tolist(), np.flatnonzero(edges == -1).tolist(), strict=True))


def repair_gaps(
    joints: np.ndarray, names: tuple[str, ...] | list[str], fps: float, max_gap_s: float, min_frames: int
) -> GapRepair:
    """Fill and cut the gaps of (frames, J, 3) `joints` (named `names`); joints not to be checked are finite."""
    frames = len(joints)
    missing = ~np.isfinite(joints).all(axis=2)
    if not missing.any():
        return GapRepair(joints, 0, frames, [], [])
    max_frames = int(round(max_gap_s * fps))
    short: list[tuple[int, Gap]] = []
    cut: list[Gap] = []
    usable = np.ones(frames, dtype=bool)
    for joint in np.flatnonzero(missing.any(axis=0)):
        for start, stop in _runs(missing[:, joint]):
            gap = Gap(names[joint], start, stop)
            if start > 0 and stop < frames and stop - start <= max_frames:
                short.append((joint, gap))
            else:
                cut.append(gap)
                usable[start:stop] = False
    bouts = _runs(usable)
    start, stop = max(bouts, key=lambda bout: bout[1] - bout[0]) if bouts else (0, 0)
    cut.sort(key=lambda gap: (gap.start, gap.joint))
    if stop - start < min_frames:
        return GapRepair(None, start, stop, [], cut)
    repaired = joints.copy()
    filled = []
    for joint, gap in sorted(short, key=lambda item: (item[1].start, item[1].joint)):
        if gap.stop <= start or gap.start >= stop:
            continue  # in a part that is cut away
        recorded = np.flatnonzero(~missing[:, joint])
        spline = PchipInterpolator(recorded, joints[recorded, joint], axis=0)
        repaired[gap.start : gap.stop, joint] = spline(np.arange(gap.start, gap.stop))
        filled.append(gap)
    return GapRepair(repaired[start:stop], start, stop, filled, cut)
