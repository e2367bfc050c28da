"""Grounded numbers: generation cites the measured value wherever a label ties a number to a measured parameter."""

from __future__ import annotations

import random

import numpy as np
import pytest
import torch
from helpers import CODEBOOK, SCORES, SMALL, plausible_parameters, train, with_arms

from agir.data.padding import collate
from agir.models.generate import generate, generate_texts
from agir.models.grounding import Grounding, grounded_grade, grounded_text
from agir.models.llm import LLMConfig, LoRAConfig, load_backbone, train_bpe_tokenizer
from agir.text.claims import UNMAPPED, extract_claims
from agir.text.faithfulness import check_faithfulness
from agir.text.prompts import build_prompt, encode_example, encode_prompt
from agir.text.rationale import describe, rationale

MEASURED = {
    "speed_m_s": 0.9236,
    "cadence_steps_min": 104.4,
    "stride_length_m": 1.061,
    "turn_duration_s": 2.04,
    "turn_steps": 4,
    "freezing_episodes": 2,
    "trunk_flexion_deg": None,
} | with_arms(21.4, 33.0)


def _ground(text: str) -> str | None:
    """`grounded_text` for a number whose first digit ends `text`."""
    return grounded_text(text, len(text) - 1, MEASURED)


def test_a_labelled_number_reads_the_measured_value_with_its_unit():
    assert _ground("Foot: walking speed is 0") == "0.92 m/s"
    assert _ground("Foot: speed 0.92 m/s; cadence (1") == "104 steps/min"
    assert _ground("Stride amplitude of 7") == "1.06 m"
    assert _ground("Freezing of gait: 5") == "2 freezing episodes"


def test_a_label_naming_several_takes_the_first_not_yet_cited():
    assert _ground("Arm: Arm swing is 3") == "21 degrees on the left"
    assert _ground("Arm: Arm swing is 21 degrees on the left and 9") == "33 degrees on the right"
    assert _ground("the turn takes 9") == "2.0 s"
    assert _ground("the turn takes 2.0 s and 9") == "4 steps"
    # Every candidate cited already: the value is restated, still the measured one.
    assert _ground("speed 0.92 m/s, that is a speed of 5") == "0.92 m/s"


def test_numbers_nothing_ties_to_a_measured_parameter_are_left_alone():
    assert _ground("Overall: the walk shows 4") is None  # no label
    assert grounded_text("Foot: step width is 4", 19, MEASURED) is None  # not measured, nor said to be null
    assert _ground("Overall: slow.\nScore: 2") is None  # the verdict
    assert grounded_text("walking speed is 0.9", 19, MEASURED) is None  # the 9 continues a number begun before


def test_a_number_for_a_parameter_measured_as_null_becomes_not_measurable():
    assert _ground("Foot: trunk flexion is 4") == "not measurable"
    assert grounded_text("the turn takes 3", 15, {"turn_duration_s": None, "turn_steps": None}) == "not measurable"
    # One of the two a label names was measured: that one is cited.
    assert grounded_text("the turn takes 3", 15, {"turn_duration_s": None, "turn_steps": 5}) == "5 steps"


def test_a_grade_word_is_the_measured_grade_of_what_it_grades():
    parameters = MEASURED | {"step_width_m": None}
    reduced = ("reduced", "below the typical range", "decreased", "slow")  # of speed: all, where none begins as begun
    assert grounded_grade("Foot: walking speed is 0.92 m/s, ", "typical", parameters) == reduced
    assert grounded_grade("Foot: walking speed is 0.92 m/s, ", "dec", parameters) == ("decreased",)  # as begun
    assert grounded_grade("Foot: stride length is 1.06 m, ", "reduced", parameters)[0] == "somewhat reduced"
    assert grounded_grade("Foot: cadence (104 steps/min) is ", "unre", parameters) == ("unremarkable",)
    # Every phrase of the grade that begins as the model began: the model picks among them.
    assert grounded_grade("Foot: cadence (104 steps/min) is ", "with", parameters) == (
        "within the typical range",
        "within reference limits",
    )
    assert "markedly reduced" not in grounded_grade("Overall: stride length (", "markedly", parameters)
    assert grounded_grade("Foot: step width (", "increased", parameters) == ()  # not measured: no grade here
    assert grounded_grade("Foot: trunk flexion is not ", "reduced", parameters) is None  # negated
    assert grounded_grade("Overall: the findings are ", "typical", parameters) is None  # grades nothing
    assert grounded_grade("Foot: walking speed is 0.92 m/s, ", "and", parameters) is None  # no grade word


