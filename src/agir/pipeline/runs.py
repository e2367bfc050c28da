"""A run directory and the Lightning Trainer every stage trains with."""

from __future__ import annotations

import json
from pathlib import Path

import lightning as L
from lightning.pytorch.callbacks import LearningRateMonitor, ModelCheckpoint
from lightning.pytorch.loggers import CSVLogger
from omegaconf import DictConfig, OmegaConf

from agir.config import StageBudget
from agir.tasks.rank_fingerprint import RankFingerprint
from agir.tasks.rng_state import RNGStateCheckpoint


class StageError(ValueError):
    """A stage that cannot start from what it was given (a missing or mismatched earlier stage)."""


def run_dir(config: DictConfig) -> Path:
    return Path(config.run.out_dir)


def make_trainer(config: DictConfig, stage_dir: Path, budget: StageBudget) -> L.Trainer:
    """A Lightning Trainer from `trainer.*` and the stage's budget, logging to CSV, keeping `last.ckpt`."""
    checkpoint = ModelCheckpoint(
        dirpath=stage_dir / "checkpoints",
        save_last=True,
        save_top_k=0,
        every_n_train_steps=config.run.checkpoint_every_n_steps,
    )
    callbacks = [checkpoint, LearningRateMonitor(logging_interval="step"), RNGStateCheckpoint()]
    if config.run.rank_fingerprints:
        callbacks.append(RankFingerprint(stage_dir))
    return L.Trainer(
        **OmegaConf.to_container(config.trainer),
        max_steps=budget.max_steps,
        val_check_interval=budget.val_check_interval,
        max_epochs=-1,
        # The DataModule's loaders shard by rank themselves, resumably (agir.data.sampling).
        use_distributed_sampler=False,
        default_root_dir=stage_dir,
        logger=CSVLogger(stage_dir, name="logs", version=""),
        callbacks=callbacks,
    )


def resume_checkpoint(config: DictConfig, stage_dir: Path) -> str | None:
    last = stage_dir / "checkpoints" / "last.ckpt"
    return str(last) if config.run.resume and last.is_file() else None


def write_json(path: Path, content: dict) -> None:
    path.write_text(json.dumps(content, indent=1) + "\n")
