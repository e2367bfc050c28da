"""The end of a pipeline run: AGIR's held-out metrics beside the gait-parameter baseline on the same split.

`report.json` has `agir` and `baseline` (accuracy, macro-F1 over scores 0-3 and over 0-2 as CARE-PD also reports
it, with 3 merged into 2, QWK, MAE, invalid rate, per class; for AGIR also the faithfulness of its rationales'
numbers and grade words to the measured parameters), `by_dataset` (both macro-F1s of each dataset of the test set),
`test_predictions` (each test trial's dataset, target and both models' scores, which cross-validation pools), the
split sizes, one example rationale, and `calibration`: the ECE and NLL of AGIR's score probabilities on the test
subjects before and after the temperature its reasoning stage fitted on validation (from the stage's metrics.json,
where the stage measured them), with its reliability diagram; the printed table shows the headline numbers.
"""

from __future__ import annotations

import json
import math

from omegaconf import DictConfig

from agir.data.corpus import read_manifest
from agir.data.splits import SubjectSplit
from agir.pipeline.baseline import fit_baseline, predict_baseline
from agir.pipeline.llm_stage import TRUNCATION_KEYS
from agir.pipeline.runs import run_dir
from agir.tasks.score_metrics import ScoreConfusion, merge_scores_above, score_metrics
from agir.text.faithfulness import claims_summary, summarize_faithfulness

HEADLINE = ("accuracy", "macro_f1", "qwk", "mae", "invalid_rate")
MODELS = ("agir", "baseline")
# What the reasoning stage measured of its test predictions' probabilities (agir.models.calibration).
CALIBRATION = ("temperature", "ece_bins", "ece_uncalibrated", "ece", "nll_uncalibrated", "nll")
RELIABILITY_DIAGRAM = "reasoning/reliability_test.png"


def confusion_metrics(targets: list[int], predictions: list[int | None]) -> dict[str, float]:
    """The score metrics, and `macro_f1_0_2`: macro-F1 on the 0-2 scale (3 merged into 2)."""
    # Of these predictions alone: rank 0 writes the report by itself, and must not wait for the others to sync.
    confusion = ScoreConfusion(sync_on_compute=False)
    confusion.update(targets, predictions)
    merged = score_metrics(merge_scores_above(confusion.counts, 2))
    return confusion.compute() | {"macro_f1_0_2": merged["macro_f1"]}


def dataset_metrics(rows: list[dict]) -> dict:
    """Both macro-F1s of each model over `rows` (`dataset`, `target`, one score per model), pooled and per
    dataset."""

    def scored(group: list[dict]) -> dict:
        targets = [row["target"] for row in group]
        return {"trials": len(group)} | {
            model: {
                key: value
                for key, value in confusion_metrics(targets, [row[model] for row in group]).items()
                if key in ("macro_f1", "macro_f1_0_2")
            }
            for model in MODELS
        }

    datasets = sorted({row["dataset"] for row in rows})
    return {
        "pooled": scored(rows),
        "by_dataset": {name: scored([row for row in rows if row["dataset"] == name]) for name in datasets},
    }


def format_datasets(metrics: dict) -> str:
    """Per dataset and pooled, AGIR's and the baseline's macro-F1 over scores 0-3 and 0-2."""
    columns = [f"{label} {scale}" for label in ("AGIR", "baseline") for scale in ("F1 0-3", "F1 0-2")]
    lines = [f"{'dataset':<18}{'trials':>8}" + "".join(f"{column:>18}" for column in columns)]
    for name, group in [*metrics["by_dataset"].items(), ("pooled", metrics["pooled"])]:
        cells = [group[model][key] for model in MODELS for key in ("macro_f1", "macro_f1_0_2")]
        lines.append(f"{name:<18}{group['trials']:>8}" + "".join(f"{metric_text(cell):>18}" for cell in cells))
    return "\n".join(lines)


def metric_text(value: float) -> str:
    """A metric as a table shows it: `n/a` where it is undefined (QWK and MAE without one valid score), never nan."""
    return "n/a" if math.isnan(value) else f"{value:.3f}"


def calibration_report(stage_metrics: dict) -> dict | None:
    """The test split's calibration as the reasoning stage measured it; None for a stage trained before it was."""
    if "test_ece" not in stage_metrics:
        return None
    return {name: stage_metrics[f"test_{name}"] for name in CALIBRATION} | {"reliability_diagram": RELIABILITY_DIAGRAM}


