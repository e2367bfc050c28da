"""How motion files are read, as one value: the flags of `agir.gait` and `agir.assess` and the keys of a corpus's
`data.recordings`, turned into `load_motion` arguments in one place so that every flag reaches every format.

    --fps F              frame rate of files that state none (.npy, .csv without time); others keep their own
    --layout NAME        a known joint layout, when the joint count is ambiguous
    --layout-file JSON   any other joint set: {source joint: canonical joint or null}, in the file's joint order
    --units U            auto, m, cm, mm, in or cmu
    --up AXIS            auto, or the up axis: x, y, z, +x, -x, +y, -y, +z, -z
    --max-gap S          the longest gap (seconds) filled by interpolation; longer ones are cut around
    --markers JSON       C3D: {canonical joint: marker, or list of markers whose midpoint it is}
    --smpl-model FILE    CARE-PD pickles of SMPL parameters: the SMPL model file (.npz or .pkl)
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass, field
from pathlib import Path

from agir.motion.formats.smpl import load_smpl_model
from agir.motion.gaps import DEFAULT_MAX_GAP_S
from agir.motion.io import UNIT_SCALES, Motion, RawMotion, ReadOptions, canonical_motion, read_raw
from agir.motion.layout_completion import load_layout_file
from agir.motion.orientation import UP_CHOICES
from agir.motion.skeleton import LAYOUTS, JointLayout


@dataclass(frozen=True)
class LoadOptions:
    fps: float | None = None
    layout: str | JointLayout | None = None
    units: str = "auto"
    up: str = "auto"
    max_gap_s: float = DEFAULT_MAX_GAP_S
    read: ReadOptions = field(default_factory=ReadOptions)

    def load(self, path: str | Path, target_fps: float | None = None) -> Motion:
        """The file as canonical joints, at `target_fps` if given."""
        return self.canonical(path, read_raw(Path(path), self.read), target_fps)

    def canonical(self, path: str | Path, raw: RawMotion, target_fps: float | None = None) -> Motion:
        """What a reader found in `path` as canonical joints, at `target_fps` if given."""
        return canonical_motion(
            path,
            raw,
            fps=self.fps,
            layout=self.layout,
            units=self.units,
            up=self.up,
            target_fps=target_fps,
            max_gap_s=self.max_gap_s,
        )


def read_marker_map(path: str | Path) -> dict[str, str | list[str]]:
    """A `--markers` JSON file: {canonical joint: marker or [markers]}; checked when a C3D file is read."""
    try:
        content = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"{path}: not a readable JSON marker map ({error})") from None
    if not isinstance(content, dict) or not content:
        raise ValueError(f"{path}: a marker map is a JSON object {{canonical joint: marker or [markers]}}")
    return content


def load_options_from(values: object) -> LoadOptions:
    """LoadOptions from parsed flags or a `data.recordings` config (attributes fps, layout, layout_file, units, up,
    max_gap_s, markers, smpl_model; "" or None where unset), the named files read once; ValueError (or
    MotionFileError) naming a bad file."""
    layout, layout_file = values.layout or None, values.layout_file or None
    if layout and layout_file:
        raise ValueError("give a layout name or a layout file, not both")
    return LoadOptions(
        values.fps,
        load_layout_file(layout_file) if layout_file else layout,
        values.units,
        values.up,
        values.max_gap_s,
        ReadOptions(
            read_marker_map(values.markers) if values.markers else None,
            load_smpl_model(values.smpl_model) if values.smpl_model else None,
        ),
    )


def add_load_arguments(parser: argparse.ArgumentParser) -> None:
    """The flags above, on a command's parser."""
    parser.add_argument("--fps", type=float, help="frame rate of files that state none (.npy); others keep their own")
    parser.add_argument("--layout", help=f"joint layout when the joint count is ambiguous: {', '.join(LAYOUTS)}")
    parser.add_argument("--layout-file", metavar="JSON", help="any other joint set: {source joint: canonical joint}")
    parser.add_argument("--units", default="auto", choices=("auto", *UNIT_SCALES), help="units (default: detected)")
    parser.add_argument("--up", default="auto", choices=UP_CHOICES, help="up axis, e.g. z or --up=-y (default: auto)")
    parser.add_argument(
        "--max-gap",
        dest="max_gap_s",
        type=float,
        default=DEFAULT_MAX_GAP_S,
        metavar="S",
        help=f"longest gap (s) filled by interpolation; longer ones are cut around (default {DEFAULT_MAX_GAP_S})",
    )
    parser.add_argument("--markers", metavar="JSON", help="C3D marker map: {canonical joint: marker or [markers]}")
    parser.add_argument("--smpl-model", metavar="FILE", help="SMPL model file for CARE-PD pickles of SMPL parameters")
