"""Cross-validation: the pipeline once per subject-disjoint fold, then mean and std over the folds.

`cv.scheme=kfold cv.folds=K` or `cv.scheme=loso` (one fold per subject) sets `data.split` for each fold and runs the
whole pipeline into `<run>/fold_<k>/` (its own tokenizer, stages and `report.json`), on the run's one corpus. Every
interpolation (`${run.out_dir}/tokenizer`, ...) is resolved again per fold, so no fold reads another's stages.
`<run>/cv.json` holds, for AGIR and the gait-parameter baseline, each headline metric's per-fold values, mean and
sample std (folds where a metric is undefined, e.g. QWK with one predicted class, are left out and counted).
"""

from __future__ import annotations

import json
import math
import statistics
from collections.abc import Callable, Sequence

import lightning as L
from omegaconf import DictConfig

from agir.config import load_config, save_config
from agir.data.corpus import ensure_corpus, read_manifest
from agir.data.data_config import SplitConfig
from agir.data.splits import num_folds, subject_scores
from agir.pipeline.run_report import HEADLINE
from agir.pipeline.runs import StageError, run_dir, write_json

MODELS = {"agir": "AGIR", "baseline": "baseline (RF)"}


def fold_count(config: DictConfig) -> int:
    """How many folds `cv` asks for over the run's corpus (built here when missing)."""
    items = read_manifest(ensure_corpus(config.data, config.seed))
    scheme = SplitConfig(scheme=config.cv.scheme, folds=config.cv.folds)
    return num_folds(subject_scores((item.subject, item.score) for item in items), scheme)


def fold_config(paths: Sequence[str], overrides: Sequence[str], config: DictConfig, fold: int) -> DictConfig:
    return load_config(
        paths,
        [
            *overrides,
            "cv.scheme=none",
            f"data.split.scheme={config.cv.scheme}",
            f"data.split.folds={config.cv.folds}",
            f"data.split.fold={fold}",
            f"run.out_dir={run_dir(config) / f'fold_{fold}'}",
            f"data.corpus_dir={config.data.corpus_dir}",
        ],
    )


def summarize(reports: list[dict]) -> dict:
    summary: dict = {"folds": len(reports)}
    for model in MODELS:
        summary[model] = {}
        for name in HEADLINE:
            values = [float(report[model][name]) for report in reports]
            defined = [value for value in values if not math.isnan(value)]
            summary[model][name] = {
                "mean": statistics.fmean(defined) if defined else math.nan,
                "std": statistics.stdev(defined) if len(defined) > 1 else math.nan,
                "folds": values,
                "undefined_folds": len(values) - len(defined),
            }
    return summary


def format_summary(summary: dict, scheme: str) -> str:
    header = f"{scheme}, {summary['folds']} folds"
    lines = [f"{header:<18}" + "".join(f"{name:>18}" for name in HEADLINE)]
    for model, label in MODELS.items():
        cells = (f"{summary[model][name]['mean']:.3f} ± {summary[model][name]['std']:.3f}" for name in HEADLINE)
        lines.append(f"{label:<18}" + "".join(f"{cell:>18}" for cell in cells))
    return "\n".join(lines)


def fit_cross_validation(
    paths: Sequence[str], overrides: Sequence[str], config: DictConfig, fit_pipeline: Callable[[DictConfig], dict]
) -> dict:
    """Run `fit_pipeline` on every fold, write `<run>/cv.json` and print the table; returns the summary."""
    if config.stage != "pipeline" or "reasoning" not in config.pipeline:
        raise StageError(
            "cross-validation runs the pipeline and compares its reasoning stage: set stage=pipeline "
            "with reasoning in pipeline"
        )
    reports = []
    for fold in range(fold_count(config)):
        fold_run = fold_config(paths, overrides, config, fold)
        print(f"[cv] fold {fold}: {run_dir(fold_run)}")
        run_dir(fold_run).mkdir(parents=True, exist_ok=True)
        save_config(fold_run, run_dir(fold_run) / "config.yaml")
        L.seed_everything(fold_run.seed, workers=True, verbose=False)  # a fold rerun alone trains the same
        fit_pipeline(fold_run)
        reports.append(json.loads((run_dir(fold_run) / "report.json").read_text()))
    summary = {"scheme": config.cv.scheme, **summarize(reports)}
    write_json(run_dir(config) / "cv.json", summary)
    print(format_summary(summary, config.cv.scheme))
    return summary