def calibration_text(calibration: dict | None) -> str:
    if calibration is None:
        return "score probabilities: not calibrated (the reasoning stage was trained before calibration existed)"
    return (
        f"score probabilities on held-out subjects: ECE {calibration['ece_uncalibrated']:.3f} uncalibrated, "
        f"{calibration['ece']:.3f} at temperature {calibration['temperature']:.2f} fitted on validation "
        f"({calibration['ece_bins']} equal-width bins of top-class confidence); {calibration['reliability_diagram']}"
    )


def format_table(rows: dict[str, dict[str, float]]) -> str:
    lines = [f"{'held-out subjects':<18}" + "".join(f"{name:>14}" for name in HEADLINE)]
    for label, metrics in rows.items():
        lines.append(f"{label:<18}" + "".join(f"{metric_text(metrics[name]):>14}" for name in HEADLINE))
    return "\n".join(lines)


def truncation_text(stages: dict[str, dict]) -> str:
    """One line on the prompts cut to fit llm.max_length in each LLM stage, from the stages' metrics."""
    parts = []
    for stage, metrics in stages.items():
        if "train_truncated_prompts" not in metrics:
            continue  # a stage trained before truncation was counted
        part = f"{stage} {metrics['train_truncated_prompts']} of {metrics['train_examples']} training"
        if "test_truncated_prompts" in metrics:
            part += f", {metrics['test_truncated_prompts']} held-out"
        parts.append(part)
    if not parts:
        return "truncated prompts: not counted by the code that trained these stages"
    return "truncated prompts (cut to fit llm.max_length, the end of the motion span first): " + "; ".join(parts)


def pipeline_report(config: DictConfig) -> tuple[dict, str]:
    """The report of a run whose reasoning stage has finished, and its printed form."""
    run = run_dir(config)
    predictions = [
        json.loads(line)
        for line in (run / "reasoning" / "predictions_test.jsonl").read_text().splitlines()
        if line.strip()
    ]
    split = SubjectSplit.load(run / "splits.json")
    items = read_manifest(config.data.corpus_dir)
    train = [item for item in items if item.subject in split.train]
    test = [item for item in items if item.subject in split.test]
    baseline = fit_baseline(train, config.seed)
    agir = confusion_metrics([p["target"] for p in predictions], [p["score"] for p in predictions])
    by_id = {item.id: item for item in test}
    agir |= summarize_faithfulness([p["faithfulness"] for p in predictions])
    baseline_scores = dict(
        zip(by_id, predict_baseline(baseline, [item.parameters for item in by_id.values()]), strict=True)
    )
    reference = confusion_metrics([item.score for item in test], list(baseline_scores.values()))
    rows = [
        {
            "id": p["id"],
            "dataset": by_id[p["id"]].dataset,
            "target": p["target"],
            "agir": p["score"],
            "baseline": baseline_scores[p["id"]],
        }
        for p in predictions
    ]
    datasets = dataset_metrics(rows)
    stages = {stage: json.loads((run / stage / "metrics.json").read_text()) for stage in config.pipeline}
    llm_stages = {stage: metrics for stage, metrics in stages.items() if stage != "tokenizer"}
    calibration = calibration_report(stages["reasoning"])
    example = predictions[0]
    report = {
        "agir": agir,
        "baseline": reference,
        "by_dataset": datasets["by_dataset"],
        "test_predictions": rows,
        "split": {
            "scheme": split.scheme,
            "train_subjects": len(split.train),
            "test_subjects": len(split.test),
            "test_trials": len(predictions),
        },
        "steps": {stage: metrics["steps"] for stage, metrics in stages.items()},
        "truncated_prompts": {
            stage: {key: value for key, value in metrics.items() if key.endswith(TRUNCATION_KEYS)}
            for stage, metrics in llm_stages.items()
        },
        "calibration": calibration,
        "example": example,
    }
    text = "\n".join(
        [
            "",
            format_table({"AGIR": agir, "baseline (RF)": reference}),
            "",
            format_datasets(datasets),
            "",
            claims_summary(agir),
            truncation_text(llm_stages),
            calibration_text(calibration),
            "",
            f"example rationale ({example['id']}, true score {example['target']}, predicted {example['score']}):",
            example["rationale"],
            "",
        ]
    )
    return report, text
