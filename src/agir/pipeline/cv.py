"""Cross-validation: the pipeline once per subject-disjoint fold, then mean and std over the folds.

`cv.scheme=kfold cv.folds=K`, `cv.scheme=loso` (one fold per subject) or `cv.scheme=lodo` (one fold per dataset of a
several-source corpus, leave one dataset out) sets `data.split` for each fold and runs the whole pipeline into
`<run>/fold_<k>/` (its own tokenizer, stages and `report.json`), on the run's one corpus. Every interpolation
(`${run.out_dir}/tokenizer`, ...) is resolved again per fold, so no fold reads another's stages.
`<run>/cv.json` holds, for AGIR and the gait-parameter baseline, each headline metric's per-fold values, mean and
sample std (folds where a metric is undefined, e.g. QWK with one predicted class, are left out and counted), and
`out_of_fold`: macro-F1 over scores 0-3 and 0-2 of every fold's test predictions together, pooled and per dataset
(the numbers CARE-PD reports for LOSO and LODO, where one fold's test set is one subject or one dataset).
"""

from __future__ import annotations

import json
import math
import statistics
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path

import lightning as L
from omegaconf import DictConfig

from agir.config import load_config
from agir.data.corpus import read_manifest
from agir.data.data_config import SplitConfig
from agir.data.splits import num_folds, subject_scores
from agir.pipeline.ranks import is_global_zero, on_rank_zero
from agir.pipeline.run_report import HEADLINE, dataset_metrics, format_datasets, metric_text
from agir.pipeline.runs import StageError, prepare_run, run_dir, write_json

MODELS = {"agir": "AGIR", "baseline": "baseline (RF)"}
METRICS = HEADLINE + ("macro_f1_0_2",)


def fold_count(config: DictConfig) -> int:
    """How many folds `cv` asks for over the run's corpus (built before, by `prepare_run`)."""
    items = read_manifest(config.data.corpus_dir)
    scheme = SplitConfig(scheme=config.cv.scheme, folds=config.cv.folds)
    scores = subject_scores((item.subject, item.score) for item in items)
    try:
        return num_folds(scores, scheme, {item.subject: item.dataset for item in items})
    except ValueError as error:
        raise StageError(f"cv.scheme={config.cv.scheme}: {error}") from None


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
        for name in METRICS:
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
        cells = (
            f"{metric_text(summary[model][name]['mean'])} ± {metric_text(summary[model][name]['std'])}"
            for name in HEADLINE
        )
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
        if is_global_zero():
            print(f"[cv] fold {fold}: {run_dir(fold_run)}")
        on_rank_zero(partial(prepare_run, fold_run))
        L.seed_everything(fold_run.seed, workers=True, verbose=False)  # a fold rerun alone trains the same
        fit_pipeline(fold_run)  # it returns once rank 0 has written the fold's report.json
        reports.append(json.loads((run_dir(fold_run) / "report.json").read_text()))
    pooled = dataset_metrics([row for report in reports for row in report["test_predictions"]])
    summary = {"scheme": config.cv.scheme, **summarize(reports), "out_of_fold": pooled}
    summary["fold_datasets"] = [sorted(report["by_dataset"]) for report in reports]
    on_rank_zero(partial(write_summary, summary, run_dir(config) / "cv.json"))
    return summary


def write_summary(summary: dict, path: Path) -> None:
    write_json(path, summary)
    print(format_summary(summary, summary["scheme"]))
    print(f"\nevery fold's test predictions together:\n{format_datasets(summary['out_of_fold'])}")
