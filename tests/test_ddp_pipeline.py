"""The whole pipeline, and LOSO cross-validation, through the real `python -m agir.fit` entry point with 2 CPU ranks
(gloo) that Lightning's `ddp` launcher starts from the top, beside the same command in one process.

What can be equal is checked equal: the corpus (built once), the split or folds, the held-out trials and their
targets (each predicted exactly once, gathered from both ranks), the step counts and the gait-parameter baseline's
numbers. AGIR's own numbers cannot be: under DDP an optimizer step averages the gradients of two batches, one from
each rank's shard of the training set (the global batch is devices x batch_size), and the codebook's dead-code resets
draw their candidates from both ranks, so the trained weights, and the rationales generated from them, are not the
single process's. That DDP evaluation of given weights gives exactly the single process's numbers is
tests/test_ddp_tiny_eval.py; that the ranks train in lockstep is tests/test_distributed.py.

The LOSO cohort has one trial per subject, so every held-out split has fewer trials than ranks.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import DATA, LLM_STAGES, TOKENIZER_STAGE, run_fit

pytestmark = pytest.mark.slow

TWO_RANKS = ["--config", "configs/trainer/ddp.yaml", "trainer.accelerator=cpu", "trainer.devices=2"]
SINGLE = ["--config", "configs/trainer/cpu.yaml"]
BUILDS = "building the corpus of synthetic"
PIPELINE = [
    *DATA,
    *TOKENIZER_STAGE,
    *LLM_STAGES,
    "data.synthetic.n_subjects=6",
    "data.synthetic.trials_per_subject=2",
]
LOSO = [
    *DATA,
    *TOKENIZER_STAGE,
    *LLM_STAGES,
    "data.synthetic.n_subjects=3",
    "data.synthetic.trials_per_subject=1",
    "data.batch_size=2",
    "reasoning.batch_size=2",
    "pipeline=[tokenizer,reasoning]",
    "reasoning.init_from=null",
    "cv.scheme=loso",
]


def runs(tmp_path_factory, name: str, overrides: list[str]) -> dict[str, tuple[Path, str]]:
    """The demo with `overrides` run in one process and with 2 ranks: each one's run directory and output."""
    results = {}
    for ranks, trainer in (("single", SINGLE), ("ddp", TWO_RANKS)):
        run = tmp_path_factory.mktemp(f"{name}-{ranks}")
        command = ["--config", "configs/demo.yaml", *trainer, *overrides, f"run.out_dir={run}"]
        results[ranks] = run, run_fit(*command, timeout=600)
    return results


def predictions(stage: Path) -> list[tuple[str, int]]:
    lines = (stage / "predictions_test.jsonl").read_text().splitlines()
    return [(row["id"], row["target"]) for row in map(json.loads, lines)]


@pytest.fixture(scope="module")
def pipeline_runs(tmp_path_factory):
    return runs(tmp_path_factory, "pipeline", PIPELINE)


@pytest.fixture(scope="module")
def loso_runs(tmp_path_factory):
    return runs(tmp_path_factory, "loso", LOSO)


def test_pipeline_with_two_ranks_reports_what_does_not_depend_on_the_weights_as_one_process(pipeline_runs):
    (single, _), (ddp, output) = pipeline_runs["single"], pipeline_runs["ddp"]
    assert output.count(BUILDS) == 1
    one, two = (json.loads((run / "report.json").read_text()) for run in (single, ddp))
    assert two["split"] == one["split"] and two["steps"] == one["steps"] == {
        "tokenizer": 4,
        "generative": 2,
        "reasoning": 2,
    }
    assert two["baseline"] == one["baseline"]
    assert predictions(ddp / "reasoning") == predictions(single / "reasoning")
    assert len({item for item, _ in predictions(ddp / "reasoning")}) == two["split"]["test_trials"] == two["agir"]["n"]
    assert two["example"]["id"] == one["example"]["id"]


def test_loso_with_two_ranks_runs_every_fold_and_its_cv_json_matches_one_process(loso_runs):
    (single, _), (ddp, output) = loso_runs["single"], loso_runs["ddp"]
    assert output.count(BUILDS) == 1
    one, two = (json.loads((run / "cv.json").read_text()) for run in (single, ddp))
    assert two["scheme"] == "loso" and two["folds"] == one["folds"] == 3
    assert two["baseline"] == one["baseline"]
    assert two["agir"].keys() == one["agir"].keys()
    for fold in range(3):
        for run in (single, ddp):
            assert (run / f"fold_{fold}" / "report.json").is_file()
        assert predictions(ddp / f"fold_{fold}" / "reasoning") == predictions(single / f"fold_{fold}" / "reasoning")
        assert len(predictions(ddp / f"fold_{fold}" / "reasoning")) == 1  # fewer held-out trials than ranks
