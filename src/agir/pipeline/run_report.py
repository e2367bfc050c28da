"""The end of a pipeline run: AGIR's held-out metrics beside the gait-parameter baseline on the same split.

`report.json` has `agir` and `baseline` (accuracy, macro-F1, QWK, MAE, invalid rate, per class; for AGIR also the
faithfulness of its rationales' numbers to the measured parameters), the split sizes and one example rationale; the
printed table shows the headline numbers.
"""

from __future__ import annotations

import json

from omegaconf import DictConfig

from agir.data.corpus import read_manifest
from agir.data.splits import SubjectSplit
from agir.pipeline.baseline import fit_baseline, predict_baseline
from agir.pipeline.runs import run_dir
from agir.tasks.score_metrics import ScoreConfusion
from agir.text.faithfulness import summarize_faithfulness

HEADLINE = ("accuracy", "macro_f1", "qwk", "mae", "invalid_rate")


def confusion_metrics(targets: list[int], predictions: list[int | None]) -> dict[str, float]:
    confusion = ScoreConfusion()
    confusion.update(targets, predictions)
    return confusion.compute()


def format_table(rows: dict[str, dict[str, float]]) -> str:
    lines = [f"{'held-out subjects':<18}" + "".join(f"{name:>14}" for name in HEADLINE)]
    for label, metrics in rows.items():
        lines.append(f"{label:<18}" + "".join(f"{metrics[name]:>14.3f}" for name in HEADLINE))
    return "\n".join(lines)


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
    agir |= summarize_faithfulness([p["faithfulness"] for p in predictions])
    reference = confusion_metrics(
        [item.score for item in test], predict_baseline(baseline, [item.parameters for item in test])
    )
    example = predictions[0]
    report = {
        "agir": agir,
        "baseline": reference,
        "split": {
            "scheme": split.scheme,
            "train_subjects": len(split.train),
            "test_subjects": len(split.test),
            "test_trials": len(predictions),
        },
        "steps": {stage: json.loads((run / stage / "metrics.json").read_text())["steps"] for stage in config.pipeline},
        "example": example,
    }
    text = "\n".join(
        [
            "",
            format_table({"AGIR": agir, "baseline (RF)": reference}),
            f"AGIR rationales: {agir['faithfulness']:.1%} of {agir['numeric_claims']} numeric claims match the "
            f"measured parameters; {agir['grade_agreement']:.1%} of {agir['graded_findings']} grade words are the "
            f"measured values' grades; {agir['contradiction_rate']:.1%} contradict their score in words",
            "",
            f"example rationale ({example['id']}, true score {example['target']}, predicted {example['score']}):",
            example["rationale"],
            "",
        ]
    )
    return report, text
