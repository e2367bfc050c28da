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
    # Frame rate of files that state none (plain joint arrays); HumanML3D's is 20.
    fps: float | None = None
    layout: str | None = None
    units: str = "auto"
    up: str = "auto"
    # CARE-PD: an SMPL model file (.npz or .pkl, user-provided) for walks stored as SMPL parameters only.
    smpl_model: str = ""
    # HumanML3D: a folder with Mean.npy and Std.npy, for feature vectors stored normalised (model outputs).
    feature_stats: str = ""
