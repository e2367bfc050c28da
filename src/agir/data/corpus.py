"""A corpus directory: one motion file per sequence plus `manifest.jsonl`, built from any source.

Each manifest line holds `id`, `subject`, `score`, `fps`, `layout`, `path` (relative to the corpus), `parameters`
(measured gait parameters with `reasons` for nulls), `description` and `rationale` (generated from the measured
parameters), and source-specific extras (the synthetic source adds `truth`). `corpus.json` records what built the
corpus so a stale one is rebuilt rather than trusted, and lists the items that were skipped and why.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
from omegaconf import OmegaConf

from agir.data.data_config import DataConfig
from agir.data.recordings import RECORDING_SOURCES, recordings_signature
from agir.data.records import SkippedRecord, SourceRecord
from agir.motion.gait_parameters import extract_gait_parameters
from agir.motion.io import Motion, load_motion, save_motion
from agir.motion.skeleton import LEFT_TOE, PELVIS, RIGHT_TOE
from agir.text.rationale import describe, rationale

MANIFEST = "manifest.jsonl"
CORPUS_INFO = "corpus.json"
CORPUS_VERSION = 1


@dataclass
class CorpusItem:
    id: str
    subject: str
    score: int
    fps: float
    layout: str
    path: str
    parameters: dict
    description: str
    rationale: str
    extras: dict = field(default_factory=dict)

    def to_json(self) -> dict:
        row = {
            k: getattr(self, k)
            for k in ("id", "subject", "score", "fps", "layout", "path", "parameters", "description", "rationale")
        }
        return row | self.extras


def _synthetic_records(config: DataConfig, seed: int) -> Iterator[SourceRecord]:
    from agir.motion.synth import make_cohort

    cohort = config.synthetic
    subjects = make_cohort(
        cohort.n_subjects,
        cohort.trials_per_subject,
        seed,
        score_weights=tuple(cohort.score_weights),
        walk_distance_m=cohort.walk_distance_m,
        fps=cohort.fps,
    )
    for subject, trials in subjects:
        for index, trial in enumerate(trials):
            record_id = f"{subject.subject_id}_T{index + 1}"
            chance = random.Random(f"{seed}:{record_id}:missing")
            variant = chance.choice(sorted(MISSING_VARIANTS)) if chance.random() < cohort.missing_share else None
            motion = Motion(
                joints=trial.joints,
                fps=trial.fps,
                layout="smpl22",
                measured=np.ones(trial.joints.shape[1], dtype=bool),
                path="",
            )
            extras = {"truth": trial.truth} | ({"missing": variant} if variant else {})
            yield SourceRecord(
                record_id,
                subject.subject_id,
                subject.score,
                MISSING_VARIANTS[variant](motion) if variant else motion,
                extras,
            )


def _without_toes(motion: Motion) -> Motion:
    measured = motion.measured.copy()
    measured[[LEFT_TOE, RIGHT_TOE]] = False
    return replace(motion, measured=measured)


def _before_the_turn(motion: Motion) -> Motion:
    # The synthetic walk turns at about half its length; 40 % of it is straight walking only.
    return replace(motion, joints=motion.joints[: int(0.4 * len(motion.joints))])


def _root_relative(motion: Motion) -> Motion:
    joints = motion.joints.copy()
    joints[:, :, [0, 2]] -= joints[:, PELVIS : PELVIS + 1, [0, 2]]
    return replace(motion, joints=joints)


# How a synthetic trial is made to miss parameters, as recordings do (data.synthetic.missing_share).
MISSING_VARIANTS: dict[str, Callable[[Motion], Motion]] = {
    "no_toes": _without_toes,
    "no_turn": _before_the_turn,
    "root_relative": _root_relative,
}


SOURCES: dict[str, Callable[[DataConfig, int], Iterator[SourceRecord | SkippedRecord]]] = {
    "synthetic": _synthetic_records,
    **RECORDING_SOURCES,
}


# The code that writes corpus content: a change to any of it (new wording, a better extractor) makes old corpora stale.
CONTENT_CODE = (
    "agir.motion.synth",
    "agir.motion.synth_plan",
    "agir.motion.synth_pose",
    "agir.motion.synth_profile",
    "agir.motion.synth_truth",
    "agir.motion.gait_parameters",
    "agir.motion.gait_events",
    "agir.text.norms",
    "agir.text.rationale",
    "agir.motion.io",
    "agir.motion.skeleton",
    "agir.motion.formats.bvh",
    "agir.motion.formats.c3d",
    "agir.motion.formats.carepd",
    "agir.motion.formats.humanml3d",
    "agir.motion.formats.smpl",
    "agir.data.recordings",
)


def _code_hash() -> str:
    digest = hashlib.sha256()
    for name in CONTENT_CODE:
        digest.update(Path(importlib.util.find_spec(name).origin).read_bytes())
    return digest.hexdigest()[:16]


def source_fingerprint(config: DataConfig, seed: int) -> str:
    """A hash of everything that decides the corpus content (not where it is written), code included."""
    resolved = OmegaConf.to_container(OmegaConf.structured(config), resolve=True)
    options = "synthetic" if config.source == "synthetic" else "recordings"
    content = {k: resolved[k] for k in ("source", options, "fps")} | {
        "seed": seed,
        "version": CORPUS_VERSION,
        "code": _code_hash(),
    }
    if options == "recordings":  # and the recordings themselves: new or edited files make a new corpus
        content["files"] = recordings_signature(config)
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()[:16]


def make_item(record: SourceRecord, seed: int) -> CorpusItem:
    """Measure the gait parameters of one record and write its description and rationale from them."""
    parameters = extract_gait_parameters(
        record.motion.joints, record.motion.fps, measured=record.motion.measured
    ).to_dict()
    # String seeds hash deterministically, so each item's phrasing is fixed by (seed, id) alone.
    text_rng = random.Random(f"{seed}:{record.id}")
    return CorpusItem(
        id=record.id,
        subject=record.subject,
        score=record.score,
        fps=record.motion.fps,
        layout=record.motion.layout,
        path=f"motions/{record.id}.npz",
        parameters=parameters,
        description=describe(parameters, text_rng),
        rationale=rationale(parameters, record.score, text_rng),
        extras=record.extras,
    )


def build_corpus(
    config: DataConfig, seed: int, out_dir: str | Path | None = None, progress: Callable[[str], None] | None = print
) -> Path:
    """Write the corpus for `config` into `out_dir` (default config.corpus_dir); bad records are skipped and listed."""
    out = Path(out_dir or config.corpus_dir)
    if config.source not in SOURCES:
        raise ValueError(f"unknown data.source {config.source!r}; known sources: {', '.join(SOURCES)}")
    (out / "motions").mkdir(parents=True, exist_ok=True)
    skipped: dict[str, str] = {}
    rows = []
    for record in SOURCES[config.source](config, seed):
        if isinstance(record, SkippedRecord):
            skipped[record.id] = record.reason
            continue
        try:
            item = make_item(record, seed)
        except ValueError as error:
            skipped[record.id] = str(error)
            continue
        save_motion(out / item.path, record.motion)
        rows.append(json.dumps(item.to_json()))
    if not rows:
        raise ValueError(f"{out}: no usable sequences in source {config.source!r} ({len(skipped)} skipped)")
    (out / MANIFEST).write_text("\n".join(rows) + "\n")
    info = {
        "source": config.source,
        "fingerprint": source_fingerprint(config, seed),
        "items": len(rows),
        "skipped": skipped,
    }
    (out / CORPUS_INFO).write_text(json.dumps(info, indent=1) + "\n")
    if progress:
        for item_id, reason in skipped.items():
            progress(f"skipped {item_id}: {reason}")
    return out


def corpus_is_current(config: DataConfig, seed: int, corpus_dir: str | Path) -> bool:
    info_path = Path(corpus_dir) / CORPUS_INFO
    if not info_path.is_file() or not (Path(corpus_dir) / MANIFEST).is_file():
        return False
    return json.loads(info_path.read_text()).get("fingerprint") == source_fingerprint(config, seed)


def ensure_corpus(config: DataConfig, seed: int, progress: Callable[[str], None] | None = print) -> Path:
    """The corpus at config.corpus_dir, built first when missing or built from another config."""
    if not corpus_is_current(config, seed, config.corpus_dir):
        if progress:
            progress(f"building the {config.source} corpus in {config.corpus_dir}")
        build_corpus(config, seed, progress=progress)
    return Path(config.corpus_dir)


def read_manifest(corpus_dir: str | Path) -> list[CorpusItem]:
    """The items of a corpus; a malformed line is an error naming the file and line."""
    path = Path(corpus_dir) / MANIFEST
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no manifest; build the corpus with `python -m agir.data build`")
    required = ("id", "subject", "score", "fps", "layout", "path", "parameters", "description", "rationale")
    items = []
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            missing = [k for k in required if k not in row]
            if missing:
                raise ValueError(f"missing keys {missing}")
            items.append(CorpusItem(**{k: row.pop(k) for k in required}, extras=row))
        except ValueError as error:
            raise ValueError(f"{path}:{number}: bad manifest line ({error})") from None
    return items


def load_item_motion(corpus_dir: str | Path, item: CorpusItem, target_fps: float | None = None) -> Motion:
    return load_motion(Path(corpus_dir) / item.path, target_fps=target_fps)
