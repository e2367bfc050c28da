"""A run directory, what a run prepares before its first stage, and the Lightning Trainer every stage trains with."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import lightning as L
from lightning.fabric.plugins.environments import SLURMEnvironment
from lightning.pytorch.callbacks import LearningRateMonitor, ModelCheckpoint
from omegaconf import DictConfig, OmegaConf

from agir.config import StageBudget, save_config
from agir.data.corpus import ensure_corpus
from agir.data.datamodule import GaitDataModule
from agir.pipeline.loggers import make_logger, missing_extra
from agir.tasks.rank_fingerprint import RankFingerprint
from agir.tasks.requeue import RequeueOnSignal, listen_for_requeue
from agir.tasks.rng_state import RNGStateCheckpoint
from agir.tasks.step_progress import StepProgressBar

# Lightning suggests a cloud logging service at every Trainer start; AGIR runs offline and has its own loggers
# (`trainer.logger`), so the tip is noise in every stage's output.
logging.getLogger("lightning.pytorch.utilities.rank_zero").addFilter(
    lambda record: "litlogger" not in record.getMessage()
)


class StageError(ValueError):
    """A stage that cannot start from what it was given (a missing or mismatched earlier stage)."""


class Requeued(Exception):
    """The job stopped for a SLURM requeue after saving its checkpoint; the requeued job continues from it."""


def run_dir(config: DictConfig) -> Path:
    return Path(config.run.out_dir)


def listen_for_slurm_requeue() -> None:
    """In a SLURM job, note its requeue signal for the whole command (agir.tasks.requeue)."""
    if SLURMEnvironment.detect():
        listen_for_requeue()


def prepare_run(config: DictConfig) -> None:
    """What every stage reads first: the run directory, its config.yaml, the corpus and (a cross-validation run has
    one per fold instead) splits.json. Run by global rank 0 alone, before the other ranks read any of it."""
    run_dir(config).mkdir(parents=True, exist_ok=True)
    save_config(config, run_dir(config) / "config.yaml")
    ensure_corpus(config.data, config.seed)
    if config.cv.scheme == "none":
        GaitDataModule(config.data, config.seed, split_file=run_dir(config) / "splits.json").prepare_split()


def check_logger(config: DictConfig) -> None:
    """Refuse, before any training, a `trainer.logger` whose optional package is not installed."""
    problem = missing_extra(config.trainer.logger)
    if problem:
        raise StageError(problem)


def make_trainer(config: DictConfig, stage_dir: Path, budget: StageBudget) -> L.Trainer:
    """A Lightning Trainer from `trainer.*` and the stage's budget, logging to `trainer.logger`, keeping `last.ckpt`,
    its progress bar counting steps against the budget."""
    check_logger(config)
    checkpoint = ModelCheckpoint(
        dirpath=stage_dir / "checkpoints",
        save_last=True,
        save_top_k=0,
        every_n_train_steps=config.run.checkpoint_every_n_steps,
    )
    callbacks = [checkpoint, LearningRateMonitor(logging_interval="step"), RNGStateCheckpoint()]
    if config.trainer.enable_progress_bar:
        callbacks.append(StepProgressBar(stage_dir.name))
    if config.run.rank_fingerprints:
        callbacks.append(RankFingerprint(stage_dir))
    plugins = []
    if SLURMEnvironment.detect():
        # Our requeue handler instead of Lightning's (agir.tasks.requeue says why).
        plugins.append(SLURMEnvironment(auto_requeue=False))
        callbacks.append(RequeueOnSignal(stage_dir / "checkpoints" / "last.ckpt"))
    trainer_options = OmegaConf.to_container(config.trainer)
    del trainer_options["logger"]
    return L.Trainer(
        **trainer_options,
        max_steps=budget.max_steps,
        val_check_interval=budget.val_check_interval,
        max_epochs=-1,
        # The DataModule's loaders shard by rank themselves, resumably (agir.data.sampling).
        use_distributed_sampler=False,
        default_root_dir=stage_dir,
        logger=make_logger(config.trainer.logger, stage_dir, config.run.name, run_dir(config)),
        callbacks=callbacks,
        plugins=plugins,
    )


def stop_if_requeued(trainer: L.Trainer) -> None:
    """End the command (every rank) when the fit stopped for a SLURM requeue."""
    if any(isinstance(callback, RequeueOnSignal) and callback.requeued for callback in trainer.callbacks):
        raise Requeued(f"stopped at step {trainer.global_step} for a SLURM requeue; the requeued job resumes")


def resume_checkpoint(config: DictConfig, stage_dir: Path) -> str | None:
    last = stage_dir / "checkpoints" / "last.ckpt"
    return str(last) if config.run.resume and last.is_file() else None


def write_json(path: Path, content: dict) -> None:
    """Write `content` whole or not at all: a reader (another rank, a resumed run) never finds half a file."""
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    partial.write_text(json.dumps(content, indent=1) + "\n")
    os.replace(partial, path)
