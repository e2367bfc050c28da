"""Subject-wise splits: hold-out train/val/test, k-fold by subject, leave-one-subject-out, leave-one-dataset-out.

No subject ever appears in two parts of a split: trials of one person are far more alike than trials of two people,
so a trial-wise split would grade memory, not assessment. Subjects are stratified by their dataset and (modal) score
so every part sees every class of every dataset where the cohort allows it. In a corpus of several datasets subject
ids carry their dataset (agir.data.sources), so splits are subject-disjoint within and across datasets; `lodo`
holds out one whole dataset.
"""

from __future__ import annotations

import json
import random
from collections import Counter, defaultdict
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path

from agir.data.data_config import SplitConfig


@dataclass(frozen=True)
class SubjectSplit:
    scheme: str
    fold: int
    train: tuple[str, ...]
    val: tuple[str, ...]
    test: tuple[str, ...]

    def part_of(self, subject: str) -> str | None:
        for part in ("train", "val", "test"):
            if subject in getattr(self, part):
                return part
        return None

    def save(self, path: str | Path) -> None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_text(json.dumps(asdict(self), indent=1) + "\n")

    @classmethod
    def load(cls, path: str | Path) -> SubjectSplit:
        data = json.loads(Path(path).read_text())
        return cls(data["scheme"], data["fold"], *(tuple(data[p]) for p in ("train", "val", "test")))


def subject_scores(items: Iterable[tuple[str, int]]) -> dict[str, int]:
    """Each subject's modal score over its trials (ties go to the higher score)."""
    scores: dict[str, Counter] = defaultdict(Counter)
    for subject, score in items:
        scores[subject][score] += 1
    return {s: max(c.items(), key=lambda kv: (kv[1], kv[0]))[0] for s, c in sorted(scores.items())}


def _stratified_order(subject_score: Mapping[str, tuple[str, int]], seed: int) -> list[str]:
    """Subjects shuffled within each stratum, then interleaved, so any contiguous slice is stratified."""
    rng = random.Random(seed)
    by_score: dict[tuple[str, int], list[str]] = defaultdict(list)
    for subject, score in sorted(subject_score.items()):
        by_score[score].append(subject)
    queues = []
    for score in sorted(by_score):
        members = by_score[score]
        rng.shuffle(members)
        # Spread each class evenly over [0, 1) so interleaving keeps proportions everywhere.
        queues += [((i + 0.5) / len(members), score, s) for i, s in enumerate(members)]
    return [s for _, _, s in sorted(queues)]


def _stratified_folds(order: list[str], strata: Mapping[str, tuple[str, int]], folds: int) -> dict[str, int]:
    """Each subject's fold: every stratum dealt round the folds in `order`, each stratum starting where the one before
    stopped, so each fold holds every stratum's share give or take one subject, and the folds' sizes differ by one
    at most. (Every `folds`-th subject of the interleaved order aliased with the strata's spacing: on the demo cohort
    three of five test folds lacked a score.)"""
    fold_of: dict[str, int] = {}
    for stratum in sorted(set(strata.values())):
        for subject in (s for s in order if strata[s] == stratum):
            fold_of[subject] = len(fold_of) % folds
    return fold_of


def _largest_remainder(sizes: Mapping[Hashable, int], total: int) -> dict[Hashable, int]:
    """`total` shared among groups of these sizes in proportion, rounded by largest remainder."""
    quotas = {key: size * total / sum(sizes.values()) for key, size in sizes.items()}
    counts = {key: int(quota) for key, quota in quotas.items()}
    by_remainder = sorted(sizes, key=lambda key: (counts[key] - quotas[key], key))
    for key in by_remainder[: total - sum(counts.values())]:
        counts[key] += 1
    return counts


