"""Options of the corpus and its split (plain dataclasses: part of AGIR's structured config, free of heavy imports)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from agir.data.recordings_config import RecordingsConfig

# Layouts of an LLM stage's training batches (agir.data.batching).
BATCHING = ("padded", "bucketed", "packed")


@dataclass
class SyntheticCohortConfig:
    n_subjects: int = 60
    trials_per_subject: int = 4
    # Share of subjects per MDS-UPDRS 3.10 score 0..3.
    score_weights: list[float] = field(default_factory=lambda: [0.3, 0.3, 0.25, 0.15])
    walk_distance_m: float = 10.0
    fps: float = 30.0
    # The cohort's own seed (null: the run's), so two synthetic sources of one corpus are different people.
    seed: int | None = None
    # Share of trials recorded as real data often is (agir.data.sources.MISSING_VARIANTS: a layout without toe joints,
    # the clip cut before the turn, a root-relative skeleton), so texts about missing parameters are in the corpus.
    missing_share: float = 0.0

    def __post_init__(self) -> None:
        if not 0.0 <= self.missing_share <= 1.0:
            raise ValueError(f"data.synthetic.missing_share must lie in [0, 1], got {self.missing_share}")


@dataclass
class TextsConfig:
    """Your own texts in place of the generated ones (agir.data.own_texts): a JSON object (trial id -> text), or a
    JSONL or CSV file with fields id and text. A rationale gets its `Score: N` line from the item's label."""

    rationales: str = ""
    descriptions: str = ""
    # An item the file has no text for: skip it, or give it the generated text.
    missing: str = "skip"

    def __post_init__(self) -> None:
        if self.missing not in ("skip", "generate"):
            raise ValueError(f"data.texts.missing must be skip or generate, not {self.missing!r}")


DATASET_NAME = re.compile(r"[A-Za-z0-9_.-]+")


@dataclass
class SourceConfig:
    """What a corpus is built from: one source with its options. `data` is one; `data.sources` lists several."""

    source: str = "synthetic"
    # Its name in the corpus, every item's `dataset` (default: the source's name). A source listed in data.sources
    # also prefixes its subject and item ids with `<dataset>/`.
    dataset: str = ""
    synthetic: SyntheticCohortConfig = field(default_factory=SyntheticCohortConfig)
    recordings: RecordingsConfig = field(default_factory=RecordingsConfig)
    texts: TextsConfig = field(default_factory=TextsConfig)


@dataclass
class SplitConfig:
    # holdout: train/val/test by subject; kfold: fold `fold` of `folds` is the test set; loso: subject `fold` held out;
    # lodo: dataset `fold` (in sorted order) held out.
    scheme: str = "holdout"
    val_fraction: float = 0.15
    test_fraction: float = 0.2
    folds: int = 5
    fold: int = 0

    def __post_init__(self) -> None:
        if self.scheme not in ("holdout", "kfold", "loso", "lodo"):
            raise ValueError(f"data.split.scheme must be holdout, kfold, loso or lodo, not {self.scheme!r}")


@dataclass
class DataConfig(SourceConfig):
    # Where the corpus lives (manifest.jsonl + motions/); built there when missing.
    corpus_dir: str = "${run.out_dir}/corpus"
    # Several cohorts in one corpus: when given, these sources replace this config's own source and its options.
    sources: list[SourceConfig] = field(default_factory=list)
    split: SplitConfig = field(default_factory=SplitConfig)
    fps: float = 30.0
    # Motion-window view (tokenizer stage): window length and the stride between training windows, in frames.
    window: int = 64
    window_stride: int = 8
    batch_size: int = 32
    num_workers: int = 0

    def __post_init__(self) -> None:
        names = [entry.dataset or entry.source for entry in self.sources] or [self.dataset or self.source]
        for index, name in enumerate(names):
            if not DATASET_NAME.fullmatch(name):
                raise ValueError(f"dataset name {name!r} may hold only letters, digits, '_', '.' and '-'")
            if name in names[:index]:
                raise ValueError(f"data.sources: dataset {name!r} is named twice; give each source its own dataset")
        if self.sources and (self.texts.rationales or self.texts.descriptions):
            raise ValueError("data.texts names texts of one source: with data.sources give each source its texts")
