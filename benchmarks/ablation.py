"""Evidence-mode ablation on one run's cohort and split, beside its random-forest baseline.

For each evidence mode (`reasoning.evidence`: motion, parameters, graded) a reasoning stage is trained from the run's
own generative stage, tokenizer and corpus (the run's own reasoning stage stands for its mode; another mode's goes
to `<run>_<mode>/`, reused when finished; same seed and corpus, so the same split), then evaluated on the test split
with grounded numbers and grades, with grounded numbers and free grades, and with both free (the paper's setting is
motion evidence, both free). Prints a Markdown table: accuracy, macro-F1 with the standard deviation of a bootstrap
over held-out subjects (the noise level), QWK, MAE, invalid rate, numeric faithfulness, claims about unmeasured
parameters, grade agreement.

A cross-validation run (`python -m agir.fit --config configs/demo.yaml cv.scheme=kfold cv.folds=5`, with its
`cv.json`) is ablated fold by fold (each `<run>/fold_<k>/` as above); the table then gives each metric's mean +/- the
standard deviation over the folds, and the counts summed over them.

    PYTHONPATH=src python benchmarks/ablation.py --run checkpoints/demo [--modes motion parameters graded]
        [--groundings grounded grades-free free] [--min-confidence F]
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np  # noqa: E402

from agir.config import load_config  # noqa: E402
from agir.pipeline.evaluation import evaluate_run  # noqa: E402
from agir.pipeline.training import fit  # noqa: E402
from agir.tasks.score_metrics import ScoreConfusion  # noqa: E402
from agir.text.prompts import EVIDENCE_MODES  # noqa: E402

# name on the command line: (label in the table, numbers grounded, grades grounded)
GROUNDINGS = {
    "grounded": ("numbers and grades grounded", True, True),
    "grades-free": ("grades free", True, False),
    "free": ("both free", False, False),
}
BOOTSTRAP_ROUNDS = 1000


def train_reasoning_variant(run: Path, variant: Path, overrides: list[str]) -> None:
    """A reasoning stage in `variant/`, trained from `run`'s config, generative stage and motion tokenizer with
    `overrides`, unless finished earlier; `variant/tokenizer` links the run's, where evaluation looks for it."""
    if not (variant / "reasoning" / "metrics.json").is_file():
        paths = [str(run / "config.yaml")]
        overrides = [
            f"run.out_dir={variant}",
            "pipeline=[reasoning]",
            f"reasoning.init_from={run / 'generative'}",
            f"reasoning.motion_tokenizer={run / 'tokenizer'}",
            *overrides,
        ]
        fit(load_config(paths, overrides), paths, overrides)
    if not (variant / "tokenizer").exists():
        (variant / "tokenizer").symlink_to((run / "tokenizer").resolve(), target_is_directory=True)


def mode_run(run: Path, mode: str) -> Path:
    """The run folder whose reasoning stage was trained with evidence `mode`: `run` itself for its own mode, else
    `<run>_<mode>/`, trained now unless finished earlier."""
    own = json.loads((run / "reasoning" / "metadata.json").read_text())["evidence"]
    if mode == own:
        return run
    variant = run.parent / f"{run.name}_{mode}"
    # The run's saved config names its corpus (a fold's is the cross-validation run's), so the variant reads it too.
    train_reasoning_variant(run, variant, [f"reasoning.evidence={mode}"])
    return variant


def bootstrap_macro_f1_sd(predictions: list[dict], seed: int = 0) -> float:
    """Standard deviation of macro-F1 over held-out subjects resampled with replacement (all trials of each)."""
    by_subject: dict[str, list[dict]] = {}
    for prediction in predictions:
        by_subject.setdefault(prediction["id"].rsplit("_", 1)[0], []).append(prediction)
    subjects = list(by_subject)
    rng = np.random.default_rng(seed)
    scores = []
    for _ in range(BOOTSTRAP_ROUNDS):
        drawn = [p for s in rng.choice(subjects, len(subjects)) for p in by_subject[s]]
        confusion = ScoreConfusion()
        confusion.update([p["target"] for p in drawn], [p["score"] for p in drawn])
        scores.append(confusion.compute()["macro_f1"])
    return float(np.std(scores))


def _cell(value: float | None, percent: bool = False) -> str:
    if value is None:
        return "n/a"
    return f"{100 * value:.1f} %" if percent else f"{value:.3f}"


