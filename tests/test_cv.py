"""Cross-validation on a tiny cohort: two subject-disjoint folds, each a full pipeline with its own tokenizer and
report, and cv.json with mean and std over the folds for AGIR and the baseline."""

from __future__ import annotations

import json
import statistics

import pytest
from helpers import LLM_STAGES, ONE_TRIAL, TOKENIZER_STAGE

from agir.config import ConfigError, load_config
from agir.fit import main as fit_main
from agir.pipeline.cv import fold_count, summarize


def test_kfold_runs_every_fold_on_disjoint_subjects_and_summarizes(tmp_path, capsys):
    run = tmp_path / "cv"
    args = [
        "--config",
        "configs/demo.yaml",
        *ONE_TRIAL,
        *TOKENIZER_STAGE,
        *LLM_STAGES,
        f"run.out_dir={run}",
        "pipeline=[tokenizer,reasoning]",
        "reasoning.init_from=null",
        "cv.scheme=kfold",
        "cv.folds=2",
    ]
    assert fit_main(args) == 0
    tests = [set(json.loads((run / f"fold_{k}" / "splits.json").read_text())["test"]) for k in range(2)]
    assert tests[0] and tests[1] and not tests[0] & tests[1] and len(tests[0] | tests[1]) == 8
    for k in range(2):
        metadata = json.loads((run / f"fold_{k}" / "reasoning" / "metadata.json").read_text())
        assert metadata["motion_tokenizer"] == str(run / f"fold_{k}" / "tokenizer")  # its own, not fold 0's
    reports = [json.loads((run / f"fold_{k}" / "report.json").read_text()) for k in range(2)]
    summary = json.loads((run / "cv.json").read_text())
    assert summary["scheme"] == "kfold" and summary["folds"] == 2
    for model in ("agir", "baseline"):
        accuracy = [report[model]["accuracy"] for report in reports]
        assert summary[model]["accuracy"]["folds"] == accuracy
        assert summary[model]["accuracy"]["mean"] == pytest.approx(statistics.fmean(accuracy))
        assert summary[model]["accuracy"]["std"] == pytest.approx(statistics.stdev(accuracy))
    assert "kfold, 2 folds" in capsys.readouterr().out
    loso = load_config("configs/demo.yaml", [*ONE_TRIAL, f"run.out_dir={run}", "cv.scheme=loso"])
    assert fold_count(loso) == 8  # one fold per subject


def test_summary_leaves_out_undefined_folds():
    reports = [
        {
            model: {"accuracy": a, "macro_f1": a, "qwk": q, "mae": 1.0, "invalid_rate": 0.0}
            for model in ("agir", "baseline")
        }
        for a, q in ((0.5, float("nan")), (0.7, 0.2), (0.6, 0.4))
    ]
    qwk = summarize(reports)["agir"]["qwk"]
    assert qwk["mean"] == pytest.approx(0.3) and qwk["std"] == pytest.approx(statistics.stdev([0.2, 0.4]))
    assert qwk["undefined_folds"] == 1


def test_an_unknown_cv_scheme_is_a_config_error():
    with pytest.raises(ConfigError, match="cv.scheme must be none, kfold or loso"):
        load_config("configs/demo.yaml", ["cv.scheme=random"])