def _write(processor: Grounding, tokenizer, text: str, preferred: list, steps: int | None = None) -> str:
    """What grounded greedy generation writes after `text` where the "model" prefers, step by step, the tokens (or
    token ids) `preferred`, and `steps` (when given) a little less."""
    ids = torch.tensor([tokenizer.encode(text, add_special_tokens=False)])
    width = ids.shape[1]
    for token in preferred:
        scores = torch.zeros(1, len(tokenizer))
        if steps is not None:
            scores[0, steps] = 0.5
        scores[0, tokenizer.convert_tokens_to_ids(token) if isinstance(token, str) else token] = 1.0
        ids = torch.cat([ids, processor(ids, scores).argmax(dim=-1)[:, None]], dim=1)
    return tokenizer.decode(ids[0, width:])


def test_among_the_measured_grade_s_phrases_the_model_keeps_its_own_words():
    tokenizer = _tokenizer()
    text = "Foot: cadence (104 steps/min) is"  # typical
    wanted = {
        "within reference limits": "within reference limits",  # a phrase of the measured grade: kept
        "within the typical range": "within the typical range",
        "somewhat reduced": "typical",  # another grade's phrase: the one of the measured grade the model prefers
    }
    for preferred, expected in wanted.items():
        tokens = tokenizer.tokenize(" " + preferred)
        processor = Grounding(tokenizer, [MEASURED], prompt_length=0, numbers=True, grades=True)
        written = _write(processor, tokenizer, text, tokens + [tokens[-1]] * 3)
        assert written.strip().startswith(expected), (preferred, written)


def test_a_word_that_only_begins_like_a_grade_may_end_there():
    tokenizer = _tokenizer()
    measured = {"speed_m_s": 1.25, "stride_length_m": 1.30}
    assert tokenizer.tokenize(" with") == ["Ġwith"] and tokenizer.tokenize(" within") == ["Ġwithin"]
    text = "Overall: with speed at the lower end, there is slight impairment,"
    processor = Grounding(tokenizer, [measured], prompt_length=0, grades=True)
    assert _write(processor, tokenizer, text, ["Ġwith", "Ġindependent"]) == " with independent"
    # Begun as a grade ("with" + "in"): held to the measured grade's phrases.
    processor = Grounding(tokenizer, [measured], prompt_length=0, grades=True)
    written = _write(processor, tokenizer, text, ["Ġwith", "in", "Ġreference", "Ġlimits", "Ġlimits"])
    assert written.startswith(" within reference limits"), written
    processor = Grounding(tokenizer, [measured], prompt_length=0, grades=True)
    written = _write(processor, tokenizer, text, ["Ġwith", "in", "Ġsomewhat", "Ġreduced", "Ġreduced"])
    assert written.startswith(" within the typical range"), written  # not a phrase of the grade: the grade's own


def test_no_freezing_is_claimed_only_where_none_was_measured():
    tokenizer = _tokenizer()
    # The "model" insists on "No freezing occurs": where freezing was seen or not measured, its `No` begins the
    # measured statement instead.
    wanted = {
        0: " No freezing occurs",
        2: " Freezing of gait is observed (2 freezing episodes)",
        None: " Freezing is not measurable",
    }
    for freezing, expected in wanted.items():
        processor = Grounding(tokenizer, [{"speed_m_s": 0.9236, "freezing_episodes": freezing}], prompt_length=0)
        preferred = ["ĠNo", "Ġfreezing", "Ġoccurs"] * 6
        written = _write(processor, tokenizer, "Foot: walking speed is 0.92 m/s.", preferred)
        assert written.startswith(expected), (freezing, written)
        no_freezing = [c for c in extract_claims(written) if c.key == "freezing_episodes" and c.value == 0]
        assert bool(no_freezing) == (freezing == 0), (freezing, written)
    processor = Grounding(tokenizer, [{"freezing_episodes": 1}], prompt_length=0)
    written = _write(processor, tokenizer, "Foot: steps are short; there is", ["Ġno", "Ġfreezing"] * 6)
    assert written.startswith(" freezing of gait (1 freezing episode)"), written
    # Begun another way, the claim is refused at its last word.
    turn = tokenizer.convert_tokens_to_ids("Ġturn")
    processor = Grounding(tokenizer, [{"freezing_episodes": 1}], prompt_length=0)
    written = _write(processor, tokenizer, "Foot: steps are short, with", ["Ġno", "Ġfreezing"], steps=turn)
    assert written == " no turn" and not extract_claims(written), written
    # Numbers left to the model are left whole: no freezing either.
    processor = Grounding(tokenizer, [{"freezing_episodes": 1}], prompt_length=0, numbers=False)
    assert _write(processor, tokenizer, "Foot:", ["ĠNo", "Ġfreezing"]) == " No freezing"


