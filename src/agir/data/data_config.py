"""Options of the corpus and its split (plain dataclasses: part of AGIR's structured config, free of heavy imports)."""

from __future__ import annotations

from dataclasses import dataclass, field

from agir.data.recordings_config import RecordingsConfig


@dataclass
class SyntheticCohortConfig:
    n_subjects: int = 60
    trials_per_subject: int = 4
    # Share of subjects per MDS-UPDRS 3.10 score 0..3.
    score_weights: list[float] = field(default_factory=lambda: [0.3, 0.3, 0.25, 0.15])
    walk_distance_m: float = 10.0
    fps: float = 30.0
    # Share of trials recorded as real data often is (agir.data.corpus.MISSING_VARIANTS: a layout without toe joints,
    # the clip cut before the turn, a root-relative skeleton), so texts about missing parameters are in the corpus.
    missing_share: float = 0.0

    def __post_init__(self) -> None:
        if not 0.0 <= self.missing_share <= 1.0:
            raise ValueError(f"data.synthetic.missing_share must lie in [0, 1], got {self.missing_share}")


@dataclass
class SplitConfig:
    # holdout: train/val/test by subject; kfold: fold `fold` of `folds` is the test set; loso: subject `fold` held out.
    scheme: str = "holdout"
    val_fraction: float = 0.15
    test_fraction: float = 0.2
    folds: int = 5
    fold: int = 0

    def __post_init__(self) -> None:
        if self.scheme not in ("holdout", "kfold", "loso"):
            raise ValueError(f"data.split.scheme must be holdout, kfold or loso, not {self.scheme!r}")


@dataclass
class DataConfig:
    source: str = "synthetic"
    # Where the corpus lives (manifest.jsonl + motions/); built there when missing.
    corpus_dir: str = "${run.out_dir}/corpus"
    synthetic: SyntheticCohortConfig = field(default_factory=SyntheticCohortConfig)
    recordings: RecordingsConfig = field(default_factory=RecordingsConfig)
    split: SplitConfig = field(default_factory=SplitConfig)
    fps: float = 30.0
    # Motion-window view (tokenizer stage): window length and the stride between training windows, in frames.
    window: int = 64
    window_stride: int = 8
    batch_size: int = 32
    num_workers: int = 0
