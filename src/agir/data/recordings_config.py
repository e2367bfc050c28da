"""Options of the recording sources (carepd, humanml3d, bvh, c3d): a folder of files plus a labels CSV."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class RecordingsConfig:
    # The folder holding the recordings; `pattern` (a glob relative to it) selects them, "" for the source's own.
    root: str = ""
    pattern: str = ""
    # CSV with columns subject, trial, score and optionally medication; trial is a recording's path relative to
    # root without its suffix (CARE-PD: the walk's name). Optional for CARE-PD, whose walks carry UPDRS_GAIT.
    labels_csv: str = ""
    # Frame rate of files that state none (plain joint arrays); HumanML3D's is 20. Files stating a rate keep theirs.
    fps: float | None = None
    # A known joint layout, or a JSON file {source joint: canonical joint or null} for any other joint set.
    layout: str | None = None
    layout_file: str = ""
    # auto, m, cm, mm, in, cmu; auto, or the up axis: x, y, z, +x, -x, +y, -y, +z, -z.
    units: str = "auto"
    up: str = "auto"
    # The longest gap (seconds) filled by interpolation; longer gaps are cut around (agir.motion.gaps).
    max_gap_s: float = 0.2
    # C3D: a JSON marker map {canonical joint: marker or [markers]} for labs outside the built-in marker sets.
    markers: str = ""
    # CARE-PD: an SMPL model file (.npz or .pkl, user-provided) for walks stored as SMPL parameters only.
    smpl_model: str = ""
    # HumanML3D: a folder with Mean.npy and Std.npy, for feature vectors stored normalised (model outputs).
    feature_stats: str = ""
