"""Learning curves of the reasoning stage: held-out macro-F1 against optimizer steps, one curve per cohort size, beside
the random-forest baseline on the same subjects.

Each curve `SUBJECTS:STEPS:EVERY` trains a reasoning stage from the run's generative stage and motion tokenizer for
STEPS steps, validating (generating a rationale and score for every validation trial) every EVERY steps; its test
split is scored once, at the end. A curve with the run's own cohort size trains on the run's corpus and split; any
other size draws a new synthetic cohort of that many subjects (`--cohort-seed`: other people than the run's, so the
run's stages never saw them) with its own split (`--val-fraction`). Curves go to `<out>/<S>subjects_<N>steps/`,
reused when finished. Predictions are judged with `reasoning.min_confidence=0` (every score given, as in the
ablation), grounded numbers and grades. The baseline is fit on each curve's training subjects and scored on its
validation and test subjects.

Writes `<out>/learning_curve.png` (validation macro-F1 against steps, the test point at the end of each curve, the
baselines dashed) and prints a Markdown table.

    PYTHONPATH=src python benchmarks/learning_curve.py --run checkpoints/demo --curves 200:1200:200 800:800:400
"""

from __future__ import annotations

import argparse
import csv
import json
import os
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import matplotlib.pyplot as plt  # noqa: E402
from ablation import train_reasoning_variant  # noqa: E402

from agir.config import load_config  # noqa: E402
from agir.data.corpus import read_manifest  # noqa: E402
from agir.data.splits import SubjectSplit  # noqa: E402
from agir.pipeline.baseline import fit_baseline, predict_baseline  # noqa: E402
from agir.pipeline.run_report import confusion_metrics  # noqa: E402
from agir.viz.figures import figure_png  # noqa: E402


@dataclass(frozen=True)
class Curve:
    subjects: int
    steps: int
    every: int

    @classmethod
    def parse(cls, text: str) -> Curve:
        try:
            subjects, steps, every = (int(part) for part in text.split(":"))
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"a curve is SUBJECTS:STEPS:EVERY (e.g. 800:1200:200), not {text!r}"
            ) from None
        if min(subjects, steps, every) < 1 or steps % every:
            raise argparse.ArgumentTypeError(f"{text}: positive numbers, and EVERY must divide STEPS")
        return cls(subjects, steps, every)

    @property
    def name(self) -> str:
        return f"{self.subjects}subjects_{self.steps}steps"


def train_curve(run: Path, curve: Curve, folder: Path, cohort_seed: int, val_fraction: float) -> None:
    """The curve's reasoning stage in `folder`, unless finished earlier."""
    overrides = [
        f"reasoning.max_steps={curve.steps}",
        f"reasoning.val_check_interval={curve.every}",
        "reasoning.min_confidence=0",
    ]
    if curve.subjects == load_config(run / "config.yaml").data.synthetic.n_subjects:
        overrides.append(f"data.corpus_dir={run / 'corpus'}")
    else:
        overrides += [
            f"data.corpus_dir={folder / 'corpus'}",
            f"data.synthetic.n_subjects={curve.subjects}",
            f"data.synthetic.seed={cohort_seed}",
            f"data.split.val_fraction={val_fraction}",
        ]
    train_reasoning_variant(run, folder, overrides)


def validation_points(folder: Path) -> list[tuple[int, float]]:
    """(optimizer steps, validation macro-F1) of every validation the stage logged."""
    with (folder / "reasoning" / "logs" / "metrics.csv").open() as rows:
        rows = list(csv.DictReader(rows))
    return [(int(row["step"]) + 1, float(row["val/macro_f1"])) for row in rows if row["val/macro_f1"]]


def baseline_f1(folder: Path) -> dict[str, float]:
    """The random forest's macro-F1 on the validation and test subjects of the curve's split, fit on its training
    subjects."""
    config = load_config(folder / "config.yaml")
    split = SubjectSplit.load(folder / "splits.json")
    items = read_manifest(config.data.corpus_dir)
    model = fit_baseline([item for item in items if item.subject in split.train], config.seed)
    scores = {}
    for part in ("val", "test"):
        held_out = [item for item in items if item.subject in getattr(split, part)]
        predicted = predict_baseline(model, [item.parameters for item in held_out])
        scores[part] = confusion_metrics([item.score for item in held_out], predicted)["macro_f1"]
    return scores


def plot(results: list[dict]) -> bytes:
    figure, axes = plt.subplots(figsize=(7.5, 4.6), dpi=100)
    for color, result in zip(plt.rcParams["axes.prop_cycle"].by_key()["color"], results, strict=False):
        curve, points = result["curve"], result["validation"]
        label = f"{curve.subjects} subjects ({result['train_subjects']} training)"
        axes.plot([s for s, _ in points], [f for _, f in points], "o-", color=color, label=f"AGIR validation, {label}")
        axes.plot([curve.steps], [result["test"]], "s", color=color, markersize=9, label=f"AGIR test, {label}")
        axes.axhline(result["baseline"]["val"], color=color, linestyle="--", linewidth=1)
        axes.axhline(result["baseline"]["test"], color=color, linestyle=":", linewidth=1)
    axes.plot([], [], "k--", linewidth=1, label="random forest, validation")
    axes.plot([], [], "k:", linewidth=1, label="random forest, test")
    axes.set_xlabel("reasoning-stage optimizer steps (batch 16)")
    axes.set_ylabel("macro-F1 (scores 0-3)")
    axes.set_ylim(0, 1)
    axes.grid(alpha=0.3)
    axes.legend(fontsize=7, loc="lower right")
    axes.set_title("Reasoning stage: held-out macro-F1 against training steps and cohort size", fontsize=10)
    figure.tight_layout()
    return figure_png(figure)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", type=Path, default=Path("checkpoints/demo"))
    parser.add_argument("--curves", nargs="+", type=Curve.parse, default=[Curve(200, 1200, 200)])
    parser.add_argument("--out", type=Path, help="where the curves' runs go (default: <run>_curves)")
    parser.add_argument("--cohort-seed", type=int, default=7, help="seed of the new cohorts (not the run's)")
    parser.add_argument("--val-fraction", type=float, default=0.1, help="validation share of the new cohorts")
    args = parser.parse_args()
    out = args.out or args.run.parent / f"{args.run.name}_curves"
    results = []
    for curve in args.curves:
        folder = out / curve.name
        train_curve(args.run, curve, folder, args.cohort_seed, args.val_fraction)
        test = json.loads((folder / "reasoning" / "metrics.json").read_text())["test_macro_f1"]
        split = SubjectSplit.load(folder / "splits.json")
        results.append(
            {
                "curve": curve,
                "train_subjects": len(split.train),
                "validation": validation_points(folder),
                "test": test,
                "baseline": baseline_f1(folder),
            }
        )
    (out / "learning_curve.png").write_bytes(plot(results))
    print("| cohort (training subjects) | steps | validation macro-F1 | test macro-F1 | RF validation | RF test |")
    print("| --- | --- | --- | --- | --- | --- |")
    for result in results:
        curve, baseline = result["curve"], result["baseline"]
        for steps, f1 in result["validation"]:
            test = f"{result['test']:.3f}" if steps == curve.steps else ""
            print(
                f"| {curve.subjects} ({result['train_subjects']}) | {steps} | {f1:.3f} | {test} "
                f"| {baseline['val']:.3f} | {baseline['test']:.3f} |"
            )
    print(f"plot: {out / 'learning_curve.png'}")


if __name__ == "__main__":
    main()
