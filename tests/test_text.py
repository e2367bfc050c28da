from __future__ import annotations

import random
import re

import numpy as np
import pytest
from helpers import SCORES, plausible_parameters, with_arms

from agir.motion.gait_parameters import extract_gait_parameters
from agir.motion.synth import make_cohort
from agir.text.claims import UNMAPPED, Claim, extract_claims, severity_contradictions
from agir.text.norms import GRADES, NORMS, TYPICAL, grade, near_limit
from agir.text.rationale import FORMATS, GRADE_PHRASES, PRECISION, describe, format_value, rationale

CASES = [
    (score, plausible_parameters(score, np.random.default_rng(1000 * score + i))) for score in SCORES for i in range(30)
]
SCORE_LINE = re.compile(r"^Score: [0-3]$")


def _texts(score: int, parameters: dict, seed: int) -> tuple[str, str]:
    rng = random.Random(seed)
    return describe(parameters, rng), rationale(parameters, score, rng)


def _assert_claims_true(text: str, parameters: dict) -> list[Claim]:
    claims = extract_claims(text)
    for claim in claims:
        assert claim.key != UNMAPPED, (claim, text)
        assert parameters.get(claim.key) is not None, f"{claim.key} is not measured but claimed in {text!r}"
        assert text[claim.span[0] : claim.span[1]] == claim.text
        if claim.text[0].isdigit() or claim.text[0] == "-":
            assert claim.text == format_value(claim.key, parameters[claim.key]), (claim, text)
            tolerance = 0.5 * 10 ** -PRECISION[claim.key] / FORMATS[claim.key].scale + 1e-9
            assert abs(claim.value - parameters[claim.key]) <= tolerance
        else:  # "no freezing"
            assert claim.key == "freezing_episodes" and parameters["freezing_episodes"] == 0
    return claims


def _digits_outside(text: str, claims: list[Claim]) -> str:
    """The digits of `text` outside its claims and its final `Score: N` line."""
    chars = list(text)
    for claim in claims:
        chars[claim.span[0] : claim.span[1]] = " " * (claim.span[1] - claim.span[0])
    lines = "".join(chars).splitlines()
    if SCORE_LINE.match(lines[-1]):
        lines = lines[:-1]
    return "".join(re.findall(r"\d", "\n".join(lines)))


@pytest.mark.parametrize("score,parameters", CASES)
def test_every_number_is_a_true_claim_and_severity_matches(score: int, parameters: dict) -> None:
    description, text = _texts(score, parameters, seed=len(CASES) + score)
    for written in (description, text):
        claims = _assert_claims_true(written, parameters)
        assert _digits_outside(written, claims) == "", written
        keys = {c.key for c in claims}
        for always in ("speed_m_s", "arm_swing_left_deg", "arm_swing_right_deg"):
            assert (always in keys) == (parameters[always] is not None), (always, written)
        assert (parameters["freezing_episodes"] is not None) == ("freezing_episodes" in keys)
    lines = text.splitlines()
    assert lines[-1] == f"Score: {score}"
    assert [line.split(":")[0] for line in lines[:-1]] == ["Foot", "Arm", "Overall"]
    assert [line.split(":")[0] for line in description.splitlines()] == ["Foot", "Arm", "Overall"]
    assert "Score" not in description
    assert severity_contradictions(text, score) == []
    # The verdict commits to its score: every other score finds a contradicting word.
    assert all(severity_contradictions(text, other) for other in SCORES if other != score), text
    # A description carries no severity word at all.
    assert all(severity_contradictions(description, other) == [] for other in range(5)), description
    for written in (description, text):
        assert 25 <= len(written.split()) <= 80, written


_GRADE_OF_PHRASE = {phrase: word for word, phrases in GRADE_PHRASES.items() for phrase in phrases} | {"slow": "reduced"}
_GRADE_PHRASE_RE = re.compile(
    r"\b(?:" + "|".join(sorted(map(re.escape, _GRADE_OF_PHRASE), key=len, reverse=True)) + r")\b"
)


@pytest.mark.parametrize("score,parameters", CASES[::2])
def test_every_bracket_holds_one_value_or_grade(score: int, parameters: dict) -> None:
    """Grounding closes a bracket right after the value or grade it holds; a verdict's `(mild` was left open."""
    for written in _texts(score, parameters, seed=11):
        assert written.count("(") == written.count(")") == len(re.findall(r"\([^()]*\)", written)), written
        for inside in re.findall(r"\(([^()]*)\)", written):
            assert inside[0].isdigit() or inside in _GRADE_OF_PHRASE, (inside, written)


@pytest.mark.parametrize("score,parameters", CASES[::3])
def test_grade_words_next_to_numbers_agree_with_the_norms(score: int, parameters: dict) -> None:
    for written in _texts(score, parameters, seed=7):
        claims = [c for c in extract_claims(written) if c.key != "freezing_episodes"]
        for clause in re.split(r"[;.](?=\s|$)|\n", written):
            start = written.index(clause)
            in_clause = [c for c in claims if start <= c.span[0] < start + len(clause)]
            if in_clause:
                said = {_GRADE_OF_PHRASE[m.group()] for m in _GRADE_PHRASE_RE.finditer(clause)}
                assert said == {grade(c.key, c.value) for c in in_clause}, clause


