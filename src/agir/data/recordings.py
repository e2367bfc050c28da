"""Corpus sources from recordings on disk: a folder of motion files (or CARE-PD cohort pickles) plus labels.

Every source turns `data.recordings` (`RecordingsConfig`) into SourceRecords: each recording read by its format's
reader, converted to canonical joints at `data.fps`, and labelled from the labels CSV (columns subject, trial,
score, optional medication; trial = the recording's path relative to `root` without its suffix, CARE-PD: the walk
name). An unreadable recording, a recording without a label and a label without a recording are SkippedRecords,
listed in corpus.json, never dropped silently.
"""

from __future__ import annotations

import csv
import hashlib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from agir.data.data_config import DataConfig
from agir.data.recordings_config import RecordingsConfig
from agir.data.records import SkippedRecord, SourceRecord
from agir.motion.formats.carepd import read_cohort, walk_labels, walk_motion
from agir.motion.formats.humanml3d import decode_features, load_stats
from agir.motion.formats.smpl import load_smpl_model
from agir.motion.io import MotionFileError, RawMotion, canonical_motion, numpy_errors, read_raw

Record = SourceRecord | SkippedRecord
DEFAULT_PATTERNS = {"carepd": "*.pkl", "humanml3d": "*.npy", "bvh": "**/*.bvh", "c3d": "**/*.c3d"}
LABEL_COLUMNS = ("subject", "trial", "score")


@dataclass(frozen=True)
class Label:
    subject: str
    score: int
    medication: str | None


def read_labels(path: str | Path) -> dict[str, list[Label]]:
    """trial -> its labels (one per subject naming that trial) from the labels CSV; a bad row is an error."""
    path = Path(path)
    try:
        with open(path, newline="", encoding="utf-8-sig") as file:
            rows = list(csv.DictReader(file))
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise ValueError(f"{path}: not a readable labels CSV ({error})") from None
    header = set(rows[0]) if rows else set()
    if not set(LABEL_COLUMNS) <= header:
        raise ValueError(
            f"{path}: labels CSV needs columns {', '.join(LABEL_COLUMNS)} (found: "
            f"{', '.join(sorted(header)) or 'none'})"
        )
    labels: dict[str, list[Label]] = {}
    for line, row in enumerate(rows, start=2):
        score = row["score"].strip()
        if not score.isdigit() or int(score) > 4:
            raise ValueError(f"{path}:{line}: score {score!r} is not an MDS-UPDRS 3.10 score 0-4")
        subject, trial = row["subject"].strip(), row["trial"].strip()
        if any(label.subject == subject for label in labels.get(trial, [])):
            raise ValueError(f"{path}:{line}: trial {trial!r} of subject {subject!r} is labelled twice")
        labels.setdefault(trial, []).append(Label(subject, int(score), (row.get("medication") or "").strip() or None))
    return labels


def recordings_signature(config: DataConfig) -> str:
    """A hash of the recordings' and labels' names, sizes and modification times: a changed folder is a new corpus."""
    recordings = config.recordings
    paths = _recordings(recordings, config.source) + ([Path(recordings.labels_csv)] if recordings.labels_csv else [])
    stats = [(str(p), p.stat().st_size, p.stat().st_mtime_ns) for p in paths if p.is_file()]
    return hashlib.sha256(repr(stats).encode()).hexdigest()[:16]


def _recordings(recordings: RecordingsConfig, source: str) -> list[Path]:
    root = Path(recordings.root)
    if not root.is_dir():
        raise ValueError(f"data.recordings.root {recordings.root!r} is not a folder")
    return sorted(p for p in root.glob(recordings.pattern or DEFAULT_PATTERNS[source]) if p.is_file())


