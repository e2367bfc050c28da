"""`python -m agir.assess` on a tiny trained run: the JSONL schema, bad files beside good ones, the exit status,
the same assessment as the stage's own test predictions, a merged export, and the HTML report."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch
from helpers import (
    held_out_files,
    lab_markers,
    stage_predictions,
    synthetic_walk,
    trained_run,
    validate,
    write_c3d,
)

from agir.assess import main as assess_main
from agir.config import ReasoningStageConfig
from agir.models.calibration import apply_temperature
from agir.models.llm import load_stage, read_stage_metadata
from agir.pipeline.inference import (
    EXPORT_METADATA,
    assess_files,
    assessment_prompt,
    load_assessor,
    measure,
    stage_abstention,
    stage_llm_config,
)
from agir.text.assessment import DEFAULT_MIN_COVERAGE, Abstention, is_redecoded, is_truncated
from agir.text.claims import extract_claims
from agir.text.grades import extract_grades
from agir.text.prompts import build_prompt, evidence_line

KEYS = {
    "file",
    "score",
    "abstained",
    "probabilities",
    "rationale",
    "parameters",
    "evidence",
    "warnings",
    "notes",
    "faithfulness",
    "error",
}


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> Path:
    return trained_run(tmp_path_factory)


@pytest.fixture(scope="module")
def assessor(run):
    return load_assessor(run)


def _bad_files(folder: Path) -> list[str]:
    (folder / "corrupt.npz").write_bytes(b"not a zip archive")
    nan = np.full((60, 22, 3), 0.5, dtype=np.float32)
    nan[5:55] = np.nan  # a gap too long to fill, and too little left around it
    np.savez(folder / "nan.npz", joints=nan, fps=30.0)
    np.savez(folder / "short.npz", joints=np.zeros((3, 22, 3), dtype=np.float32), fps=30.0)
    return [str(folder / name) for name in ("corrupt.npz", "nan.npz", "short.npz")]


def test_jsonl_has_one_object_per_file_and_bad_files_fail_alone(run, tmp_path, capsys):
    good = held_out_files(run)
    bad = _bad_files(tmp_path)
    files = [good[0], *bad, good[1]]
    code = assess_main(["--run", str(run), *files, "--format", "jsonl", "--batch-size", "2"])
    captured = capsys.readouterr()
    assessments = [json.loads(line) for line in captured.out.splitlines()]
    assert code == 1
    assert [a["file"] for a in assessments] == files and all(set(a) == KEYS for a in assessments)
    for assessment in assessments:
        validate(assessment, "assessment")
    for assessment in (assessments[0], assessments[-1]):
        assert assessment["error"] is None and assessment["score"] in (None, 0, 1, 2, 3)
        assert list(assessment["probabilities"]) == ["0", "1", "2", "3"]
        assert sum(assessment["probabilities"].values()) == pytest.approx(1.0, abs=1e-5)
        assert isinstance(assessment["rationale"], str) and assessment["parameters"]["speed_m_s"] > 0
        assert {"fraction", "n_claims", "matched", "mismatches", "contradictions", "tolerance"} <= set(
            assessment["faithfulness"]
        )
    reasons = {a["file"]: a["error"] for a in assessments[1:-1]}
    assert all(reason.startswith(f"{path}: ") and "\n" not in reason for path, reason in reasons.items())
    assert "no part of at least 8 frames without gaps" in reasons[bad[1]] and "frames" in reasons[bad[2]]
    assert all(a["score"] is None and a["probabilities"] is None for a in assessments[1:-1])


def test_good_files_exit_zero_and_text_shows_the_parameters(run, capsys):
    assert assess_main(["--run", str(run), held_out_files(run)[0]]) == 0
    out = capsys.readouterr().out
    assert "P(0)=" in out and "stride length" in out and "cadence" in out


def test_numbers_are_grounded_as_the_stage_was_validated_unless_asked_free(run, assessor, capsys):
    assert assessor.metadata["grounded_numbers"] is True
    assert assess_main(["--run", str(run), held_out_files(run)[0], "--numbers", "free", "--format", "jsonl"]) == 0
    assert json.loads(capsys.readouterr().out)["error"] is None
    with pytest.raises(SystemExit):
        assess_main(["--run", str(run), held_out_files(run)[0], "--numbers", "copied"])


def test_assessment_equals_the_stages_test_predictions(run, assessor):
    files = held_out_files(run)
    for batch_size in (1, len(files)):
        assessments = assess_files(assessor, files, batch_size=batch_size)
        for assessment, prediction in zip(assessments, stage_predictions(run), strict=True):
            validate(prediction, "prediction")
            assert assessment.rationale == prediction["rationale"]
            assert assessment.score == prediction["score"] and assessment.abstained == prediction["abstained"]
            assert assessment.probabilities == pytest.approx(prediction["probabilities"], abs=1e-5)


def test_a_prompt_cut_to_fit_the_model_is_a_warning_and_the_stage_counts_its_own(run, assessor):
    files = held_out_files(run)[:1]
    assert not is_truncated(assess_files(assessor, files)[0].to_json())
    # Room for 24 prompt tokens besides max_new_tokens: far less than any motion prompt.
    llm = replace(assessor.llm, max_length=assessor.metadata["max_new_tokens"] + 24)
    (assessment,) = assess_files(replace(assessor, llm=llm), files)
    assert is_truncated(assessment.to_json())
    cut = int(assessment.warnings[0].removeprefix("prompt truncated: ").split()[0])
    assert cut > 0 and assessment.warnings[0].endswith("so the model read only part of the walk")
    stage = json.loads((run / "reasoning" / "metrics.json").read_text())
    assert stage["test_truncated_prompts"] == sum(is_truncated(p) for p in stage_predictions(run))
    assert stage["test_redecoded_outputs"] == sum(is_redecoded(p) for p in stage_predictions(run))
    assert stage["train_examples"] > 0 and 0 <= stage["train_truncated_prompts"] <= stage["train_examples"]
    recorded = read_stage_metadata(run / "reasoning")["truncated_prompts"]
    assert recorded == {key: stage[key] for key in recorded} and "train_truncated_prompts" in recorded


def test_a_file_gets_the_prompt_of_the_stages_evidence_mode(run, assessor):
    assert assessor.metadata["evidence"] == "graded"
    parameters, features, _ = measure(assessor, held_out_files(run)[0])
    codes = assessor.motion_tokenizer.encode_features([features])[0]
    motion = build_prompt("motion_to_rationale", None, motion=assessor.vocabulary.as_text(codes.tolist()))
    line = "\nMeasured gait parameters: {}."
    modes = {
        "graded": line.format(evidence_line(parameters, "graded")),
        "parameters": line.format(evidence_line(parameters, "parameters")),
        "motion": "",
    }
    assert assessment_prompt(assessor, codes, parameters) == motion + modes["graded"]
    assert "(typical)" in modes["graded"] or "reduced)" in modes["graded"] or "increased)" in modes["graded"]
    # A stage saved before evidence modes is assessed with the prompts it was trained on.
    for measured_parameters, mode in ((True, "parameters"), (False, "motion")):
        old = replace(assessor, metadata={k: v for k, v in assessor.metadata.items() if k != "evidence"})
        old.metadata["measured_parameters"] = measured_parameters
        assert assessment_prompt(old, codes, parameters) == motion + modes[mode]


def test_the_temperature_fitted_on_validation_is_saved_and_applied_at_assessment(run, assessor):
    temperature = assessor.metadata["temperature"]
    assert abs(temperature - 1) > 1e-3
    stage = json.loads((run / "reasoning" / "metrics.json").read_text())
    assert stage["val_temperature"] == stage["test_temperature"] == temperature and stage["test_ece_bins"] == 10
    assert stage["val_nll"] <= stage["val_nll_uncalibrated"]  # fitted there
    assert 0 <= stage["test_ece"] <= 1 and 0 <= stage["test_ece_uncalibrated"] <= 1
    for part in ("val", "test"):
        assert (run / "reasoning" / f"reliability_{part}.png").read_bytes().startswith(b"\x89PNG")
    report = json.loads((run / "report.json").read_text())["calibration"]
    assert report == {
        "temperature": temperature,
        "ece_bins": 10,
        "ece_uncalibrated": stage["test_ece_uncalibrated"],
        "ece": stage["test_ece"],
        "nll_uncalibrated": stage["test_nll_uncalibrated"],
        "nll": stage["test_nll"],
        "reliability_diagram": "reasoning/reliability_test.png",
    }
    files = held_out_files(run)[:3]
    # A stage saved before calibration has no temperature: its probabilities stay as the model gives them.
    uncalibrated = replace(assessor, metadata={k: v for k, v in assessor.metadata.items() if k != "temperature"})
    for ours, raw in zip(assess_files(assessor, files), assess_files(uncalibrated, files), strict=True):
        assert (ours.rationale, ours.score) == (raw.rationale, raw.score)
        scaled, unscaled = (torch.tensor(list(a.probabilities.values()), dtype=torch.float64) for a in (ours, raw))
        assert scaled.argmax() == unscaled.argmax()
        assert torch.allclose(scaled, apply_temperature(unscaled, temperature), atol=1e-5)
        assert not torch.allclose(scaled, unscaled, atol=1e-4)


def test_the_stages_confidence_threshold_withholds_scores_the_model_doubts(run, assessor, capsys):
    assert assessor.metadata["min_confidence"] == ReasoningStageConfig.min_confidence == 0.5
    file = held_out_files(run)[0]
    assert assess_main(["--run", str(run), file, "--format", "jsonl", "--min-confidence", "1"]) == 0
    doubted = json.loads(capsys.readouterr().out)
    assert doubted["score"] is None and doubted["probabilities"] is not None
    assert doubted["abstained"].startswith(("low confidence: P(score ", "no verdict"))
    assert assess_main(["--run", str(run), file, "--format", "jsonl", "--min-confidence", "0"]) == 0
    given = json.loads(capsys.readouterr().out)
    assert given["abstained"] is None or given["abstained"].startswith("no verdict")
    # A stage saved before the threshold existed keeps none, as it was validated.
    assert stage_abstention({}) == Abstention(min_coverage=DEFAULT_MIN_COVERAGE, min_confidence=0.0)


def test_a_merged_export_assesses_like_base_and_adapter(run, assessor, tmp_path):
    stage = run / "reasoning"
    metadata = read_stage_metadata(stage)
    model, tokenizer, _, _ = load_stage(stage, stage_llm_config(metadata))
    exported = tmp_path / "exported"
    model.merge_and_unload().save_pretrained(exported / "model")
    tokenizer.save_pretrained(exported / "tokenizer")
    shutil.copytree(run / "tokenizer", exported / "motion_tokenizer")
    (exported / EXPORT_METADATA).write_text(json.dumps(metadata | {"merged": True}))
    files = held_out_files(run)
    merged = assess_files(load_assessor(exported), files)
    for ours, theirs in zip(merged, assess_files(assessor, files), strict=True):
        assert ours.rationale == theirs.rationale and ours.score == theirs.score
        assert ours.probabilities == pytest.approx(theirs.probabilities, abs=1e-4)


def test_a_folder_that_is_no_run_is_a_one_line_error(tmp_path, capsys):
    assert assess_main(["--run", str(tmp_path), "walk.npz"]) == 1
    error = capsys.readouterr().err
    assert error.startswith(f"error: {tmp_path}: neither a run") and error.count("\n") == 1


def test_report_is_written_for_good_and_bad_files(run, tmp_path, capsys):
    files = [held_out_files(run)[0], _bad_files(tmp_path)[0]]
    assert assess_main(["--run", str(run), *files, "--report", str(tmp_path / "report")]) == 1
    index = (tmp_path / "report" / "index.html").read_text()
    assert Path(files[0]).name in index and "error" in index
    page = next((tmp_path / "report").glob("001_*.html")).read_text()
    assert "data:image/gif;base64," in page and "Score probabilities" in page


def test_a_mixed_batch_keeps_each_files_own_frame_rate_and_says_so(run, tmp_path, capsys):
    """`--fps 20` on .npy files (no rate) beside a 150 Hz C3D lab export: every file is assessed."""
    pytest.importorskip("ezc3d", reason="C3D reading needs the optional ezc3d package (pip install 'agir[c3d]')")
    walk = synthetic_walk(20.0)
    np.save(tmp_path / "lifted.npy", walk)
    write_c3d(tmp_path / "lab.c3d", lab_markers(synthetic_walk(150.0)), fps=150.0)
    files = [str(tmp_path / "lifted.npy"), str(tmp_path / "lab.c3d"), str(tmp_path / "missing.npy")]
    assert assess_main(["--run", str(run), *files, "--fps", "20", "--format", "jsonl"]) == 1
    lifted, lab, missing = (json.loads(line) for line in capsys.readouterr().out.splitlines())
    assert lifted["error"] is None and lifted["notes"] == []
    assert lab["error"] is None and lab["parameters"]["speed_m_s"] > 0
    assert "read at the file's own 150 fps (--fps 20 applies to files without a rate)" in lab["notes"]
    assert lab["notes"][0].startswith("marker set bmclab")
    assert missing["error"] == f"{files[2]}: no such file"


def test_a_clip_with_nothing_measurable_abstains_and_exits_zero(run, tmp_path, capsys):
    with np.load(held_out_files(run)[0]) as source:
        arrays = dict(source)
    # A person standing still: nothing the 3.10 score rests on can be measured.
    joints = np.repeat(arrays["joints"][:1], len(arrays["joints"]), axis=0)
    np.savez(tmp_path / "standing.npz", **(arrays | {"joints": joints}))
    file = str(tmp_path / "standing.npz")
    assert assess_main(["--run", str(run), file, "--format", "jsonl", "--report", str(tmp_path / "report")]) == 0
    assessment = json.loads(capsys.readouterr().out)
    validate(assessment, "assessment")
    assert assessment["score"] is None and assessment["error"] is None
    assert assessment["abstained"].startswith("nothing the score rests on was measured")
    assert assessment["warnings"][0].startswith("standing still throughout: ")
    assert sum(assessment["probabilities"].values()) == pytest.approx(1.0, abs=1e-5)
    page = (tmp_path / "report" / "001_standing.html").read_text()
    assert page.index('id="score">No score<') < page.index("Score probabilities")
    assert "Abstained: " in page and "standing still throughout" in page


def test_clips_missing_parameters_get_no_number_or_grade_for_them_when_grounded(run, tmp_path):
    with np.load(held_out_files(run)[1]) as source:
        arrays = dict(source)
    joints = arrays["joints"]
    root_relative = joints.copy()
    root_relative[:, :, [0, 2]] -= root_relative[:, :1, [0, 2]]
    variants = {"no_turn": joints[: int(0.4 * len(joints))], "root_relative": root_relative, "short": joints[:40]}
    files = []
    for name, variant in variants.items():
        np.savez(tmp_path / f"{name}.npz", **(arrays | {"joints": variant}))
        files.append(str(tmp_path / f"{name}.npz"))
    assessor = load_assessor(run)
    for grounded in (True, False):
        for assessment in assess_files(assessor, files, grounded=grounded, grounded_grades=grounded):
            validate(assessment.to_json(), "assessment")
            nulls = {key for key, value in assessment.parameters.items() if value is None}
            about_nulls = [c for c in extract_claims(assessment.rationale) if c.key in nulls]
            about_nulls += [g for g in extract_grades(assessment.rationale) if g.key in nulls]
            listed = assessment.faithfulness["unmeasured"]
            assert len(listed) == len(about_nulls), (assessment.rationale, listed)  # free: every one is listed
            if grounded:
                assert listed == [], assessment.rationale
