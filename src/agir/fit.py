"""`python -m agir.fit --config configs/X.yaml [--config more.yaml] [key=value ...]`: train the stage the config names,
or the pipeline.

Every output goes under `run.out_dir` (default `checkpoints/<run.name>`): the resolved config, the subject split and
one folder per stage (`tokenizer/`, `generative/`, `reasoning/`), each chained to the one before. `run.resume=true`
continues each stage from its `last.ckpt`, and a pipeline skips the stages that already finished. `cv.scheme=kfold`
(or `loso`) runs the pipeline once per subject-disjoint fold into `<run>/fold_<k>/` and writes `<run>/cv.json`.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from functools import partial

import lightning as L
from omegaconf import DictConfig, OmegaConf

from agir.config import ConfigError, load_config, save_config
from agir.data.datamodule import GaitDataModule
from agir.models.motion_tokenizer import MotionTokenizer
from agir.pipeline.cv import fit_cross_validation
from agir.pipeline.llm_stage import fit_llm_stage
from agir.pipeline.ranks import handoff, is_global_zero, on_rank_zero, start_ranks, stop_ranks
from agir.pipeline.run_report import pipeline_report
from agir.pipeline.runs import (
    Requeued,
    StageError,
    listen_for_slurm_requeue,
    make_trainer,
    prepare_run,
    resume_checkpoint,
    run_dir,
    stop_if_requeued,
    write_json,
)
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


STAGES: dict[str, Callable[[DictConfig], dict]] = {
    "tokenizer": fit_tokenizer,
    # Stage 2 of 3: motion <-> description; stage 3: motion -> rationale -> score, from the stage-2 adapter.
    "generative": partial(fit_llm_stage, stage="generative"),
    "reasoning": partial(fit_llm_stage, stage="reasoning"),
}


def say(text: str) -> None:
    """Print once per job, not once per rank."""
    if is_global_zero():
        print(text)


def write_report(config: DictConfig) -> None:
    report, text = pipeline_report(config)
    write_json(run_dir(config) / "report.json", report)
    print(text)


def fit_pipeline(config: DictConfig) -> dict:
    """The `pipeline` stages in order, each reading the previous one's folder; finished stages are kept on resume.

    With the reasoning stage in it, the run ends with `report.json`: held-out metrics of AGIR and of the
    gait-parameter baseline on the same split. Under DDP every rank runs this; rank 0 writes each stage's folder and
    the report, and no rank starts a stage before the previous one is written."""
    results = {}
    for stage in config.pipeline:
        finished = run_dir(config) / stage / "metrics.json"
        if config.run.resume and finished.is_file():
            say(f"[{stage}] finished earlier: {finished}")
            results[stage] = json.loads(finished.read_text())
            continue
        say(f"[{stage}] training")
        started = time.perf_counter()
        results[stage] = STAGES[stage](config)
        handoff()
        say(f"[{stage}] done in {time.perf_counter() - started:.0f} s")
    if "reasoning" in config.pipeline:
        on_rank_zero(partial(write_report, config))
    return {
        stage: {k: v for k, v in metrics.items() if not isinstance(v, (dict, list))}
        for stage, metrics in results.items()
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m agir.fit", description=__doc__)
    parser.add_argument(
        "--config",
        required=True,
        action="append",
        help="YAML config, e.g. configs/demo.yaml; repeat it to layer files, e.g. "
        "--config configs/demo.yaml --config configs/backbones/tiny-gpt2.yaml",
    )
    parser.add_argument("overrides", nargs="*", help="key=value overrides, e.g. tokenizer.max_steps=200 run.name=x")
    args = parser.parse_args(argv)
    try:
        config = load_config(args.config, args.overrides)
    except ConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    # Every rank of a ddp job is started here, before anything is read or written (agir.pipeline.ranks).
    start_ranks(config.trainer)
    listen_for_slurm_requeue()
    L.seed_everything(config.seed, workers=True, verbose=False)
    try:
        on_rank_zero(partial(prepare_run, config))
        if config.cv.scheme != "none":
            metrics = fit_cross_validation(args.config, args.overrides, config, fit_pipeline)
        else:
            metrics = fit_pipeline(config) if config.stage == "pipeline" else STAGES[config.stage](config)
    except StageError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except Requeued as stop:
        say(str(stop))
        stop_ranks()
        return 0
    say(json.dumps(metrics, indent=1))
    stop_ranks()
    return 0


if __name__ == "__main__":
    sys.exit(main())