def _item_id(subject: str, trial: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", f"{subject}_{trial}")


def _record(
    config: DataConfig, path: str, raw: RawMotion, subject: str, trial: str, score: int, medication: object
) -> Record:
    item_id = _item_id(subject, trial)
    options = config.recordings
    try:
        motion = canonical_motion(
            path, raw, fps=options.fps, layout=options.layout, units=options.units, up=options.up, target_fps=config.fps
        )
    except MotionFileError as error:
        return SkippedRecord(item_id, str(error))
    extras = {"trial": trial, "source_file": path} | ({"medication": str(medication)} if medication else {})
    return SourceRecord(item_id, subject, score, motion, extras)


def _file_records(config: DataConfig, read: Callable[[Path], RawMotion]) -> Iterator[Record]:
    """Records of a folder with one recording per file, labelled by trial = relative path without suffix."""
    options = config.recordings
    if not options.labels_csv:
        raise ValueError(f"data.recordings.labels_csv is needed for source {config.source!r}")
    labels = read_labels(options.labels_csv)
    found = set()
    for path in _recordings(options, config.source):
        trial = path.relative_to(options.root).with_suffix("").as_posix()
        found.update((label.subject, trial) for label in labels.get(trial, []))
        if trial not in labels:
            yield SkippedRecord(
                _item_id("unlabelled", trial), f"{path}: no label for trial {trial!r} in {options.labels_csv}"
            )
            continue
        if len(labels[trial]) > 1:
            subjects = ", ".join(label.subject for label in labels[trial])
            yield SkippedRecord(
                _item_id("ambiguous", trial), f"{path}: trial {trial!r} is labelled for several subjects ({subjects})"
            )
            continue
        label = labels[trial][0]
        try:
            raw = read(path)
        except MotionFileError as error:
            yield SkippedRecord(_item_id(label.subject, trial), str(error))
            continue
        yield _record(config, str(path), raw, label.subject, trial, label.score, label.medication)
    yield from _unmatched_labels(labels, found, options)


def _unmatched_labels(
    labels: dict[str, list[Label]], found: set[tuple[str, str]], options: RecordingsConfig
) -> Iterator[Record]:
    for trial, trial_labels in labels.items():
        for label in trial_labels:
            if (label.subject, trial) not in found:
                yield SkippedRecord(
                    _item_id(label.subject, trial),
                    f"{options.labels_csv}: trial {trial!r} has a label but no recording under {options.root}",
                )


def _carepd_records(config: DataConfig, seed: int) -> Iterator[Record]:
    options = config.recordings
    model = load_smpl_model(options.smpl_model) if options.smpl_model else None
    labels = read_labels(options.labels_csv) if options.labels_csv else {}
    found = set()
    for path in _recordings(options, config.source):
        try:
            cohort = read_cohort(path)
        except MotionFileError as error:
            yield SkippedRecord(_item_id("file", path.stem), str(error))
            continue
        for subject, walks in cohort.items():
            for trial, walk in walks.items():
                found.add((subject, trial))
                where = f"{path}#{subject}/{trial}"
                csv_label = next((label for label in labels.get(trial, []) if label.subject == subject), None)
                stored = walk_labels(walk)
                score = csv_label.score if csv_label else stored["score"]
                if score is None:
                    yield SkippedRecord(
                        _item_id(subject, trial), f"{where}: no UPDRS_GAIT score in the walk or the labels CSV"
                    )
                    continue
                try:
                    raw = walk_motion(Path(where), walk, model)
                except MotionFileError as error:
                    yield SkippedRecord(_item_id(subject, trial), str(error))
                    continue
                medication = csv_label.medication if csv_label and csv_label.medication else stored["medication"]
                yield _record(config, where, raw, subject, trial, score, medication)
    yield from _unmatched_labels(labels, found, options)


def _humanml3d_records(config: DataConfig, seed: int) -> Iterator[Record]:
    """new_joints (frames, 22, 3) arrays need data.recordings.fps = 20; new_joint_vecs state it."""
    stats = config.recordings.feature_stats
    if not stats:
        return _file_records(config, read_raw)
    mean, std = load_stats(stats)

    def read_normalised(path: Path) -> RawMotion:
        with numpy_errors(path):
            features = np.load(path, allow_pickle=False)
        return decode_features(path, features, mean, std)

    return _file_records(config, read_normalised)


def _registered_records(config: DataConfig, seed: int) -> Iterator[Record]:
    return _file_records(config, read_raw)


RECORDING_SOURCES: dict[str, Callable[[DataConfig, int], Iterator[Record]]] = {
    "carepd": _carepd_records,
    "humanml3d": _humanml3d_records,
    "bvh": _registered_records,
    "c3d": _registered_records,
}
