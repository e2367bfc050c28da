"""Subject-wise splits: hold-out train/val/test, k-fold by subject, leave-one-subject-out.

No subject ever appears in two parts of a split: trials of one person are far more alike than trials of two people,
so a trial-wise split would grade memory, not assessment. Subjects are stratified by their (modal) score so every
part sees every class where the cohort allows it.
"""

from __future__ import annotations

import json
import random
from collections import Counter, defaultdict
from collections.abc import Iterable
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


def _stratified_order(subject_score: dict[str, int], seed: int) -> list[str]:
    """Subjects shuffled within each score, then interleaved by score, so any contiguous slice is stratified."""
    rng = random.Random(seed)
    by_score: dict[int, list[str]] = defaultdict(list)
    for subject, score in sorted(subject_score.items()):
        by_score[score].append(subject)
    queues = []
    for score in sorted(by_score):
        members = by_score[score]
        rng.shuffle(members)
        # Spread each class evenly over [0, 1) so interleaving keeps proportions everywhere.
        queues += [((i + 0.5) / len(members), score, s) for i, s in enumerate(members)]
    return [s for _, _, s in sorted(queues)]


def _take_fraction(order: list[str], subject_score: dict[str, int], fraction: float) -> tuple[list[str], list[str]]:
    """A stratified share `fraction` of `order` (each class allotted by largest remainder), and the rest."""
    total = max(1, round(len(order) * fraction)) if fraction > 0 else 0
    classes: dict[int, list[str]] = defaultdict(list)
    for subject in order:
        classes[subject_score[subject]].append(subject)
    quotas = {score: len(members) * total / len(order) for score, members in classes.items()}
    counts = {score: int(quota) for score, quota in quotas.items()}
    by_remainder = sorted(classes, key=lambda score: (counts[score] - quotas[score], score))
    for score in by_remainder[: total - sum(counts.values())]:
        counts[score] += 1
    picked = {subject for score, members in classes.items() for subject in members[: counts[score]]}
    return [s for s in order if s in picked], [s for s in order if s not in picked]


def make_split(subject_score: dict[str, int], config: SplitConfig, seed: int) -> SubjectSplit:
    """The split `config` asks for over these subjects (subject -> score), deterministic in `seed`."""
    if len(subject_score) < 3:
        raise ValueError(f"a subject-wise split needs at least 3 subjects, got {len(subject_score)}")
    order = _stratified_order(subject_score, seed)
    if config.scheme == "holdout":
        test, rest = _take_fraction(order, subject_score, config.test_fraction)
    elif config.scheme == "kfold":
        if not 2 <= config.folds <= len(order):
            raise ValueError(f"kfold needs 2 <= folds <= {len(order)} subjects, got folds={config.folds}")
        if not 0 <= config.fold < config.folds:
            raise ValueError(f"fold {config.fold} out of range for {config.folds} folds")
        test = order[config.fold :: config.folds]
        rest = [s for i, s in enumerate(order) if i % config.folds != config.fold]
    else:  # loso: subjects in sorted order, so fold i always means the same person
        subjects = sorted(subject_score)
        if not 0 <= config.fold < len(subjects):
            raise ValueError(f"loso fold {config.fold} out of range for {len(subjects)} subjects")
        test = [subjects[config.fold]]
        rest = [s for s in order if s != test[0]]
    val, train = _take_fraction(rest, subject_score, config.val_fraction)
    if not train:
        raise ValueError("the split leaves no training subjects; lower val/test fractions")
    return SubjectSplit(config.scheme, config.fold, tuple(sorted(train)), tuple(sorted(val)), tuple(sorted(test)))


def num_folds(subject_score: dict[str, int], config: SplitConfig) -> int:
    """How many folds the scheme has over these subjects (1 for holdout)."""
    return {"holdout": 1, "kfold": config.folds, "loso": len(subject_score)}[config.scheme]
