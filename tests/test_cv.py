"""Cross-validation on a tiny cohort: two subject-disjoint folds, each a full pipeline with its own tokenizer and
report, and cv.json with mean and std over the folds for AGIR and the baseline."""

from __future__ import annotations

import json
import statistics

import pytest
from helpers import LLM_STAGES, ONE_TRIAL, TOKENIZER_STAGE, write_pickle

from agir.config import ConfigError, load_config
from agir.fit import main as fit_main
from agir.motion.synth import make_cohort
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


def test_lodo_over_a_synthetic_and_a_carepd_cohort_runs_end_to_end(tmp_path, capsys):
    """Two sources in one corpus (the synthetic cohort and a CARE-PD pickle with the authors' kind of rationales),
    one fold per held-out dataset, macro-F1 over 0-3 and 0-2 per dataset and pooled for AGIR and the baseline."""
    (tmp_path / "pkl").mkdir()
    cohort = make_cohort(4, 1, seed=11, walk_distance_m=4.0)
    walks = {
        f"SUB0{n}": {f"SUB0{n}_off_walk_1": {"joints": trials[0].joints, "fps": 30.0, "UPDRS_GAIT": subject.score}}
        for n, (subject, trials) in enumerate(cohort, start=1)
    }
    write_pickle(tmp_path / "pkl" / "BMCLab.pkl", walks)
    texts = {
        f"SUB0{n}_off_walk_1": "Foot: Steps are short. Arm: Arm swing is reduced. Overall: Mild." for n in (1, 2, 3, 4)
    }
    (tmp_path / "rationales.json").write_text(json.dumps(texts | {"SUB07_on_walk_1": "Overall: typical."}))
    sources = (
        "data.sources=[{source: synthetic, dataset: clinic, synthetic: {n_subjects: 4, walk_distance_m: 4.0, "
        "trials_per_subject: 1, seed: 3}}, {source: carepd, dataset: BMCLab, recordings: {root: "
        f"'{tmp_path / 'pkl'}'}}, texts: {{rationales: '{tmp_path / 'rationales.json'}'}}}}]"
    )
    run = tmp_path / "lodo"
    args = [
        "--config",
        "configs/demo.yaml",
        *ONE_TRIAL,
        *TOKENIZER_STAGE,
        *LLM_STAGES,
        sources,
        f"run.out_dir={run}",
        "pipeline=[tokenizer,reasoning]",
        "reasoning.init_from=null",
        "cv.scheme=lodo",
    ]
    assert fit_main(args) == 0
    info = json.loads((run / "corpus" / "corpus.json").read_text())
    assert info["datasets"] == ["clinic", "BMCLab"] and info["items"] == 8
    assert info["texts"]["BMCLab"]["rationales"]["unmatched_ids"] == ["SUB07_on_walk_1"]
    splits = [json.loads((run / f"fold_{k}" / "splits.json").read_text()) for k in range(2)]
    # Folds in sorted dataset order: BMCLab held out first, then clinic; no subject in two parts of a split.
    assert all(s.startswith("BMCLab/") for s in splits[0]["test"]) and len(splits[0]["test"]) == 4
    assert all(s.startswith("clinic/") for s in splits[1]["test"] + splits[0]["train"] + splits[0]["val"])
    summary = json.loads((run / "cv.json").read_text())
    assert summary["scheme"] == "lodo" and summary["fold_datasets"] == [["BMCLab"], ["clinic"]]
    pooled = summary["out_of_fold"]
    assert pooled["pooled"]["trials"] == 8 and sorted(pooled["by_dataset"]) == ["BMCLab", "clinic"]
    for k, name in enumerate(("BMCLab", "clinic")):
        report = json.loads((run / f"fold_{k}" / "report.json").read_text())
        assert {row["dataset"] for row in report["test_predictions"]} == {name}
        for model in ("agir", "baseline"):
            assert pooled["by_dataset"][name][model]["macro_f1"] == pytest.approx(report[model]["macro_f1"])
            assert report[model]["macro_f1_0_2"] >= 0 and summary[model]["macro_f1_0_2"]["folds"][k] >= 0
    out = capsys.readouterr().out
    assert "lodo, 2 folds" in out and "every fold's test predictions together" in out and "nan" not in out


def test_lodo_needs_two_datasets(tmp_path, capsys):
    args = ["--config", "configs/demo.yaml", *ONE_TRIAL, f"run.out_dir={tmp_path}", "cv.scheme=lodo"]
    assert fit_main(args) == 1
    assert "lodo (leave one dataset out) needs a corpus of at least 2 datasets" in capsys.readouterr().err


def test_summary_leaves_out_undefined_folds():
    reports = [
        {
            model: {"accuracy": a, "macro_f1": a, "qwk": q, "mae": 1.0, "invalid_rate": 0.0, "macro_f1_0_2": a}
            for model in ("agir", "baseline")
        }
        for a, q in ((0.5, float("nan")), (0.7, 0.2), (0.6, 0.4))
    ]
    qwk = summarize(reports)["agir"]["qwk"]
    assert qwk["mean"] == pytest.approx(0.3) and qwk["std"] == pytest.approx(statistics.stdev([0.2, 0.4]))
    assert qwk["undefined_folds"] == 1


def test_an_unknown_cv_scheme_is_a_config_error():
    with pytest.raises(ConfigError, match="cv.scheme must be none, kfold, loso or lodo"):
        load_config("configs/demo.yaml", ["cv.scheme=random"])