def test_a_score_two_with_typical_speed_stays_true_and_cites_other_findings() -> None:
    parameters = (
        plausible_parameters(0, np.random.default_rng(3))
        | {"speed_m_s": 1.15, "stride_length_m": 0.85}
        | with_arms(11.0, 14.0)
    )
    for seed in range(10):
        text = rationale(parameters, 2, random.Random(seed))
        overall = text.splitlines()[2]
        cited = ("stride length (reduced)", "arm swing (reduced)", "asymmetry (increased)", "arm swing (reduced)")
        assert any(f in overall for f in cited), text
        assert "1.15 m/s" in text and "slow" not in text and "reduced speed" not in text
        assert severity_contradictions(text, 2) == []


def test_a_score_zero_with_typical_findings_cites_them() -> None:
    typical = {
        "speed_m_s": 1.25,
        "cadence_steps_min": 110,
        "stride_length_m": 1.35,
        "step_length_left_m": 0.67,
        "step_length_right_m": 0.68,
        "step_width_m": 0.09,
        "stride_time_cv_pct": 1.8,
        "double_support_pct": 18.0,
        "foot_clearance_m": 0.09,
        "trunk_flexion_deg": 4.0,
        "turn_duration_s": 1.5,
        "turn_steps": 3,
        "freezing_episodes": 0,
    } | with_arms(33.0, 31.0)
    for seed in range(5):
        overall = rationale(typical, 0, random.Random(seed)).splitlines()[2]
        assert "typical" in overall and "speed" in overall and "normal" in overall, overall


def test_unmeasured_parameters_are_never_given_a_number() -> None:
    parameters = {key: None for key in FORMATS} | {"speed_m_s": 0.61, "reasons": {"arm_swing_left_deg": "no arms"}}
    for seed in range(5):
        description, text = _texts(3, parameters, seed)
        for written in (description, text):
            assert [(c.key, c.text) for c in extract_claims(written)] == [("speed_m_s", "0.61 m/s")]
            assert "are not measurable" in written
    nothing = rationale({}, 1, random.Random(0))
    assert [c for c in extract_claims(nothing)] == [] and nothing.endswith("\nScore: 1")


def test_same_seed_same_text_and_seeds_vary_the_phrasing() -> None:
    score, parameters = CASES[40]
    for write in (lambda rng: rationale(parameters, score, rng), lambda rng: describe(parameters, rng)):
        assert write(random.Random(11)) == write(random.Random(11))
        texts = {write(random.Random(seed)) for seed in range(20)}
        assert len(texts) >= 10
        # Variety is in the wording, not in the facts.
        claim_sets = {frozenset((c.key, c.text) for c in extract_claims(t) if c.key in ("speed_m_s",)) for t in texts}
        assert len(claim_sets) == 1


def test_texts_from_measured_synthetic_walks() -> None:
    for subject, trials in make_cohort(4, 1, seed=3, score_weights=(1, 1, 1, 1)):
        trial = trials[0]
        parameters = extract_gait_parameters(trial.joints, trial.fps).to_dict()
        description, text = _texts(subject.score, parameters, seed=1)
        for written in (description, text):
            claims = _assert_claims_true(written, parameters)
            assert _digits_outside(written, claims) == ""
        assert severity_contradictions(text, subject.score) == []


def test_format_value() -> None:
    assert format_value("speed_m_s", 1.1249) == "1.12 m/s"
    assert format_value("cadence_steps_min", 104.4) == "104 steps/min"
    assert format_value("stride_length_m", 1.205) in ("1.20 m", "1.21 m")
    assert format_value("step_width_m", 0.1249) == "12 cm"
    assert format_value("foot_clearance_m", 0.0451) == "4.5 cm"
    assert format_value("arm_swing_left_deg", 37.6) == "38 degrees"
    assert format_value("arm_swing_asymmetry_pct", 14.2) == "14%"
    assert format_value("trunk_flexion_deg", -0.4) == "0 degrees"
    assert format_value("trunk_flexion_deg", -3.2) == "-3 degrees"
    assert format_value("turn_steps", 1) == "1 step" and format_value("turn_steps", np.int64(5)) == "5 steps"
    assert format_value("freezing_episodes", 1) == "1 freezing episode"
    assert set(PRECISION) == set(FORMATS) and PRECISION["speed_m_s"] == 2 and PRECISION["cadence_steps_min"] == 0
    with pytest.raises(ValueError, match="no text format"):
        format_value("n_strides", 3)
    with pytest.raises(ValueError, match="finite number"):
        format_value("speed_m_s", float("nan"))


