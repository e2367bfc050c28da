"""What `agir.fit` runs: one stage, the pipeline of stages, or the pipeline per cross-validation fold."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from functools import partial

import lightning as L
from omegaconf import DictConfig

from agir.pipeline.cv import fit_cross_validation
from agir.pipeline.llm_stage import fit_llm_stage
from agir.pipeline.ranks import handoff, is_global_zero, on_rank_zero
from agir.pipeline.run_report import pipeline_report
from agir.pipeline.runs import check_logger, prepare_run, run_dir, write_json
from agir.pipeline.tokenizer_stage import fit_tokenizer

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


def fit(config: DictConfig, paths: Sequence[str], overrides: Sequence[str]) -> dict:
    """Seed, save the run's config and train what it asks for: cross-validation folds, the pipeline or one stage.
    `paths` and `overrides` built `config`; cross-validation rebuilds each fold's config from them."""
    check_logger(config)
    L.seed_everything(config.seed, workers=True, verbose=False)
    on_rank_zero(partial(prepare_run, config))
    if config.cv.scheme != "none":
        return fit_cross_validation(paths, overrides, config, fit_pipeline)
    return fit_pipeline(config) if config.stage == "pipeline" else STAGES[config.stage](config)
