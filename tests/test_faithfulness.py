"""Faithfulness of hand-written rationales against measured parameters: matches, mismatches, unmeasured and
unmapped claims, the rounding and relative tolerances, and severity words that contradict the score."""

from __future__ import annotations

import pytest

from agir.text.claims import UNMAPPED
from agir.text.faithfulness import RELATIVE_TOLERANCE, TOLERANCE, check_faithfulness

PARAMETERS = {
    "speed_m_s": 0.9236,
    "cadence_steps_min": 108.1,
    "stride_length_m": None,
    "arm_swing_left_deg": 20.4,
    "freezing_episodes": 0,
}


def test_claims_are_matched_listed_and_counted():
    text = (
        "Foot: gait speed is 0.92 m/s and cadence 150 steps/min; stride length 1.10 m. "
        "Arm: left arm swing is 20 degrees. It took 7 tries. Overall: no freezing.\nScore: 1"
    )
    result = check_faithfulness(text, PARAMETERS, 1)
    assert [m["text"] for m in result["matched"]] == ["0.92 m/s", "20 degrees", "no freezing"]
    assert result["mismatches"] == [
        {"text": "150 steps/min", "key": "cadence_steps_min", "claimed": 150.0, "measured": 108.1},
        {"text": "1.10 m", "key": "stride_length_m", "claimed": 1.1, "measured": None},
        {"text": "7", "key": UNMAPPED, "claimed": 7.0, "measured": None},
    ]
    assert result["n_claims"] == 6 and result["fraction"] == pytest.approx(3 / 6)
    assert result["contradictions"] == [] and result["tolerance"] == TOLERANCE


@pytest.mark.parametrize(
    "claimed, matches",
    [("108 steps/min", True), ("110 steps/min", True), ("111 steps/min", False), ("105 steps/min", False)],
)
def test_a_claim_matches_as_rounded_or_within_the_relative_tolerance(claimed, matches):
    assert RELATIVE_TOLERANCE == 0.02  # 108.1 * 1.02 = 110.3: 110 is within it, 111 is not
    result = check_faithfulness(f"Cadence is {claimed}.", PARAMETERS, None)
    assert result["fraction"] == (1.0 if matches else 0.0)


def test_rounding_tolerance_covers_the_last_written_digit():
    # Step width is written in whole cm: 0.1249 m reads "12 cm", 0.8 cm (6.4 %) away but the same text.
    assert check_faithfulness("Step width is 12 cm.", {"step_width_m": 0.1249}, None)["fraction"] == 1.0
    assert check_faithfulness("Step width is 13 cm.", {"step_width_m": 0.1249}, None)["fraction"] == 0.0


def test_severity_words_that_contradict_the_score_are_flagged():
    text = "Overall: the gait is normal, with slight impairment.\nScore: 2"
    assert check_faithfulness(text, PARAMETERS, 2)["contradictions"] == ["normal", "slight"]
    assert check_faithfulness(text, PARAMETERS, None)["contradictions"] == []
    assert check_faithfulness("Overall: walks independently, mildly impaired.", PARAMETERS, 2)["contradictions"] == []


def test_a_rationale_without_numbers_has_no_fraction():
    result = check_faithfulness("Overall: walking is normal.\nScore: 0", PARAMETERS, 0)
    assert result["fraction"] is None and result["n_claims"] == 0 and result["contradictions"] == []
