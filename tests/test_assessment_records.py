"""Assessment and Prediction records: evidence and warnings from what was measured, abstention on thin evidence and
on outputs that are no verdict, and the JSON shape of docs/assessment.schema.json."""

from __future__ import annotations

import random

import numpy as np
import pytest
from helpers import validate

from agir.motion.gait_parameters import NO_TURN, STANDING, extract_gait_parameters
from agir.motion.skeleton import LEFT_TOE, NUM_JOINTS, PELVIS, RIGHT_TOE
from agir.motion.synth import make_cohort
from agir.text.assessment import (
    DEFAULT_MIN_COVERAGE,
    SCORE_KEYS,
    Abstention,
    build_assessment,
    build_prediction,
    evidence_of,
    failed_assessment,
    is_redecoded,
    repeated_itself,
    repetition_start,
    unbalanced,
)
from agir.text.rationale import describe, rationale

PROBABILITIES = [0.1, 0.2, 0.6, 0.1]


@pytest.fixture(scope="module")
def trial():
    return make_cohort(1, 1, seed=3, walk_distance_m=4.0)[0][1][0]


def _parameters(joints, fps, measured=None) -> dict:
    return extract_gait_parameters(joints, fps, measured=measured).to_dict()


def test_a_full_walk_has_full_coverage_and_no_warnings(trial):
    parameters = _parameters(trial.joints, trial.fps)
    text = rationale(parameters, 2, random.Random(0))
    assessment = build_assessment("walk.npz", text, PROBABILITIES, parameters)
    assert assessment.evidence.coverage == 1.0 and not assessment.evidence.missing
    assert assessment.score == 2 and assessment.abstained is None and assessment.warnings == []
    validate(assessment.to_json(), "assessment")


def test_missing_parameters_are_listed_with_their_reasons_and_warned_of(trial):
    no_toes = np.ones(NUM_JOINTS, bool)
    no_toes[[LEFT_TOE, RIGHT_TOE]] = False
    first_leg = trial.joints[: int(2.5 * trial.fps)]  # walking away, before the turn
    parameters = _parameters(first_leg, trial.fps, no_toes)
    evidence = evidence_of(parameters)
    assert evidence.missing["turn_duration_s"] == NO_TURN and "foot_clearance_m" in evidence.missing
    assert evidence.coverage == pytest.approx(sum(k in evidence.measured for k in SCORE_KEYS) / len(SCORE_KEYS))
    assert DEFAULT_MIN_COVERAGE <= evidence.coverage < 1.0
    text = rationale(parameters, 1, random.Random(0))
    assessment = build_assessment("walk.npz", text, [0.1, 0.6, 0.2, 0.1], parameters)
    assert assessment.score == 1  # a clip without turn or toes still has a verdict
    assert any(w.startswith("no turn in the clip: turn duration") for w in assessment.warnings)
    assert any(w.startswith("no toe joints in the layout: ") for w in assessment.warnings)
    validate(assessment.to_json(), "assessment")


def test_a_root_relative_clip_says_how_its_values_were_obtained(trial):
    joints = trial.joints.copy()
    joints[:, :, [0, 2]] -= joints[:, PELVIS : PELVIS + 1, [0, 2]]
    parameters = _parameters(joints, trial.fps)
    assessment = build_assessment("rr.npz", rationale(parameters, 2, random.Random(0)), PROBABILITIES, parameters)
    assert assessment.evidence.methods["speed_m_s"].startswith("root-relative skeleton: ")
    assert assessment.warnings[0].startswith("root-relative skeleton: root path reconstructed from foot contacts")
    assert "speed" in assessment.warnings[0] and "\n" not in "".join(assessment.warnings)
    validate(assessment.to_json(), "assessment")


def test_a_clip_with_nothing_measured_abstains_with_the_reason_and_keeps_the_probabilities(trial):
    standing = np.repeat(trial.joints[:1], len(trial.joints), axis=0)
    parameters = _parameters(standing, trial.fps)
    assert evidence_of(parameters).coverage == 0.0
    text = rationale(parameters, 3, random.Random(0))
    assessment = build_assessment("standing.npz", text, PROBABILITIES, parameters, notes=["read at 30 fps"])
    assert assessment.score is None and assessment.abstained.startswith("nothing the score rests on was measured")
    assert assessment.probabilities == {"0": 0.1, "1": 0.2, "2": 0.6, "3": 0.1}
    assert assessment.warnings[0].startswith(f"{STANDING}: ") and assessment.notes == ["read at 30 fps"]
    validate(assessment.to_json(), "assessment")
    # The same clip with thresholds of 0 gives the model's score, however unsure.
    assert build_assessment("standing.npz", text, PROBABILITIES, parameters, Abstention(0.0, 0.0)).score == 3


def test_nothing_measurable_abstains_saying_so():
    parameters = {"speed_m_s": None, "turn_steps": None, "reasons": {"speed_m_s": "no stride", "turn_steps": NO_TURN}}
    assessment = build_assessment("still.npz", "Foot: nothing.\nScore: 2", PROBABILITIES, parameters)
    assert assessment.score is None and assessment.evidence.coverage == 0.0
    assert assessment.abstained.startswith("nothing the score rests on was measured")
    assert assessment.evidence.missing == {"speed_m_s": "no stride", "turn_steps": NO_TURN}


