"""What `agir.fit` runs: one stage, the pipeline of stages, or the pipeline per cross-validation fold."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from functools import partial

import lightning as L
from omegaconf import DictConfig

from agir.config import save_config
from agir.pipeline.cv import fit_cross_validation
from agir.pipeline.llm_stage import fit_llm_stage
from agir.pipeline.run_report import pipeline_report
from agir.pipeline.runs import run_dir, write_json
from agir.pipeline.tokenizer_stage import fit_tokenizer

STAGES: dict[str, Callable[[DictConfig], dict]] = {
    "tokenizer": fit_tokenizer,
    # Stage 2 of 3: motion <-> description; stage 3: motion -> rationale -> score, from the stage-2 adapter.
    "generative": partial(fit_llm_stage, stage="generative"),
    "reasoning": partial(fit_llm_stage, stage="reasoning"),
}


def fit_pipeline(config: DictConfig) -> dict:
    """The `pipeline` stages in order, each reading the previous one's folder; finished stages are kept on resume.

    With the reasoning stage in it, the run ends with `report.json`: held-out metrics of AGIR and of the
    gait-parameter baseline on the same split."""
    results = {}
    for stage in config.pipeline:
        finished = run_dir(config) / stage / "metrics.json"
        if config.run.resume and finished.is_file():
            print(f"[{stage}] finished earlier: {finished}")
            results[stage] = json.loads(finished.read_text())
            continue
        print(f"[{stage}] training")
        started = time.perf_counter()
        results[stage] = STAGES[stage](config)
        print(f"[{stage}] done in {time.perf_counter() - started:.0f} s")
    if "reasoning" in config.pipeline:
        report, text = pipeline_report(config)
        write_json(run_dir(config) / "report.json", report)
        print(text)
    return {
        stage: {k: v for k, v in metrics.items() if not isinstance(v, (dict, list))}
        for stage, metrics in results.items()
    }


def fit(config: DictConfig, paths: Sequence[str], overrides: Sequence[str]) -> dict:
    """Seed, save the run's config and train what it asks for: cross-validation folds, the pipeline or one stage.
    `paths` and `overrides` built `config`; cross-validation rebuilds each fold's config from them."""
    L.seed_everything(config.seed, workers=True, verbose=False)
    run_dir(config).mkdir(parents=True, exist_ok=True)
    save_config(config, run_dir(config) / "config.yaml")
    if config.cv.scheme != "none":
        return fit_cross_validation(paths, overrides, config, fit_pipeline)
    return fit_pipeline(config) if config.stage == "pipeline" else STAGES[config.stage](config)
