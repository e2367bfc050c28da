"""The motion-tokenizer stage of `agir.fit`: the VQ-VAE trained on motion windows, written to `<run>/tokenizer/`."""

from __future__ import annotations

import time

from omegaconf import DictConfig, OmegaConf

from agir.config import save_config
from agir.data.datamodule import GaitDataModule
from agir.models.motion_tokenizer import MotionTokenizer
from agir.pipeline.runs import make_trainer, resume_checkpoint, run_dir, stop_if_requeued, write_json
from agir.tasks.tokenizer import MotionTokenizerModule


def fit_tokenizer(config: DictConfig) -> dict:
    """Stage 1 of 3: the VQ-VAE motion tokenizer, written to `<run>/tokenizer/`."""
    stage_dir = run_dir(config) / "tokenizer"
    datamodule = GaitDataModule(config.data, config.seed, split_file=run_dir(config) / "splits.json")
    stage = OmegaConf.to_object(config.tokenizer)
    module = MotionTokenizerModule(stage)
    trainer = make_trainer(config, stage_dir, stage)
    started = time.perf_counter()
    trainer.fit(module, datamodule=datamodule, ckpt_path=resume_checkpoint(config, stage_dir), weights_only=True)
    stop_if_requeued(trainer)
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