def test_a_looping_or_scoreless_output_is_never_a_verdict(trial):
    parameters = _parameters(trial.joints, trial.fps)
    looping = "Foot: stride length, stride length, stride length, stride length\nScore: 1"
    assessment = build_assessment("walk.npz", looping, PROBABILITIES, parameters)
    assert assessment.score is None and "repeated itself" in assessment.abstained
    assert "output repeated itself" in assessment.warnings
    scoreless = build_assessment("walk.npz", "Foot: speed is reduced.", PROBABILITIES, parameters)
    assert scoreless.score is None and "Score" in scoreless.abstained and scoreless.probabilities["2"] == 0.6


def test_a_score_the_model_doubts_is_withheld_with_its_probability(trial):
    parameters = _parameters(trial.joints, trial.fps)
    text = rationale(parameters, 1, random.Random(0))
    doubted = build_assessment("walk.npz", text, PROBABILITIES, parameters)  # P(1) = 0.2
    assert doubted.score is None and doubted.abstained.startswith("low confidence: P(score 1) = 0.20, under the")
    assert doubted.probabilities["1"] == 0.2 and doubted.evidence.coverage == 1.0
    validate(doubted.to_json(), "assessment")
    sure = build_assessment("walk.npz", text, [0.1, 0.5, 0.3, 0.1], parameters)  # at the threshold: given
    assert sure.score == 1 and sure.abstained is None
    assert build_assessment("walk.npz", text, PROBABILITIES, parameters, Abstention(min_confidence=0.1)).score == 1
    # Thin evidence is the reason that holds, whatever the model's confidence.
    standing = _parameters(np.repeat(trial.joints[:1], len(trial.joints), axis=0), trial.fps)
    assert build_assessment("still.npz", text, PROBABILITIES, standing).abstained.startswith("nothing the score")
    with pytest.raises(ValueError, match="min_confidence must lie in"):
        Abstention(min_confidence=1.5)


def test_corpus_texts_never_read_as_loops(trial):
    parameters = _parameters(trial.joints, trial.fps)
    rng = random.Random(0)
    texts = [rationale(parameters, s % 4, rng) for s in range(100)] + [describe(parameters, rng) for _ in range(100)]
    assert not any(repeated_itself(text) or unbalanced(text) for text in texts)
    assert repeated_itself("the turn takes 3 s. the turn takes 3 s. the turn takes 3 s.")
    # A grade said of each finding that has it is no loop.
    sound = "Foot: speed (1.10 m/s) is within the typical range; cadence (110 steps/min) is within the typical range; "
    sound += "stride length (1.20 m) is within the typical range.\nArm: left arm swing (30 degrees) is within the "
    sound += "typical range.\nScore: 0"
    assert not repeated_itself(sound) and not unbalanced(sound)


def test_a_loop_is_found_where_its_first_repeated_copy_begins():
    sentence = "Stride amplitude is 1.24 m, within reference limits."
    looping = f"Foot: cadence is 110 steps/min. {sentence} {sentence} {sentence}"
    assert looping[repetition_start(looping) :] == f"{sentence} {sentence}"
    run = "Overall: with speed (typical), with speed (typical), with speed (typical), gait is normal"
    assert run[repetition_start(run) :] == "with speed (typical), with speed (typical), gait is normal"
    # The phrase said three times is the arm's; its second copy reaches back to the sentence repeated before it.
    arm = "the arm swing is 20 degrees on the left."
    text = f"Foot: speed is slow. {arm} Foot: speed is slow. {arm} Also {arm}"
    assert text[repetition_start(text) :] == f"Foot: speed is slow. {arm} Also {arm}"
    said_twice = f"{sentence} {sentence}"
    assert repetition_start(said_twice) is None and not repeated_itself(said_twice)


def test_an_output_that_lost_its_thread_is_no_verdict(trial):
    parameters = _parameters(trial.joints, trial.fps)
    lost = "Overall: With cadence (within the typical range, with speed (within the typical range, walking is normal."
    lost += "\nScore: 0"
    assessment = build_assessment("walk.npz", lost, [0.7, 0.1, 0.1, 0.1], parameters)
    assert unbalanced(lost) and assessment.score is None and "unclosed brackets" in assessment.abstained
    assert "output lost its thread (unclosed brackets)" in assessment.warnings


def test_prediction_and_failed_assessment_follow_the_schema(trial):
    parameters = _parameters(trial.joints, trial.fps)
    text = rationale(parameters, 0, random.Random(1))
    prediction = build_prediction("s1_t1", 0, text, [0.7, 0.1, 0.1, 0.1], text, parameters)
    assert prediction.score == 0 and prediction.faithfulness["fraction"] == 1.0
    validate(prediction.to_json(), "prediction")
    assert not is_redecoded(prediction.to_json())
    mended = build_prediction("s1_t1", 0, text, [0.7, 0.1, 0.1, 0.1], text, parameters, redecoded=2)
    assert is_redecoded(mended.to_json()) and mended.score == 0  # a mended text is judged as any other
    assert "decoded again from there 2 times" in mended.warnings[-1]
    validate(mended.to_json(), "prediction")
    failed = failed_assessment("bad.bvh", "bad.bvh: malformed BVH")
    validate(failed.to_json(), "assessment")
    with pytest.raises(Exception, match="is not valid|does not match"):
        validate(failed.to_json() | {"error": "two\nlines"}, "assessment")