def runs_of(run: Path) -> list[Path]:
    """The runs to ablate: `run`, or each fold of a cross-validation run (one with `cv.json`)."""
    if not (run / "cv.json").is_file():
        return [run]
    return sorted(run.glob("fold_*[0-9]"), key=lambda fold: int(fold.name.removeprefix("fold_")))


def _spread(values: list[float | None], percent: bool = False) -> str:
    """One run's value, or the mean +/- the standard deviation over folds (those where it is defined)."""
    defined = [value for value in values if value is not None and not np.isnan(value)]
    if len(values) == 1 or len(defined) < 2:
        return _cell(defined[0] if len(defined) == 1 else None, percent)
    mean, sd = np.mean(defined), np.std(defined, ddof=1)
    return f"{100 * mean:.1f} +/- {100 * sd:.1f} %" if percent else f"{mean:.3f} +/- {sd:.3f}"


def evaluate_variant(run: Path, numbers: bool, grades: bool, min_confidence: float | None) -> tuple[dict, list]:
    """One grounding's test metrics (without their `test_` prefix) and predictions for `run`'s reasoning stage."""
    metrics = evaluate_run(run, "test", grounded=numbers, grounded_grades=grades, min_confidence=min_confidence)
    folder = "test" + ("" if numbers else "_free_numbers") + ("" if grades else "_free_grades")
    predictions = [json.loads(line) for line in (run / "evaluation" / folder / "predictions.jsonl").open()]
    return {key.removeprefix("test_"): value for key, value in metrics.items()}, predictions


def table_row(label: str, folds: list[tuple[dict, list]]) -> str:
    """A table row over one run (macro-F1 +/- its bootstrap SD) or several folds (each metric's spread)."""
    metrics = [m for m, _ in folds]
    if len(folds) == 1:
        f1 = f"{_cell(metrics[0]['macro_f1'])} +/- {bootstrap_macro_f1_sd(folds[0][1]):.3f}"
    else:
        f1 = _spread([m["macro_f1"] for m in metrics])
    claims, graded = sum(m["numeric_claims"] for m in metrics), sum(m["graded_findings"] for m in metrics)
    faithful = sum(m["faithfulness"] * m["numeric_claims"] for m in metrics if m["numeric_claims"])
    agreeing = sum(m["grade_agreement"] * m["graded_findings"] for m in metrics if m["graded_findings"])
    return (
        f"| {label} | {_spread([m['accuracy'] for m in metrics])} | {f1} | {_spread([m['qwk'] for m in metrics])} "
        f"| {_spread([m['mae'] for m in metrics])} | {_spread([m['invalid_rate'] for m in metrics], True)} "
        f"| {_cell(faithful / claims if claims else None, True)} of {claims} "
        f"| {sum(m['unmeasured_claims'] for m in metrics)} "
        f"| {_cell(agreeing / graded if graded else None, True)} of {graded} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", type=Path, default=Path("checkpoints/demo"))
    parser.add_argument("--modes", nargs="+", choices=EVIDENCE_MODES, default=list(EVIDENCE_MODES))
    parser.add_argument("--groundings", nargs="+", choices=list(GROUNDINGS), default=list(GROUNDINGS))
    parser.add_argument(
        "--min-confidence", type=float, help="judge every stage with this threshold (default: each stage's own)"
    )
    args = parser.parse_args()
    runs = runs_of(args.run)
    if len(runs) > 1:
        print(f"{args.run}: {len(runs)} folds, each metric's mean +/- SD over them")
    rows = [
        "| evidence | grounding | accuracy | macro-F1 (+/- SD) | QWK | MAE | invalid | numeric faithfulness "
        "| unmeasured claims | grade agreement |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for mode in args.modes:
        variants = [mode_run(run, mode) for run in runs]
        for label, numbers, grades in (GROUNDINGS[name] for name in args.groundings):
            folds = [evaluate_variant(variant, numbers, grades, args.min_confidence) for variant in variants]
            rows.append(table_row(f"{mode} | {label}", folds))
            print(rows[-1], flush=True)
    baselines = [json.loads((run / "report.json").read_text())["baseline"] for run in runs]
    spread = {key: _spread([b[key] for b in baselines]) for key in ("accuracy", "macro_f1", "qwk", "mae")}
    rows.append(
        f"| gait parameters (random forest) | | {spread['accuracy']} | {spread['macro_f1']} | {spread['qwk']} "
        f"| {spread['mae']} | {_spread([b['invalid_rate'] for b in baselines], True)} | | | |"
    )
    print("\n".join(rows))


if __name__ == "__main__":
    main()
