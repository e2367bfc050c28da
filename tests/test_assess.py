"""`python -m agir.assess` on a tiny trained run: the JSONL schema, bad files beside good ones, the exit status,
the same assessment as the stage's own test predictions, a merged export, and the HTML report."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from record_schema import validate
from tiny_run import held_out_files, stage_predictions, trained_run

from agir.assess import main as assess_main
from agir.models.llm import load_stage, read_stage_metadata
from agir.pipeline.inference import EXPORT_METADATA, assess_files, load_assessor, stage_llm_config
from agir.text.claims import extract_claims
from agir.text.grades import extract_grades

KEYS = {
    "file",
    "score",
    "abstained",
    "probabilities",
    "rationale",
    "parameters",
    "evidence",
    "warnings",
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
    nan[10:20] = np.nan
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
    assert "NaN" in reasons[bad[1]] and "frames" in reasons[bad[2]]
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


def test_a_clip_with_nothing_measurable_abstains_and_exits_zero(run, tmp_path, capsys):
    with np.load(held_out_files(run)[0]) as source:
        arrays = dict(source)
    joints = arrays["joints"].copy()
    joints[:, :, [0, 2]] -= joints[:, :1, [0, 2]]  # root-relative: the pelvis held at the origin
    np.savez(tmp_path / "root_relative.npz", **(arrays | {"joints": joints}))
    file = str(tmp_path / "root_relative.npz")
    assert assess_main(["--run", str(run), file, "--format", "jsonl", "--report", str(tmp_path / "report")]) == 0
    assessment = json.loads(capsys.readouterr().out)
    validate(assessment, "assessment")
    assert assessment["score"] is None and assessment["error"] is None
    assert assessment["abstained"].startswith(("thin evidence", "nothing the score rests on"))
    assert assessment["warnings"][0].startswith("root-relative skeleton: ")
    assert sum(assessment["probabilities"].values()) == pytest.approx(1.0, abs=1e-5)
    page = (tmp_path / "report" / "001_root_relative.html").read_text()
    assert page.index('id="score">No score<') < page.index("Score probabilities")
    assert "Abstained: " in page and "root-relative skeleton" in page


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