@pytest.mark.parametrize("score", SCORES)
def test_every_number_of_the_written_texts_is_what_grounding_writes(score):
    # The texts the corpus is trained on put a label before every number, so grounding covers each of them and
    # writes exactly what they write.
    numbers = 0
    for seed in range(25):
        parameters = plausible_parameters(score, np.random.default_rng(100 * score + seed))
        rng = random.Random(seed)
        for text in (rationale(parameters, score, rng), describe(parameters, rng)):
            for claim in extract_claims(text):
                if claim.text[0].isdigit():
                    start = claim.span[0]
                    grounded = grounded_text(text[: start + 1], start, parameters)
                    assert grounded is not None and text[start : start + len(grounded)] == grounded, text
                    numbers += 1
    assert numbers > 150


def _tokenizer():
    texts = [
        rationale(plausible_parameters(s, np.random.default_rng(i)), s, random.Random(i))
        for s in SCORES
        for i in range(20)
    ]
    return train_bpe_tokenizer(texts, 800)


def test_the_processor_forces_the_measured_tokens_and_passes_other_rows_through():
    tokenizer = _tokenizer()
    rows = [tokenizer.encode(text, add_special_tokens=False) for text in ("Foot: walking speed is", "Foot: slow and")]
    width = max(map(len, rows))
    ids = torch.tensor([[tokenizer.pad_token_id] * (width - len(row)) + row for row in rows])
    processor = Grounding(tokenizer, [MEASURED, MEASURED], prompt_length=0)
    digit = next(i for i in range(len(tokenizer)) if tokenizer.decode([i]) == " 1")
    wide = tokenizer.encode(" wide", add_special_tokens=False)[-1]
    for _ in range(14):
        scores = torch.zeros(2, len(tokenizer))
        scores[0, digit] = scores[1, wide] = 1.0  # what the "model" would write next: a 1 / "wide"
        ids = torch.cat([ids, processor(ids, scores).argmax(dim=-1)[:, None]], dim=1)
    written = tokenizer.decode(ids[0, width:])
    # Forced; then the model's own " 1" again, a bare number continuing the speed claim: grounded to the speed.
    assert written.startswith(" 0.92 m/s 0.92 m/s"), written
    assert tokenizer.decode(ids[1, width:]) == tokenizer.decode([wide]) * 14


def test_generation_cites_measured_values_where_the_model_learned_other_numbers():
    torch.manual_seed(0)
    answer = (
        "Foot: walking speed is 0.55 m/s, cadence is 91 steps/min. Arm: left arm swing is 12 degrees. "
        "Overall: slow gait.\nScore: 2"
    )
    measured = {"speed_m_s": 1.234, "cadence_steps_min": 117.2, "arm_swing_left_deg": 30.4}
    texts = [answer, rationale(measured, 0, random.Random(0))] * 5
    model, tokenizer, vocabulary = load_backbone(
        LLMConfig(scratch=SMALL, lora=LoRAConfig(r=8, alpha=16, dropout=0.0)), texts, codebook_size=CODEBOOK
    )
    prompt = build_prompt("motion_to_rationale", None, motion=vocabulary.as_text([3, 1, 4, 1, 5, 9]))
    batch = collate([encode_example(tokenizer, prompt, answer, max_length=256)], tokenizer.pad_token_id)
    assert train(model, batch, steps=150, lr=3e-3) < 0.05
    model.eval()
    prompt_ids = [encode_prompt(tokenizer, prompt)]
    assert generate_texts(model, tokenizer, prompt_ids, 80) == [answer]
    grounded = generate_texts(model, tokenizer, prompt_ids, 80, parameters=[measured])[0]
    check = check_faithfulness(grounded, measured, 2)
    # A number no label ties to a parameter (the tiny model, thrown off by the new digits, may write one) stays
    # the model's and is counted against faithfulness; every other claim is the measurement.
    # (Which words follow the forced digits is the tiny model's: it may lose its way after them.)
    assert len(check["matched"]) >= 2 and all(m["key"] == UNMAPPED for m in check["mismatches"]), grounded
    # The words are the model's; the numbers are the measured ones.
    assert grounded.startswith("Foot: walking speed is 1.23 m/s, cadence is 117 steps/min."), grounded
    with pytest.raises(ValueError, match="2 parameter sets for 1 prompts"):
        generate_texts(model, tokenizer, prompt_ids, 80, parameters=[measured, measured])