def _take_fraction(
    order: list[str], strata: Mapping[str, tuple[str, int]], fraction: float
) -> tuple[list[str], list[str]]:
    """A stratified share `fraction` of `order` (shared among datasets, then among each dataset's scores, by largest
    remainder), and the rest."""
    total = max(1, round(len(order) * fraction)) if fraction > 0 else 0
    classes: dict[tuple[str, int], list[str]] = defaultdict(list)
    for subject in order:
        classes[strata[subject]].append(subject)
    counts: dict[Hashable, int] = {}
    shares = _largest_remainder(Counter(strata[subject][0] for subject in order), total)
    for dataset, share in shares.items():
        counts |= _largest_remainder({key: len(m) for key, m in classes.items() if key[0] == dataset}, share)
    picked = {subject for key, members in classes.items() for subject in members[: counts[key]]}
    return [s for s in order if s in picked], [s for s in order if s not in picked]


def make_split(
    subject_score: dict[str, int], config: SplitConfig, seed: int, subject_dataset: Mapping[str, str] | None = None
) -> SubjectSplit:
    """The split `config` asks for over these subjects (subject -> score, and subject -> dataset when the corpus has
    several), deterministic in `seed`."""
    if len(subject_score) < 3:
        raise ValueError(f"a subject-wise split needs at least 3 subjects, got {len(subject_score)}")
    dataset = subject_dataset or {}
    strata = {subject: (dataset.get(subject, ""), score) for subject, score in subject_score.items()}
    order = _stratified_order(strata, seed)
    if config.scheme == "holdout":
        test, rest = _take_fraction(order, strata, config.test_fraction)
    elif config.scheme == "kfold":
        if not 2 <= config.folds <= len(order):
            raise ValueError(f"kfold needs 2 <= folds <= {len(order)} subjects, got folds={config.folds}")
        if not 0 <= config.fold < config.folds:
            raise ValueError(f"fold {config.fold} out of range for {config.folds} folds")
        fold_of = _stratified_folds(order, strata, config.folds)
        test = [s for s in order if fold_of[s] == config.fold]
        rest = [s for s in order if fold_of[s] != config.fold]
    elif config.scheme == "loso":  # subjects in sorted order, so fold i always means the same person
        subjects = sorted(subject_score)
        if not 0 <= config.fold < len(subjects):
            raise ValueError(f"loso fold {config.fold} out of range for {len(subjects)} subjects")
        test = [subjects[config.fold]]
        rest = [s for s in order if s != test[0]]
    else:  # lodo: datasets in sorted order, so fold i always means the same dataset
        names = dataset_names(subject_score, dataset)
        if not 0 <= config.fold < len(names):
            raise ValueError(f"lodo fold {config.fold} out of range for {len(names)} datasets")
        test = [s for s in order if dataset[s] == names[config.fold]]
        rest = [s for s in order if dataset[s] != names[config.fold]]
    val, train = _take_fraction(rest, strata, config.val_fraction)
    if not train:
        raise ValueError("the split leaves no training subjects; lower val/test fractions")
    return SubjectSplit(config.scheme, config.fold, tuple(sorted(train)), tuple(sorted(val)), tuple(sorted(test)))


def dataset_names(subject_score: Mapping[str, int], subject_dataset: Mapping[str, str]) -> list[str]:
    """The datasets of these subjects in sorted order, the folds of `lodo`, which needs at least two."""
    names = sorted({subject_dataset.get(subject, "") for subject in subject_score})
    if len(names) < 2:
        raise ValueError(
            f"lodo (leave one dataset out) needs a corpus of at least 2 datasets (data.sources), this one has "
            f"{len(names)}: {', '.join(names) or 'none'}"
        )
    return names


def num_folds(
    subject_score: dict[str, int], config: SplitConfig, subject_dataset: Mapping[str, str] | None = None
) -> int:
    """How many folds the scheme has over these subjects (1 for holdout)."""
    if config.scheme == "lodo":
        return len(dataset_names(subject_score, subject_dataset or {}))
    return {"holdout": 1, "kfold": config.folds, "loso": len(subject_score)}[config.scheme]
