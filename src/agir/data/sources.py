"""The sources a corpus is built from: the synthetic cohort, recordings on disk (agir.data.recordings), or several.

`data.sources` puts several cohorts in one corpus: each entry is one source with its own options and `dataset` name.
Every item carries its dataset, and the subject and item ids of a listed source are prefixed `<dataset>/`, so
subjects of two cohorts never merge (`SUB01` of two sites are two people) and any subject-wise split stays
subject-disjoint within and across datasets. A single `data.source` keeps its ids as they are.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
from omegaconf import DictConfig, OmegaConf

from agir.data.data_config import DataConfig
from agir.data.recordings import RECORDING_SOURCES
from agir.data.records import SkippedRecord, SourceRecord
from agir.motion.io import Motion


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
            motion = Motion(
                joints=trial.joints,
                fps=trial.fps,
                layout="smpl22",
                measured=np.ones(trial.joints.shape[1], dtype=bool),
                path="",
            )
            yield SourceRecord(
                f"{subject.subject_id}_T{index + 1}", subject.subject_id, subject.score, motion, {"truth": trial.truth}
            )


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