def test_the_last_forced_token_may_carry_punctuation_and_a_value_or_grade_closes_its_bracket():
    tokenizer = _tokenizer()
    # "9", then the model's own ending over "steps"; in an open bracket the value closes it whatever the model
    # prefers (`%,` would leave it open), and a closing bracket comes only where one is open.
    for text, ending, expected in (
        ("Rhythm variability (", "%)", "4.1%)"),
        ("Rhythm variability (", "%,", "4.1%)"),
        ("Rhythm variability is", "%)", " 4.1%"),
    ):
        processor = Grounding(tokenizer, [{"stride_time_cv_pct": 4.06}], prompt_length=0)
        digit = tokenizer.convert_tokens_to_ids("9" if text.endswith("(") else "Ġ9")
        ending_id = tokenizer.convert_tokens_to_ids(ending)
        assert ending_id != tokenizer.unk_token_id  # learned as one token, as in "(4.1%)"
        steps = tokenizer.convert_tokens_to_ids("Ġsteps")
        written = _write(processor, tokenizer, text, [digit, digit, ending_id, ending_id], steps=steps)
        assert written.startswith(expected) and not written.startswith(expected + ")"), (text, ending, written)
    processor = Grounding(tokenizer, [{"speed_m_s": 1.25}], prompt_length=0, grades=True)
    written = _write(processor, tokenizer, "Overall: with speed (", ["typical", ",", ",", ","])
    assert written.startswith("typical)"), written
    # Never more of a word: the `s` that ends `m/s` may become `s,` but not `steps`.
    ends_s = processor._ending_with(tokenizer.convert_tokens_to_ids("s"))
    assert ends_s[tokenizer.convert_tokens_to_ids("s")] and not ends_s[tokenizer.convert_tokens_to_ids("st")]
    assert extract_claims("Rhythm variability (4.1%)")[0].key == "stride_time_cv_pct"


def test_a_bracket_its_line_did_not_open_is_never_closed():
    tokenizer = _tokenizer()
    gait = tokenizer.convert_tokens_to_ids("Ġgait")
    preferred = ["typical", "),", ")", ")"]  # after the grade closed its bracket, the model's own `)` again
    processor = Grounding(tokenizer, [{"speed_m_s": 1.25}], prompt_length=0, grades=True)
    assert _write(processor, tokenizer, "Overall: with speed (", preferred, steps=gait) == "typical), gait gait"
    free = Grounding(tokenizer, [{"speed_m_s": 1.25}], prompt_length=0, numbers=False, grades=False)
    assert _write(free, tokenizer, "Overall: with speed (", preferred, steps=gait) == "typical),))"  # the paper's


def test_grounded_generation_gives_no_number_or_grade_to_an_unmeasured_parameter_and_grades_as_measured():
    torch.manual_seed(0)
    answer = (
        "Foot: walking speed is 0.55 m/s, markedly reduced. Arm: left arm swing is 12 degrees, markedly reduced."
        "\nScore: 2"
    )
    # Speed plainly reduced (the model learned "markedly reduced"); the left arm not measured (a layout without it).
    measured = {"speed_m_s": 0.801, "arm_swing_left_deg": None, "reasons": {"arm_swing_left_deg": "no arm joints"}}
    model, tokenizer, vocabulary = load_backbone(
        LLMConfig(scratch=SMALL, lora=LoRAConfig(r=8, alpha=16, dropout=0.0)), [answer] * 10, codebook_size=CODEBOOK
    )
    prompt = build_prompt("motion_to_rationale", None, motion=vocabulary.as_text([3, 1, 4, 1, 5, 9]))
    batch = collate([encode_example(tokenizer, prompt, answer, max_length=256)], tokenizer.pad_token_id)
    assert train(model, batch, steps=150, lr=3e-3) < 0.05
    model.eval()
    prompt_ids = [encode_prompt(tokenizer, prompt)]
    free = check_faithfulness(generate_texts(model, tokenizer, prompt_ids, 60)[0], measured, 2)
    assert [u["key"] for u in free["unmeasured"]] == ["arm_swing_left_deg", "arm_swing_left_deg"]  # number, grade
    assert free["grade_mismatches"][0]["said"] == "markedly reduced"
    grounded = generate(model, tokenizer, prompt_ids, 60, parameters=[measured], grounded_grades=True)[0].text
    check = check_faithfulness(grounded, measured, 2)
    assert grounded.startswith("Foot: walking speed is 0.80 m/s, reduced."), grounded
    assert "left arm swing is not measurable" in grounded and check["unmeasured"] == [], grounded
    assert check["grade_mismatches"] == [] and check["n_graded"] >= 1, grounded
