"""`python -m agir.evaluate` on a tiny trained run: metrics.json, predictions and the confusion PNG, the same numbers
and predictions as the stage's own test, the same scores as `agir.assess` on the held-out files; and the added
metrics on hand-computed cases."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from helpers import held_out_files, stage_predictions, trained_run, validate

from agir.evaluate import main as evaluate_main
from agir.pipeline.evaluation import text_metrics
from agir.pipeline.inference import assess_files, load_assessor
from agir.pipeline.run_report import truncation_text
from agir.text.faithfulness import check_faithfulness, summarize_faithfulness


@pytest.fixture(scope="module")
def evaluated(tmp_path_factory) -> Path:
    run = trained_run(tmp_path_factory)
    assert evaluate_main(["--run", str(run), "--split", "test"]) == 0
    return run


def _same(a: float, b: float) -> bool:
    # The stage tests with its LoRA adapter beside the weights, evaluate with it merged into them: the score
    # probabilities agree to float32 rounding, so the calibration figures drawn from them (ECE, NLL) do too.
    return (math.isnan(a) and math.isnan(b)) or math.isclose(a, b, rel_tol=1e-5)


def test_evaluate_writes_metrics_predictions_and_the_confusion_png(evaluated):
    out = evaluated / "evaluation" / "test"
    metrics = json.loads((out / "metrics.json").read_text())
    for name in (
        "accuracy",
        "macro_f1",
        "qwk",
        "mae",
        "invalid_rate",
        "faithfulness",
        "grade_agreement",
        "unmeasured_claims",
        "abstention_rate",
        "bleu",
        "rouge_l",
        "precision_0",
        "recall_0",
        "n",
        "ece",
        "ece_uncalibrated",
        "nll",
        "nll_uncalibrated",
        "temperature",
        "ece_bins",
    ):
        assert f"test_{name}" in metrics
    for png in ("confusion.png", "reliability.png"):
        assert (out / png).read_bytes().startswith(b"\x89PNG")
    predictions = [json.loads(line) for line in (out / "predictions.jsonl").read_text().splitlines()]
    assert metrics["test_n"] == len(predictions) == len(held_out_files(evaluated))
    for prediction in predictions:
        validate(prediction, "prediction")


def test_evaluate_reproduces_the_stages_own_test(evaluated):
    stage = json.loads((evaluated / "reasoning" / "metrics.json").read_text())
    ours = json.loads((evaluated / "evaluation" / "test" / "metrics.json").read_text())
    shared = [key for key in stage if key.startswith("test_")]
    assert len(shared) >= 8
    assert all(_same(ours[key], stage[key]) for key in shared), {k: (ours[k], stage[k]) for k in shared}
    predictions = [
        json.loads(line) for line in (evaluated / "evaluation" / "test" / "predictions.jsonl").read_text().splitlines()
    ]
    assert [(p["id"], p["rationale"], p["score"]) for p in predictions] == [
        (p["id"], p["rationale"], p["score"]) for p in stage_predictions(evaluated)
    ]


def test_assess_gives_the_scores_evaluate_gives(evaluated):
    predictions = [
        json.loads(line) for line in (evaluated / "evaluation" / "test" / "predictions.jsonl").read_text().splitlines()
    ]
    assessments = assess_files(load_assessor(evaluated), held_out_files(evaluated), batch_size=32)
    assert [Path(a.file).stem for a in assessments] == [p["id"] for p in predictions]
    assert [a.score for a in assessments] == [p["score"] for p in predictions]
    assert [a.rationale for a in assessments] == [p["rationale"] for p in predictions]
    assert [a.faithfulness for a in assessments] == [p["faithfulness"] for p in predictions]
    assert [a.to_json()["evidence"] for a in assessments] == [p["evidence"] for p in predictions]


def test_faithfulness_metrics_pool_claims_and_average_rationales():
    parameters = {"speed_m_s": 0.92, "cadence_steps_min": 108.0}
    checks = [
        check_faithfulness("Speed is 0.92 m/s and cadence 150 steps/min.", parameters, 2),
        check_faithfulness("Speed is 0.92 m/s, cadence 108 steps/min, stride 1.2 m. Gait is normal.", parameters, 2),
        check_faithfulness("Overall: slightly impaired.", parameters, 1),
    ]
    metrics = summarize_faithfulness(checks)
    assert metrics["numeric_claims"] == 5
    assert metrics["faithfulness"] == pytest.approx(3 / 5)  # pooled over claims
    assert metrics["faithfulness_mean"] == pytest.approx((1 / 2 + 2 / 3) / 2)  # over rationales with claims
    assert metrics["contradiction_rate"] == pytest.approx(1 / 3)  # "normal" at score 2
    assert metrics["unmeasured_claims"] == 1  # the stride: no stride length was measured


def test_text_metrics_on_identical_and_disjoint_texts():
    same = text_metrics(["the arm swing is reduced on the left side"], ["the arm swing is reduced on the left side"])
    assert same == {"bleu": pytest.approx(1.0), "rouge_l": pytest.approx(1.0)}
    disjoint = text_metrics(["cadence typical"], ["arm swing reduced on the left"])
    assert disjoint == {"bleu": 0.0, "rouge_l": 0.0}
    # ROUGE-L F1: longest common subsequence "a c d" = 3 of 4 and 3 of 5 words.
    assert text_metrics(["a b c d"], ["a c x d y"])["rouge_l"] == pytest.approx(2 * (3 / 4) * (3 / 5) / (3 / 4 + 3 / 5))


def test_the_run_report_says_how_many_prompts_were_cut_per_stage():
    text = truncation_text(
        {
            "generative": {"train_truncated_prompts": 0, "train_examples": 2176},
            "reasoning": {"train_truncated_prompts": 3, "train_examples": 2176, "test_truncated_prompts": 1},
        }
    )
    assert text.endswith("generative 0 of 2176 training; reasoning 3 of 2176 training, 1 held-out")
    assert truncation_text({"reasoning": {"steps": 400}}) == (
        "truncated prompts: not counted by the code that trained these stages"
    )
