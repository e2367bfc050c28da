"""GaitDataModule: the one LightningDataModule every stage trains on.

It owns the corpus, the subject-wise split (saved into the run directory so every stage and every rank uses the same
one) and the per-frame motion features with their training-set normalization statistics. Views:
- `motion`: fixed-length feature windows, normalized (the tokenizer stage);
- the prompt/answer views of the LLM stages (`agir.data.sft_samples`), switched on by `connect`ing a motion tokenizer
  and an `SFTView` (text tokenizer, tasks, lengths) once the stage has built its backbone.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import lightning as L
import numpy as np
import torch
from torch.utils.data import Dataset

from agir.data.corpus import CorpusItem, ensure_corpus, load_item_motion, read_manifest
from agir.data.data_config import DataConfig
from agir.data.sampling import ResumableLoader, rank_and_world
from agir.data.sft_samples import SFTDataset, SFTView, check_answer_lengths, collate_samples
from agir.data.splits import SubjectSplit, make_split, subject_scores
from agir.motion.features import joints_to_features

PARTS = ("train", "val", "test")


@dataclass(frozen=True)
class FeatureStats:
    """Per-channel mean and std of the training features; std has a floor so constant channels stay finite."""

    mean: np.ndarray
    std: np.ndarray

    @classmethod
    def fit(cls, sequences: list[np.ndarray], std_floor: float = 1e-2) -> FeatureStats:
        frames = np.concatenate(sequences, axis=0).astype(np.float64)
        return cls(frames.mean(0).astype(np.float32), np.maximum(frames.std(0), std_floor).astype(np.float32))

    def normalize(self, features: np.ndarray) -> np.ndarray:
        return ((features - self.mean) / self.std).astype(np.float32)

    def denormalize(self, features: np.ndarray | torch.Tensor) -> np.ndarray | torch.Tensor:
        if isinstance(features, torch.Tensor):
            mean, std = (torch.as_tensor(a, device=features.device) for a in (self.mean, self.std))
            return features * std + mean
        return features * self.std + self.mean


class MotionWindows(Dataset):
    """Windows of `length` frames every `stride` frames over normalized feature sequences.

    A sequence shorter than one window gives one window padded by repeating its last frame (a person standing still),
    so short clips are used rather than silently dropped.
    """

    def __init__(self, sequences: list[np.ndarray], length: int, stride: int):
        self.sequences = sequences
        self.length = length
        self.index = [
            (i, start) for i, seq in enumerate(sequences) for start in range(0, max(len(seq) - length, 0) + 1, stride)
        ]

    def __len__(self) -> int:
        return len(self.index)

    def __getitem__(self, i: int) -> torch.Tensor:
        sequence, start = self.index[i]
        window = self.sequences[sequence][start : start + self.length]
        if len(window) < self.length:
            window = np.concatenate([window, np.repeat(window[-1:], self.length - len(window), axis=0)])
        return torch.from_numpy(window)


class GaitDataModule(L.LightningDataModule):
    def __init__(self, config: DataConfig, seed: int, split_file: str | Path | None = None):
        super().__init__()
        self.config = config
        self.seed = seed
        self.split_file = Path(split_file) if split_file else None
        self.split: SubjectSplit | None = None
        self.items: dict[str, list[CorpusItem]] = {}
        self.features: dict[str, np.ndarray] = {}
        self.stats: FeatureStats | None = None
        self.view: SFTView | None = None
        # Motion codes of each item: train items from each code offset, the others from offset 0 only.
        self.codes: dict[str, list[np.ndarray]] = {}

    @property
    def corpus_dir(self) -> Path:
        return Path(self.config.corpus_dir)

    def prepare_data(self) -> None:
        # Lightning calls this on one process per node; agir.fit has built the corpus before, and a process that finds
        # a build under way waits for it (agir.data.corpus), so the corpus is built once.
        ensure_corpus(self.config, self.seed)

    def setup(self, stage: str | None = None) -> None:
        if self.split is not None:
            return
        items = read_manifest(self.corpus_dir)
        self.split = self._resolve_split(items)
        self.items = {part: [it for it in items if self.split.part_of(it.subject) == part] for part in PARTS}
        for item in items:
            motion = load_item_motion(self.corpus_dir, item, target_fps=self.config.fps)
            self.features[item.id] = joints_to_features(motion.joints, self.config.fps)
        self.stats = FeatureStats.fit([self.features[it.id] for it in self.items["train"]])

    def prepare_split(self) -> SubjectSplit:
        """The run's split, made and saved to `split_file` when it has none yet (by global rank 0 only)."""
        return self._resolve_split(read_manifest(self.corpus_dir))

    def _resolve_split(self, items: list[CorpusItem]) -> SubjectSplit:
        """The saved split of this run when there is one (resume, later stages), else a new one saved for them."""
        if self.split_file is not None and self.split_file.is_file():
            split = SubjectSplit.load(self.split_file)
            unknown = set(split.train + split.val + split.test) - {it.subject for it in items}
            if unknown:
                raise ValueError(f"{self.split_file}: split names subjects not in the corpus: {sorted(unknown)[:5]}")
            return split
        scores = subject_scores((it.subject, it.score) for it in items)
        split = make_split(scores, self.config.split, self.seed, {it.subject: it.dataset for it in items})
        if self.split_file is not None and rank_and_world()[0] == 0:
            # Whole or not at all: another rank or stage may read it as soon as it exists.
            partial = self.split_file.with_name(f".{self.split_file.name}.{os.getpid()}.partial")
            split.save(partial)
            os.replace(partial, self.split_file)
        return split

    def connect(self, motion_tokenizer, view: SFTView) -> None:
        """Serve `view`'s SFT samples from now on, every item encoded with `motion_tokenizer` (a MotionTokenizer)."""
        self.setup()
        if abs(motion_tokenizer.fps - self.config.fps) > 1e-6:
            raise ValueError(f"the motion tokenizer reads {motion_tokenizer.fps} fps but data.fps is {self.config.fps}")
        self.view = view
        # Every (item, frame offset) in one call: the tokenizer batches sequences of similar length together, and an
        # item's codes do not depend on what else is encoded with them.
        wanted = [
            (item.id, offset)
            for part, items in self.items.items()
            for item in items
            for offset in range(view.code_offsets if part == "train" else 1)
        ]
        codes = motion_tokenizer.encode_features([self.features[item_id][offset:] for item_id, offset in wanted])
        self.codes = {}
        for (item_id, _), item_codes in zip(wanted, codes, strict=True):
            self.codes.setdefault(item_id, []).append(item_codes)
        for items in self.items.values():
            check_answer_lengths(view, items, self.codes)

    def truncated_prompts(self, part: str) -> tuple[int, int]:
        """(SFT examples of `part` whose prompt is cut to fit llm.max_length, examples). Each index is the same
        example in every epoch, so one pass counts every epoch."""
        dataset = SFTDataset(self.view, self.items[part], self.codes, self.seed, part == "train")
        return sum(dataset[i].example.prompt_cut > 0 for i in range(len(dataset))), len(dataset)

    def normalized(self, part: str) -> list[np.ndarray]:
        return [self.stats.normalize(self.features[item.id]) for item in self.items[part]]

    def _windows(self, part: str, stride: int) -> MotionWindows:
        return MotionWindows(self.normalized(part), self.config.window, stride)

    def _loader(self, part: str) -> ResumableLoader:
        train = part == "train"
        if self.view is None:
            dataset = self._windows(part, self.config.window_stride if train else self.config.window)
            options = {"batch_size": self.config.batch_size}
        else:
            dataset = SFTDataset(self.view, self.items[part], self.codes, self.seed, train)
            batching = self.view.batching if train else "padded"
            pack_length = self.view.max_length if batching == "packed" else None
            pad_id = self.view.tokenizer.pad_token_id
            options = {
                "batch_size": self.view.batch_size,
                "collate_fn": partial(collate_samples, pad_id=pad_id, pack_length=pack_length),
                "lengths": dataset.lengths() if batching == "bucketed" else None,
            }
        return ResumableLoader(
            dataset, shuffle=train, seed=self.seed, drop_last=train, num_workers=self.config.num_workers, **options
        )

    def train_dataloader(self) -> ResumableLoader:
        return self._loader("train")

    def val_dataloader(self) -> ResumableLoader:
        return self._loader("val")

    def test_dataloader(self) -> ResumableLoader:
        return self._loader("test")
