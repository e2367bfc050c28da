"""A tiny trained run (corpus, motion tokenizer, reasoning stage grounded in measured parameters), trained once per
test session and shared by the modules that assess and evaluate it."""

from __future__ import annotations

import json
from pathlib import Path

from tiny import LLM_STAGES, ONE_TRIAL, TOKENIZER_STAGE

from agir.data.corpus import read_manifest
from agir.data.splits import SubjectSplit
from agir.fit import main as fit_main


def trained_run(tmp_path_factory) -> Path:
    run = tmp_path_factory.getbasetemp() / "tiny-reasoning-run"
    if not (run / "reasoning" / "metadata.json").is_file():
        assert (
            fit_main(
                [
                    "--config",
                    "configs/demo.yaml",
                    *ONE_TRIAL,
                    *TOKENIZER_STAGE,
                    *LLM_STAGES,
                    f"run.out_dir={run}",
                    "pipeline=[tokenizer,reasoning]",
                    "reasoning.init_from=null",
                    "reasoning.measured_parameters=true",
                ]
            )
            == 0
        )
    return run


def held_out_files(run: Path) -> list[str]:
    """The motion files of the run's test subjects, in item-id order (the order of predictions_test.jsonl)."""
    split = SubjectSplit.load(run / "splits.json")
    items = sorted((item for item in read_manifest(run / "corpus") if item.subject in split.test), key=lambda i: i.id)
    return [str(run / "corpus" / item.path) for item in items]


def stage_predictions(run: Path) -> list[dict]:
    return [json.loads(line) for line in (run / "reasoning" / "predictions_test.jsonl").read_text().splitlines()]
