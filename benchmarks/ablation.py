"""Evidence-mode ablation on one run's cohort and split, beside its random-forest baseline.

For each evidence mode (`reasoning.evidence`: motion, parameters, graded) a reasoning stage is trained from the run's
own generative stage, tokenizer and corpus (the run's own reasoning stage stands for its mode; another mode's goes
to `<run>_<mode>/`, reused when finished; same seed and corpus, so the same split), then evaluated on the test split
with grounded numbers and grades, with grounded numbers and free grades, and with both free (the paper's setting is
motion evidence, both free). Prints a Markdown table: accuracy, macro-F1 with the standard deviation of a bootstrap
over held-out subjects (the noise level), QWK, MAE, invalid rate, numeric faithfulness, claims about unmeasured
parameters, grade agreement.

    PYTHONPATH=src python benchmarks/ablation.py --run checkpoints/demo [--modes motion parameters graded]
        [--min-confidence F]
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

GROUNDINGS = {"numbers and grades grounded": (True, True), "grades free": (True, False), "both free": (False, False)}
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
    train_reasoning_variant(run, variant, [f"data.corpus_dir={run / 'corpus'}", f"reasoning.evidence={mode}"])
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", type=Path, default=Path("checkpoints/demo"))
    parser.add_argument("--modes", nargs="+", choices=EVIDENCE_MODES, default=list(EVIDENCE_MODES))
    parser.add_argument(
        "--min-confidence", type=float, help="judge every stage with this threshold (default: each stage's own)"
    )
    args = parser.parse_args()
    baseline = json.loads((args.run / "report.json").read_text())["baseline"]
    rows = [
        "| evidence | grounding | accuracy | macro-F1 (+/- SD) | QWK | MAE | invalid | numeric faithfulness "
        "| unmeasured claims | grade agreement |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for mode in args.modes:
        run = mode_run(args.run, mode)
        for name, (numbers, grades) in GROUNDINGS.items():
            metrics = evaluate_run(
                run, "test", grounded=numbers, grounded_grades=grades, min_confidence=args.min_confidence
            )
            folder = "test" + ("" if numbers else "_free_numbers") + ("" if grades else "_free_grades")
            predictions = [json.loads(line) for line in (run / "evaluation" / folder / "predictions.jsonl").open()]
            m = {key.removeprefix("test_"): value for key, value in metrics.items()}
            rows.append(
                f"| {mode} | {name} | {_cell(m['accuracy'])} | {_cell(m['macro_f1'])} "
                f"+/- {bootstrap_macro_f1_sd(predictions):.3f} | {_cell(m['qwk'])} | {_cell(m['mae'])} "
                f"| {_cell(m['invalid_rate'], True)} | {_cell(m['faithfulness'], True)} of {m['numeric_claims']} "
                f"| {m['unmeasured_claims']} | {_cell(m['grade_agreement'], True)} of {m['graded_findings']} |"
            )
            print(rows[-1], flush=True)
    rows.append(
        f"| gait parameters (random forest) | | {_cell(baseline['accuracy'])} | {_cell(baseline['macro_f1'])} "
        f"| {_cell(baseline['qwk'])} | {_cell(baseline['mae'])} | {_cell(baseline['invalid_rate'], True)} | | | |"
    )
    print("\n".join(rows))


if __name__ == "__main__":
    main()
