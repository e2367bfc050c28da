"""The sources a corpus is built from: the synthetic cohort, recordings on disk (agir.data.recordings), or several.

`data.sources` puts several cohorts in one corpus: each entry is one source with its own options and `dataset` name.
Every item carries its dataset, and the subject and item ids of a listed source are prefixed `<dataset>/`, so
subjects of two cohorts never merge (`SUB01` of two sites are two people) and any subject-wise split stays
subject-disjoint within and across datasets. A single `data.source` keeps its ids as they are.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace

import numpy as np
from omegaconf import DictConfig, OmegaConf

from agir.data.data_config import DataConfig
from agir.data.recordings import RECORDING_SOURCES
from agir.data.records import SkippedRecord, SourceRecord
from agir.motion.io import Motion
from agir.motion.skeleton import LEFT_TOE, PELVIS, RIGHT_TOE


def _synthetic_records(config: DataConfig, seed: int) -> Iterator[SourceRecord]:
    from agir.motion.synth import make_cohort

    cohort = config.synthetic
    subjects = make_cohort(
        cohort.n_subjects,
        cohort.trials_per_subject,
        seed if cohort.seed is None else cohort.seed,
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


@dataclass(frozen=True)
class SourceView:
    """One source of a corpus: its dataset name, the data config it reads (its own options in place of the
    corpus's) and the prefix of its ids."""

    dataset: str
    config: DictConfig
    prefix: str


def source_views(config: DataConfig | DictConfig) -> list[SourceView]:
    """The sources of the corpus `config` describes, in order; an unknown source is an error naming it."""
    base = OmegaConf.structured(config)
    if not base.sources:
        views = [SourceView(base.dataset or base.source, base, "")]
    else:
        views = []
        for entry in base.sources:
            name = entry.dataset or entry.source
            options = {key: entry[key] for key in ("source", "synthetic", "recordings", "texts")}
            view = OmegaConf.merge(base, options | {"dataset": name, "sources": []})
            views.append(SourceView(name, view, f"{name}/"))
    for index, view in enumerate(views):
        if view.config.source not in SOURCES:
            where = f"data.sources[{index}].source" if base.sources else "data.source"
            raise ValueError(f"unknown {where} {view.config.source!r}; known sources: {', '.join(SOURCES)}")
    return views


def view_records(view: SourceView, seed: int) -> Iterator[tuple[SourceRecord | SkippedRecord, str]]:
    """The source's records with their ids (and subjects) prefixed by its dataset, each with its id in the source."""
    try:
        yield from _prefixed(view, seed)
    except ValueError as error:  # a whole source that cannot be read: say which one in a several-source corpus
        raise ValueError(f"dataset {view.dataset}: {error}" if view.prefix else str(error)) from None


def _prefixed(view: SourceView, seed: int) -> Iterator[tuple[SourceRecord | SkippedRecord, str]]:
    for record in SOURCES[view.config.source](view.config, seed):
        local_id = record.id
        record.id = view.prefix + local_id
        if isinstance(record, SourceRecord):
            record.subject = view.prefix + record.subject
        yield record, local_id
