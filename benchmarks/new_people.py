"""A run's reasoning stage and its random forest on new people: a fresh synthetic cohort neither ever saw.

The demo holds out 40 subjects (160 trials), so its test macro-F1 moves by +/- 0.05 between equally good models. Here
the run's finished stages assess a new cohort (`--cohort-seed`, other people than the run's; `--subjects`, most of them
held out, `--test-fraction`), as the run's own test split is assessed (grounded as validated, the stage's abstention
rule and temperature); the random forest is fit on the run's own training subjects, as the run's report fits it.
Prints both macro-F1 with the standard deviation of a paired bootstrap over the new people, the confusion matrices,
and how faithful AGIR's rationales are to the new people's measurements; writes
`<run>/new_people_<seed>/predictions.jsonl` (the new cohort's corpus lies beside it).

    PYTHONPATH=src python benchmarks/new_people.py --run checkpoints/demo [--subjects 150] [--cohort-seed 777]
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np  # noqa: E402

from agir.config import load_config  # noqa: E402
from agir.data.corpus import build_corpus, read_manifest  # noqa: E402
from agir.data.datamodule import GaitDataModule  # noqa: E402
from agir.data.splits import SubjectSplit  # noqa: E402
from agir.pipeline.baseline import fit_baseline, predict_baseline  # noqa: E402
from agir.pipeline.evaluation import evaluation_trainer, judging_module  # noqa: E402
from agir.pipeline.inference import load_assessor  # noqa: E402
from agir.tasks.score_metrics import ScoreConfusion  # noqa: E402
from agir.text.faithfulness import claims_summary, summarize_faithfulness  # noqa: E402

SCORES = range(4)


def macro_f1(targets: list[int], scores: list[int | None]) -> float:
    confusion = ScoreConfusion()
    confusion.update(targets, scores)
    return confusion.compute()["macro_f1"]


def paired_bootstrap(
    subjects: list[str], targets: list[int], a: list[int | None], b: list[int | None], draws: int = 1000
) -> np.ndarray:
    """macro-F1 of b minus a, over `draws` resamples of whole subjects."""
    rows: dict[str, list[int]] = {}
    for row, subject in enumerate(subjects):
        rows.setdefault(subject, []).append(row)
    names = sorted(rows)
    rng = np.random.default_rng(0)
    differences = []
    for _ in range(draws):
        picked = [row for name in rng.choice(names, len(names)) for row in rows[name]]
        pick = [targets[r] for r in picked]
        differences.append(macro_f1(pick, [b[r] for r in picked]) - macro_f1(pick, [a[r] for r in picked]))
    return np.array(differences)


def confusion_rows(targets: list[int], scores: list[int | None]) -> str:
    """One line per true score: how many trials got each score, then how many none."""
    lines = []
    for target in SCORES:
        given = [s for t, s in zip(targets, scores, strict=True) if t == target]
        counts = " ".join(f"{given.count(score):4d}" for score in SCORES)
        lines.append(f"  score {target}: {counts}   none {given.count(None)}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", type=Path, required=True, help="a synthetic run with a finished reasoning stage")
    parser.add_argument("--subjects", type=int, default=150, help="people in the new cohort")
    parser.add_argument("--cohort-seed", type=int, default=777, help="seed of the new cohort (not the run's)")
    parser.add_argument("--test-fraction", type=float, default=0.8, help="share of the new people assessed")
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()

    config = load_config(args.run / "reasoning" / "config.yaml")
    if config.data.source != "synthetic":
        parser.error(f"{args.run} was trained on {config.data.source!r} data; new people are drawn synthetically")
    if config.data.synthetic.seed == args.cohort_seed:
        parser.error(f"--cohort-seed {args.cohort_seed} is the run's own cohort: choose another")
    out = args.run / f"new_people_{args.cohort_seed}"
    run_items = read_manifest(config.data.corpus_dir)
    run_split = SubjectSplit.load(args.run / "splits.json")
    forest = fit_baseline([item for item in run_items if item.subject in run_split.train], config.seed)

    config.data.corpus_dir = str(out / "corpus")
    config.data.synthetic.seed = args.cohort_seed
    config.data.synthetic.n_subjects = args.subjects
    config.data.split.scheme = "holdout"
    config.data.split.val_fraction = round((1 - args.test_fraction) / 2, 6)
    config.data.split.test_fraction = args.test_fraction
    build_corpus(config.data, config.seed)
    datamodule = GaitDataModule(config.data, config.seed)
    datamodule.setup()
    assessor = load_assessor(args.run, args.device)
    # Judged as the stage judges its own test split: its grounding, abstention rule and temperature.
    module = judging_module(
        assessor,
        config,
        grounded=None,
        grounded_grades=None,
        min_coverage=None,
        min_confidence=None,
        datamodule=datamodule,
    )
    evaluation_trainer(assessor, config).test(module, datamodule=datamodule, verbose=False)
    predictions = module.predictions
    (out / "predictions.jsonl").write_text("".join(json.dumps(p) + "\n" for p in predictions))

    items = {item.id: item for item in datamodule.items["test"]}
    targets = [p["target"] for p in predictions]
    agir = [p["score"] for p in predictions]
    baseline = predict_baseline(forest, [items[p["id"]].parameters for p in predictions])
    subjects = [items[p["id"]].subject for p in predictions]
    gap = paired_bootstrap(subjects, targets, baseline, agir)
    print(f"{len(predictions)} trials of {len(set(subjects))} new people (cohort seed {args.cohort_seed})")
    print(f"AGIR macro-F1 {macro_f1(targets, agir):.3f}, invalid {agir.count(None) / len(agir):.1%}")
    print(confusion_rows(targets, agir))
    faithfulness = summarize_faithfulness([p["faithfulness"] for p in predictions])
    print(f"{claims_summary(faithfulness)}; {faithfulness['unmeasured_claims']} claims about unmeasured parameters")
    print(f"random forest macro-F1 {macro_f1(targets, baseline):.3f}")
    print(confusion_rows(targets, baseline))
    print(
        f"AGIR minus forest {macro_f1(targets, agir) - macro_f1(targets, baseline):+.3f} +/- {gap.std():.3f} "
        f"(paired bootstrap over people; AGIR better in {100 * (gap > 0).mean():.0f}% of resamples)"
    )


if __name__ == "__main__":
    main()