def test_bad_input_is_refused() -> None:
    with pytest.raises(ValueError, match="score must be an integer 0-3"):
        rationale({}, 4, random.Random(0))
    with pytest.raises(ValueError, match="score must be an integer 0-3"):
        rationale({}, 2.0, random.Random(0))
    with pytest.raises(ValueError, match="speed_m_s must be a finite number or None"):
        describe({"speed_m_s": "fast"}, random.Random(0))
    with pytest.raises(ValueError, match="must be a dict"):
        describe([1.0], random.Random(0))
    with pytest.raises(ValueError, match="score must be an integer 0-4"):
        severity_contradictions("Gait is normal.", 7)


def test_extract_claims_from_hand_written_sentences() -> None:
    def read(text: str) -> list[tuple[str, float, str]]:
        return [(c.key, round(c.value, 6), c.text) for c in extract_claims(text)]

    assert read("Walking speed was 0.85 m/s and cadence 118 steps/min, with arm swing asymmetry of 32%.") == [
        ("speed_m_s", 0.85, "0.85 m/s"),
        ("cadence_steps_min", 118, "118 steps/min"),
        ("arm_swing_asymmetry_pct", 32, "32%"),
    ]
    assert read("Trunk flexion of -3 degrees; the left arm swings 12° and the right arm −14 °.") == [
        ("trunk_flexion_deg", -3, "-3 degrees"),
        ("arm_swing_left_deg", 12, "12°"),
        ("arm_swing_right_deg", -14, "−14 °"),
    ]
    assert read(
        "Arm swing is 12 degrees on the left and 14 degrees on the right. Step length 0.45 m (left), 0.41 m (right)."
    ) == [
        ("arm_swing_left_deg", 12, "12 degrees"),
        ("arm_swing_right_deg", 14, "14 degrees"),
        ("step_length_left_m", 0.45, "0.45 m"),
        ("step_length_right_m", 0.41, "0.41 m"),
    ]
    assert read(
        "Foot clearance is 2.5 cm, step width 120 mm, stride length 1.1 m; double support 31 %, "
        "stride time CV 4.5 percent."
    ) == [
        ("foot_clearance_m", 0.025, "2.5 cm"),
        ("step_width_m", 0.12, "120 mm"),
        ("stride_length_m", 1.1, "1.1 m"),
        ("double_support_pct", 31, "31 %"),
        ("stride_time_cv_pct", 4.5, "4.5 percent"),
    ]
    assert read("The turn took 4.1 s and 7 steps; 2 freezing episodes.") == [
        ("turn_duration_s", 4.1, "4.1 s"),
        ("turn_steps", 7, "7 steps"),
        ("freezing_episodes", 2, "2 freezing episodes"),
    ]
    assert read("There were no signs of freezing. The patient walks at 1.02 m/s.") == [
        ("freezing_episodes", 0, "no signs of freezing"),
        ("speed_m_s", 1.02, "1.02 m/s"),
    ]
    # A number no label and unit pin to one parameter is reported, not dropped or guessed.
    assert read("Arm swing was 20 degrees. The patient is 72 years old.") == [
        (UNMAPPED, 20, "20 degrees"),
        (UNMAPPED, 72, "72"),
    ]
    assert read("Speed 1.1 m/s\nScore: 2") == [("speed_m_s", 1.1, "1.1 m/s")]


def test_severity_contradictions_flag_the_wrong_verdict() -> None:
    assert severity_contradictions("Overall: moderate impairment; safe walking needs a cane.\nScore: 1", 1) == [
        "moderate",
        "cane",
    ]
    assert severity_contradictions("Gait is normal with mild slowing.", 0) == ["mild"]
    assert severity_contradictions("Slight impairment of gait.", 0) == ["Slight", "impairment"]
    assert severity_contradictions("Slight impairment of gait.", 2) == ["Slight"]
    assert severity_contradictions("Walks independently with slight, minor impairment.", 3) == [
        "independently",
        "slight",
        "minor",
    ]
    assert severity_contradictions("No impairment; gait is normal.", 2) == ["No impairment", "normal"]
    # Per-parameter phrases are not verdicts.
    assert severity_contradictions("Speed is within normal limits and arm swing markedly reduced.", 2) == []


def test_grades_are_ordered_and_share_no_word_with_the_severity_scale() -> None:
    speeds = [grade("speed_m_s", v) for v in (0.5, 0.78, 0.95, 1.2)]
    assert speeds == ["markedly reduced", "reduced", "somewhat reduced", TYPICAL]
    assert [grade("arm_swing_asymmetry_pct", v) for v in (5, 13, 20, 40)] == [
        TYPICAL,
        "somewhat increased",
        "increased",
        "markedly increased",
    ]
    assert grade("freezing_episodes", 0) == TYPICAL and grade("freezing_episodes", 2) == "markedly increased"
    assert near_limit("speed_m_s", 1.05) == "lower" and near_limit("speed_m_s", 1.3) is None
    assert set(GRADE_PHRASES) == set(GRADES) and set(NORMS) <= set(FORMATS)
    every_phrase = ". ".join(p for phrases in GRADE_PHRASES.values() for p in phrases) + ". slow."
    assert all(severity_contradictions(every_phrase, score) == [] for score in range(5))
    with pytest.raises(ValueError, match="no normative range"):
        grade("n_strides", 3)
