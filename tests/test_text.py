"""Descriptions and rationales: numbers equal the rounded measurements, the verdict matches the score."""

import random
import re

import pytest

from agir.text.claims import extract_claims, severity_contradictions
from agir.text.norms import GRADES, grade
from agir.text.rationale import FORMATS, describe, format_value, rationale

RANGES = {
    "speed_m_s": (0.25, 1.6), "cadence_steps_min": (80, 140), "stride_length_m": (0.4, 1.6),
    "step_length_left_m": (0.2, 0.8), "step_length_right_m": (0.2, 0.8), "step_width_m": (0.05, 0.2),
    "stride_time_cv_pct": (1, 8), "double_support_pct": (15, 40), "foot_clearance_m": (0.005, 0.12),
    "arm_swing_left_deg": (2, 50), "arm_swing_right_deg": (2, 50), "arm_swing_asymmetry_pct": (0, 60),
    "trunk_flexion_deg": (0, 30), "turn_duration_s": (0.8, 6), "turn_steps": (2, 10), "freezing_episodes": (0, 3),
}


def random_parameters(rng: random.Random) -> dict:
    parameters = {}
    for key, (low, high) in RANGES.items():
        value = rng.uniform(low, high)
        parameters[key] = round(value) if key in ("turn_steps", "freezing_episodes") else value
    for key in rng.sample(sorted(RANGES), rng.randint(0, 3)):
        parameters[key] = None
    if parameters["turn_duration_s"] is None:
        parameters["turn_steps"] = None
    return parameters | {"n_strides": 10, "duration_s": 20.0, "reasons": {}}


@pytest.mark.parametrize("seed", range(40))
def test_every_number_is_a_rounded_measurement_and_the_verdict_fits(seed):
    rng = random.Random(seed)
    parameters, score = random_parameters(rng), seed % 4
    for text in (rationale(parameters, score, rng), describe(parameters, rng)):
        claims = extract_claims(text)
        for claim in claims:
            assert parameters[claim.key] is not None, claim
            assert claim.text == format_value(claim.key, parameters[claim.key])
        # No digit outside the claims and the score line.
        stripped = text
        for claim in sorted(claims, key=lambda c: -c.span[0]):
            stripped = stripped[:claim.span[0]] + stripped[claim.span[1]:]
        assert not re.search(r"\d", stripped.replace(f"Score: {score}", "")), stripped
    text = rationale(parameters, score, random.Random(seed))
    assert text.splitlines()[-1] == f"Score: {score}"
    assert [line.split(":")[0] for line in text.splitlines()] == ["Foot", "Arm", "Overall", "Score"]
    assert severity_contradictions(text, score) == []
    assert "Score" not in describe(parameters, random.Random(seed))
    assert severity_contradictions(describe(parameters, random.Random(seed)), -1) == []


def test_core_parameters_are_always_cited():
    parameters = random_parameters(random.Random(1)) | {"speed_m_s": 1.234, "stride_length_m": 1.3}
    text = rationale(parameters, 1, random.Random(0))
    assert "1.23 m/s" in text and "1.30 m" in text


def test_phrasing_is_seeded_and_varied():
    parameters = random_parameters(random.Random(7))
    texts = {rationale(parameters, 2, random.Random(seed)) for seed in range(10)}
    assert len(texts) >= 8
    assert rationale(parameters, 2, random.Random(3)) == rationale(parameters, 2, random.Random(3))


def test_claims_in_hand_written_text():
    text = ("Foot: walking speed is 0.85 m/s; left step length of 0.41 m and right step length 0.45 m; step width "
            "is 12 cm; foot lift measures 3.5 cm; stride-time variability 4.2%, double support 31%.\n"
            "Arm: left arm swing 12 degrees, right arm swing 20 degrees, arm-swing asymmetry 40%.\nScore: 2")
    found = {(c.key, c.value) for c in extract_claims(text)}
    assert found == {("speed_m_s", 0.85), ("step_length_left_m", 0.41), ("step_length_right_m", 0.45),
                     ("step_width_m", 0.12), ("foot_clearance_m", 0.035), ("stride_time_cv_pct", 4.2),
                     ("double_support_pct", 31.0), ("arm_swing_left_deg", 12.0), ("arm_swing_right_deg", 20.0),
                     ("arm_swing_asymmetry_pct", 40.0)}


def test_contradicting_severity_is_flagged():
    assert severity_contradictions("Overall: the gait is normal.\nScore: 3", 3) == ["normal"]
    assert severity_contradictions("Overall: moderate impairment, needs an assistive device.", 1) == [
        "moderate", "assistive device"]


def test_grades_use_the_closed_vocabulary():
    assert grade("speed_m_s", 1.2) == "within the typical range"
    assert grade("speed_m_s", 0.5) == "markedly reduced"
    assert grade("arm_swing_asymmetry_pct", 30) == "markedly increased"
    assert {grade(k, v) for k, (lo, hi) in RANGES.items() for v in (lo, hi)} <= set(GRADES)
    assert set(FORMATS) == set(RANGES)
    with pytest.raises(ValueError, match="score must be 0-3"):
        rationale(random_parameters(random.Random(0)), 4, random.Random(0))
