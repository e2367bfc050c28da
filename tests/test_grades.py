"""Grade words read back (`agir.text.grades`): which parameter a phrase grades in each way texts write it, and
whether it is the measured value's grade; every generated corpus text grades every number it cites, correctly."""

from __future__ import annotations

import random

import numpy as np
import pytest
from helpers import SCORES, plausible_parameters

from agir.text.assessment import repeated_itself, unbalanced
from agir.text.claims import extract_claims
from agir.text.faithfulness import check_faithfulness, summarize_faithfulness
from agir.text.grades import FREEZING, check_grades, extract_grades
from agir.text.norms import NORMS
from agir.text.rationale import describe, rationale

# Grades: speed 0.95 somewhat reduced, stride 1.11 typical, cadence 100 typical, arms 21 typical / 15 reduced,
# turn 2.0 s typical / 6 steps increased.
MEASURED = {
    "speed_m_s": 0.95,
    "stride_length_m": 1.11,
    "cadence_steps_min": 100.0,
    "arm_swing_left_deg": 21.0,
    "arm_swing_right_deg": 15.0,
    "turn_duration_s": 2.0,
    "turn_steps": 6,
    "freezing_episodes": 0,
    "step_width_m": None,
}


def _graded(text: str) -> list[tuple[str, str]]:
    return [(claim.key, claim.grade) for claim in extract_grades(text)]


@pytest.mark.parametrize(
    "text, graded",
    [
        # Numbers since the previous phrase share it.
        (
            "Foot: speed (0.95 m/s) and stride length (1.11 m) are reduced.",
            [("speed_m_s", "reduced"), ("stride_length_m", "reduced")],
        ),
        # Number then phrase, phrase then number, one clause after another.
        (
            "Foot: speed is 0.95 m/s, borderline low; cadence is typical at 100 steps/min.",
            [("speed_m_s", "somewhat reduced"), ("cadence_steps_min", "typical")],
        ),
        (
            "Foot: the turn takes 2.0 s (typical) and 6 steps (increased).",
            [("turn_duration_s", "typical"), ("turn_steps", "increased")],
        ),
        # Named after the phrase, as reasoning cites findings; `arm swing` names both arms.
        (
            "Overall: with markedly reduced speed and stride length, as well as reduced arm swing, gait is impaired.",
            [
                ("speed_m_s", "markedly reduced"),
                ("stride_length_m", "markedly reduced"),
                ("arm_swing_left_deg", "reduced"),
                ("arm_swing_right_deg", "reduced"),
            ],
        ),
        # About no one parameter; freezing ends a list of names; `slow` grades speed only.
        (
            "Overall: apart from reduced cadence and freezing episodes, the findings are typical.",
            [("cadence_steps_min", "reduced")],
        ),
        ("Foot: cadence (100 steps/min) is slow. Speed (0.95 m/s) is slow.", [("speed_m_s", "reduced")]),
        # A number after a phrase is its own only until the next phrase; a name without a number before it is graded.
        (
            "Foot: speed is reduced, and stride length (1.11 m) is typical.",
            [("speed_m_s", "reduced"), ("stride_length_m", "typical")],
        ),
        (
            "Overall: speed and stride length (markedly reduced), as well as arm swing (reduced), mean impairment.",
            [
                ("speed_m_s", "markedly reduced"),
                ("stride_length_m", "markedly reduced"),
                ("arm_swing_left_deg", "reduced"),
                ("arm_swing_right_deg", "reduced"),
            ],
        ),
        # A negated phrase says no grade, and its numbers are not the next phrase's.
        ("Foot: speed (0.95 m/s) is not reduced, cadence (100 steps/min) typical.", [("cadence_steps_min", "typical")]),
        # A sentence ends what a phrase can reach.
        ("Foot: speed is 0.95 m/s. Cadence is reduced.", [("cadence_steps_min", "reduced")]),
        ("Foot: speed is 0.95 m/s. The findings are reduced.", []),
        # Free text without any grade phrase (a clinician's words, an untrained model's output) grades nothing.
        ("Foot: The steps look short and the feet drag.", []),
    ],
)
def test_each_way_a_phrase_grades_a_parameter(text, graded):
    assert _graded(text) == graded


def test_grades_are_checked_against_the_measured_values():
    text = (
        "Foot: speed (0.95 m/s) and stride length (1.11 m) are borderline low; step width is 12 cm, typical.\n"
        "Arm: left arm swing is 21 degrees, typical; right arm swing is 15 degrees, borderline low.\n"
        "Overall: with reduced right arm swing, gait is slightly impaired.\nScore: 1"
    )
    result = check_grades(text, MEASURED)
    # Step width is not measured: its grade is not checked (its number already counts against faithfulness).
    assert result["n_graded"] == 5 and result["grade_agreement"] == pytest.approx(3 / 5)
    assert result["grade_mismatches"] == [
        {
            "text": "borderline low",
            "key": "stride_length_m",
            "said": "somewhat reduced",
            "measured_grade": "typical",
            "measured": 1.11,
        },
        {
            "text": "borderline low",
            "key": "arm_swing_right_deg",
            "said": "somewhat reduced",
            "measured_grade": "reduced",
            "measured": 15.0,
        },
    ]
    checks = [check_faithfulness(text, MEASURED, 1), check_faithfulness("Overall: typical.", MEASURED, 0)]
    assert checks[1]["grade_agreement"] is None and checks[1]["n_graded"] == 0
    summary = summarize_faithfulness(checks)
    assert summary["graded_findings"] == 5 and summary["grade_agreement"] == pytest.approx(3 / 5)


def test_corpus_texts_grade_every_number_they_cite_as_the_norms_do():
    graded = 0
    for score in SCORES:
        for seed in range(50):
            parameters = plausible_parameters(score, np.random.default_rng(1000 * score + seed))
            for text in (rationale(parameters, score, random.Random(seed)), describe(parameters, random.Random(seed))):
                result = check_grades(text, parameters)
                assert result["grade_mismatches"] == [], text
                cited = {c.key for c in extract_claims(text) if c.text[:1].isdigit() and c.key in NORMS} - {FREEZING}
                assert cited <= {claim.key for claim in extract_grades(text)}, text
                graded += result["n_graded"]
    assert graded > 1000


def test_corpus_texts_give_each_grade_phrase_one_parameter():
    # Grounded grades force the measured grade of what a phrase grades: a phrase shared by findings of different
    # grades could not be right for all of them, so the corpus never teaches one.
    for score in SCORES:
        for seed in range(50):
            parameters = plausible_parameters(score, np.random.default_rng(1000 * score + seed))
            for text in (rationale(parameters, score, random.Random(seed)), describe(parameters, random.Random(seed))):
                spans = [claim.span for claim in extract_grades(text)]
                assert len(spans) == len(set(spans)), text
                assert not repeated_itself(text) and not unbalanced(text), text  # never read as a degenerate output


def test_a_text_without_grade_words_grades_nothing():
    assert extract_grades("Foot: speed 1.0 m/s.") == []
    assert check_faithfulness("Foot: speed 1.0 m/s.", {"speed_m_s": 1.0}, 0)["n_graded"] == 0
