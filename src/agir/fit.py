"""`python -m agir.fit --config configs/X.yaml [key=value ...]`: train the stage the config names.

Every output goes under `run.out_dir` (default `checkpoints/<run.name>`): the resolved config, the subject split and
one folder per stage. `run.resume=true` continues each stage from its `last.ckpt`.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Callable

import lightning as L
from lightning.pytorch.callbacks import LearningRateMonitor, ModelCheckpoint
from lightning.pytorch.loggers import CSVLogger
from omegaconf import DictConfig, OmegaConf

from agir.config import ConfigError, load_config, save_config
from agir.data.datamodule import GaitDataModule
from agir.models.motion_tokenizer import MotionTokenizer
from agir.tasks.rng_state import RNGStateCheckpoint
from agir.tasks.tokenizer import MotionTokenizerModule


def run_dir(config: DictConfig) -> Path:
    return Path(config.run.out_dir)


def make_trainer(config: DictConfig, stage_dir: Path) -> L.Trainer:
    """A Lightning Trainer from `trainer.*`, logging to CSV and keeping `last.ckpt` in the stage folder."""
    checkpoint = ModelCheckpoint(dirpath=stage_dir / "checkpoints", save_last=True, save_top_k=0,
                                 every_n_train_steps=config.run.checkpoint_every_n_steps)
    return L.Trainer(
        **OmegaConf.to_container(config.trainer),
        max_epochs=-1,
        # The DataModule's loaders shard by rank themselves, resumably (agir.data.sampling).
        use_distributed_sampler=False,
        default_root_dir=stage_dir,
        logger=CSVLogger(stage_dir, name="logs", version=""),
        callbacks=[checkpoint, LearningRateMonitor(logging_interval="step"), RNGStateCheckpoint()],
    )


def resume_checkpoint(config: DictConfig, stage_dir: Path) -> str | None:
    last = stage_dir / "checkpoints" / "last.ckpt"
    return str(last) if config.run.resume and last.is_file() else None


def write_json(path: Path, content: dict) -> None:
    path.write_text(json.dumps(content, indent=1) + "\n")


def fit_tokenizer(config: DictConfig) -> dict:
    """Stage 1 of 3: the VQ-VAE motion tokenizer, written to `<run>/tokenizer/`."""
    stage_dir = run_dir(config) / "tokenizer"
    datamodule = GaitDataModule(config.data, config.seed, split_file=run_dir(config) / "splits.json")
    module = MotionTokenizerModule(OmegaConf.to_object(config.tokenizer), config.trainer.max_steps)
    trainer = make_trainer(config, stage_dir)
    started = time.perf_counter()
    trainer.fit(module, datamodule=datamodule, ckpt_path=resume_checkpoint(config, stage_dir), weights_only=True)
    seconds = time.perf_counter() - started
    validation = trainer.validate(module, datamodule=datamodule, verbose=False)[0]
    test = trainer.test(module, datamodule=datamodule, verbose=False)[0]
    metrics = {
        "val_mpjpe_mm": validation["val/mpjpe_mm"],
        "val_trajectory_mpjpe_mm": validation["val/trajectory_mpjpe_mm"],
        "codebook_usage_pct": validation["val/codebook_usage_pct"],
        "perplexity": validation["val/perplexity"],
        "test_mpjpe_mm": test["test/mpjpe_mm"],
        "test_codebook_usage_pct": test["test/codebook_usage_pct"],
        "steps": trainer.global_step,
        "train_seconds": round(seconds, 1),
    }
    if trainer.is_global_zero:
        stats = datamodule.stats
        tokenizer = MotionTokenizer(module.vqvae, stats.mean, stats.std, config.data.fps)
        metrics["tokenizer_hash"] = tokenizer.save(stage_dir)
        save_config(config, stage_dir / "config.yaml")
        write_json(stage_dir / "codebook_usage.json", {"counts": module.last_code_counts})
        write_json(stage_dir / "metrics.json", metrics)
    return metrics


STAGES: dict[str, Callable[[DictConfig], dict]] = {"tokenizer": fit_tokenizer}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m agir.fit", description=__doc__)
    parser.add_argument("--config", required=True, help="YAML config, e.g. configs/tokenizer.yaml")
    parser.add_argument("overrides", nargs="*", help="key=value overrides, e.g. trainer.max_steps=200 run.name=x")
    args = parser.parse_args(argv)
    try:
        config = load_config(args.config, args.overrides)
        if config.stage not in STAGES:
            raise ConfigError(f"unknown stage {config.stage!r}; stages: {', '.join(STAGES)}")
    except ConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    L.seed_everything(config.seed, workers=True, verbose=False)
    run_dir(config).mkdir(parents=True, exist_ok=True)
    save_config(config, run_dir(config) / "config.yaml")
    metrics = STAGES[config.stage](config)
    print(json.dumps(metrics, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
