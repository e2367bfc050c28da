"""SFT example encoding on a real byte-level BPE tokenizer trained here, with and without a chat template."""

from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import random

import pytest
import torch
from transformers import AutoConfig, AutoModelForCausalLM

from agir.data.padding import collate, collate_prompts
from agir.models.llm import add_motion_tokens, train_bpe_tokenizer
from agir.text.prompts import (
    EVIDENCE_MODES,
    INSTRUCTIONS,
    PLAIN_PROMPT,
    PROMPT_VERSION,
    TASK_INPUTS,
    SFTExample,
    build_prompt,
    encode_example,
    encode_prompt,
    evidence_line,
    stage_evidence,
    task_prompt,
    truncate_prompt,
    with_decision,
)

CORPUS = [
    "Foot: short, shuffling steps with reduced foot clearance. Arm: arm swing is reduced on the left. "
    "Overall: slow gait, walks independently with substantial impairment. Score: 2",
    "Foot: normal step length and cadence. Arm: symmetric arm swing. Overall: normal gait. Score: 0",
    "Describe the gait in this walking motion. Generate a walking motion. Assess this walk.",
] * 5
CHATML = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
ANSWER = "Foot: normal step length. Arm: symmetric arm swing. Overall: normal gait. Score: 0"
CODEBOOK = 64


def _tokenizer(chat: bool):
    tokenizer = train_bpe_tokenizer(CORPUS, vocab_size=400)
    if chat:
        tokenizer.add_special_tokens({"extra_special_tokens": ["<|im_start|>"], "eos_token": "<|im_end|>"})
        tokenizer.chat_template = CHATML
    model = AutoModelForCausalLM.from_config(
        AutoConfig.for_model(
            "llama",
            vocab_size=len(tokenizer),
            hidden_size=16,
            num_hidden_layers=1,
            num_attention_heads=2,
            num_key_value_heads=2,
            intermediate_size=32,
        )
    )
    return tokenizer, add_motion_tokens(model, tokenizer, CODEBOOK)


@pytest.fixture(scope="module")
def plain():
    return _tokenizer(chat=False)


@pytest.fixture(scope="module")
def chat():
    return _tokenizer(chat=True)


def _motion_prompt(vocabulary, codes: list[int]) -> str:
    return build_prompt("motion_to_description", random.Random(3), motion=vocabulary.as_text(codes))


def _answer_part(example: SFTExample) -> list[int]:
    first = next(i for i, label in enumerate(example.labels) if label != -100)
    return example.input_ids[first:]


def test_bpe_tokenizer_has_distinct_special_tokens(plain):
    tokenizer, _ = plain
    ids = [tokenizer.pad_token_id, tokenizer.bos_token_id, tokenizer.eos_token_id, tokenizer.unk_token_id]
    assert None not in ids and len(set(ids)) == 4
    assert tokenizer.decode(tokenizer.encode(ANSWER, add_special_tokens=False)) == ANSWER


@pytest.mark.parametrize("fixture", ["plain", "chat"])
def test_labels_mask_exactly_the_prompt(fixture, request):
    tokenizer, vocabulary = request.getfixturevalue(fixture)
    prompt = _motion_prompt(vocabulary, [5, 9, 63, 0])
    example = encode_example(tokenizer, prompt, ANSWER, max_length=512)
    prompt_ids = encode_prompt(tokenizer, prompt)
    n = len(prompt_ids)
    assert example.input_ids[:n] == prompt_ids
    assert example.labels[:n] == [-100] * n
    assert example.labels[n:] == example.input_ids[n:]
    answer = example.input_ids[n:]
    assert answer.count(tokenizer.eos_token_id) == 1
    assert ANSWER in tokenizer.decode(answer)
    assert vocabulary.as_ids([5, 9, 63, 0]) == prompt_ids[prompt_ids.index(vocabulary.start_id) :][:6]


@pytest.mark.parametrize("fixture", ["plain", "chat"])
def test_a_rationale_decision_starts_right_after_its_marker(fixture, request):
    tokenizer, vocabulary = request.getfixturevalue(fixture)
    example = encode_example(tokenizer, _motion_prompt(vocabulary, [5, 9]), ANSWER, max_length=512)
    marked = with_decision(tokenizer, example, "Overall:")
    start = marked.decision_start
    answer = len(example.input_ids) - len(_answer_part(example))
    assert "Overall:" in tokenizer.decode(marked.input_ids[answer:start])
    assert "Overall:" not in tokenizer.decode(marked.input_ids[answer : start - 1])
    assert tokenizer.decode(marked.input_ids[start:], skip_special_tokens=True).strip() == "normal gait. Score: 0"
    assert (marked.input_ids, marked.labels) == (example.input_ids, example.labels)
    assert with_decision(tokenizer, example, "Verdict:") == example  # no marker: no decision
    with pytest.raises(ValueError, match="decision_start"):
        SFTExample([1, 2], [-100, 2], decision_start=2)


def test_plain_format_without_chat_template(plain):
    tokenizer, vocabulary = plain
    prompt = _motion_prompt(vocabulary, [1, 2])
    example = encode_example(tokenizer, prompt, ANSWER, max_length=512)
    assert example.input_ids[0] == tokenizer.bos_token_id
    assert tokenizer.decode(encode_prompt(tokenizer, prompt)[1:]) == PLAIN_PROMPT.format(prompt=prompt)
    # The answer is exactly its own tokens followed by EOS.
    assert _answer_part(example) == tokenizer.encode(ANSWER, add_special_tokens=False) + [tokenizer.eos_token_id]


def test_chat_template_supervises_its_end_of_turn_as_eos(chat):
    tokenizer, vocabulary = chat
    prompt = _motion_prompt(vocabulary, [1, 2])
    example = encode_example(tokenizer, prompt, ANSWER, max_length=512, system="You are a gait examiner.")
    prompt_text = tokenizer.decode(encode_prompt(tokenizer, prompt, system="You are a gait examiner."))
    assert prompt_text.startswith("<|im_start|>system\nYou are a gait examiner.<|im_end|>")
    assert prompt_text.endswith("<|im_start|>assistant\n")
    # The template's own end-of-turn is the EOS: supervised once, not appended a second time.
    assert tokenizer.decode(_answer_part(example)) == ANSWER + "<|im_end|>\n"
    unchatted = encode_example(tokenizer, prompt, ANSWER, max_length=512, use_chat_template=False)
    assert "### Response:" in tokenizer.decode(unchatted.input_ids)


@pytest.mark.parametrize("fixture", ["plain", "chat"])
def test_truncation_cuts_the_end_of_the_motion_and_keeps_the_answer(fixture, request):
    tokenizer, vocabulary = request.getfixturevalue(fixture)
    codes = [(7 * i) % CODEBOOK for i in range(200)]
    prompt = _motion_prompt(vocabulary, codes)
    full = encode_example(tokenizer, prompt, ANSWER, max_length=1024)
    example = encode_example(tokenizer, prompt, ANSWER, max_length=len(full.input_ids) - 150)
    assert len(example.input_ids) == len(full.input_ids) - 150
    assert _answer_part(example) == _answer_part(full)
    assert (full.prompt_cut, example.prompt_cut) == (0, 150)  # counted, never silent
    kept = example.input_ids
    assert kept.count(vocabulary.start_id) == 1 and kept.count(vocabulary.end_id) == 1
    assert vocabulary.tokens_to_codes(kept) == codes[:50]
    # Text around the motion survives: the start of the prompt and the generation prompt before the answer.
    prompt_part = kept[: len(kept) - len(_answer_part(example))]
    full_prompt = encode_prompt(tokenizer, prompt)
    assert prompt_part[:5] == full_prompt[:5] and prompt_part[-5:] == full_prompt[-5:]


def test_truncation_without_motion_cuts_the_middle(plain):
    tokenizer, _ = plain
    ids = list(range(100, 140))
    assert truncate_prompt(tokenizer, ids, 10) == ids[:5] + ids[-5:]
    assert truncate_prompt(tokenizer, ids, 7) == ids[:4] + ids[-3:]
    assert truncate_prompt(tokenizer, ids, 40) == ids


def test_answer_that_does_not_fit_or_is_empty_raises(plain):
    tokenizer, vocabulary = plain
    prompt = _motion_prompt(vocabulary, [1])
    answer_length = len(tokenizer.encode(ANSWER, add_special_tokens=False)) + 1
    assert len(encode_example(tokenizer, prompt, ANSWER, max_length=answer_length + 1).input_ids) == answer_length + 1
    with pytest.raises(ValueError, match="no room"):
        encode_example(tokenizer, prompt, ANSWER, max_length=answer_length)
    with pytest.raises(ValueError, match="empty answer"):
        encode_example(tokenizer, prompt, "  \n", max_length=512)


def test_example_without_supervised_token_raises():
    with pytest.raises(ValueError, match="no supervised token"):
        SFTExample([1, 2, 3], [-100, -100, -100])
    with pytest.raises(ValueError, match="equal to the input id"):
        SFTExample([1, 2, 3], [-100, 5, 3])


def test_collate_pads_labels_with_ignore_and_masks_attention(plain):
    tokenizer, _ = plain
    pad, eos = tokenizer.pad_token_id, tokenizer.eos_token_id
    short = SFTExample([1, 10, eos], [-100, 10, eos])
    long = SFTExample([1, 11, 12, 13, eos], [-100, -100, 12, 13, eos])
    right = collate([short, long], pad)
    assert right["input_ids"].tolist() == [[1, 10, eos, pad, pad], [1, 11, 12, 13, eos]]
    assert right["attention_mask"].tolist() == [[1, 1, 1, 0, 0], [1] * 5]
    assert right["labels"].tolist() == [[-100, 10, eos, -100, -100], [-100, -100, 12, 13, eos]]
    left = collate([short, long], pad, pad_side="left")
    assert left["input_ids"][0].tolist() == [pad, pad, 1, 10, eos]
    assert left["labels"][0].tolist() == [-100, -100, -100, 10, eos]
    assert all(tensor.dtype == torch.long for tensor in right.values())


def test_pad_equal_to_eos_still_supervises_eos():
    # Models without a pad token reuse EOS as pad: masking is by position, so the real EOS keeps its label.
    eos = 2
    batch = collate([SFTExample([1, 7, eos], [-100, 7, eos]), SFTExample([1, eos], [-100, eos])], pad_id=eos)
    assert batch["labels"].tolist() == [[-100, 7, eos], [-100, eos, -100]]
    assert batch["attention_mask"].tolist() == [[1, 1, 1], [1, 1, 0]]


def test_collate_prompts_pads_on_the_left():
    batch = collate_prompts([[5, 6, 7], [8]], pad_id=0)
    assert batch["input_ids"].tolist() == [[5, 6, 7], [0, 0, 8]]
    assert batch["attention_mask"].tolist() == [[1, 1, 1], [0, 0, 1]]
    with pytest.raises(ValueError, match="pad_side"):
        collate([SFTExample([1, 2], [-100, 2])], 0, pad_side="middle")


def test_build_prompt_inserts_the_input_and_varies_the_phrasing():
    motion, description = "<motion_start><motion_1><motion_end>", "Slow gait {with braces}."
    for task, field in TASK_INPUTS.items():
        assert all(phrasing.count("{" + field + "}") == 1 for phrasing in INSTRUCTIONS[task])
        assert len(INSTRUCTIONS[task]) >= 3
        value = motion if field == "motion" else description
        rng = random.Random(0)
        prompts = {build_prompt(task, rng, **{field: value}) for _ in range(40)}
        assert len(prompts) == len(INSTRUCTIONS[task])
        assert all(value in prompt for prompt in prompts)
    assert build_prompt("motion_to_rationale", random.Random(7), motion=motion) == build_prompt(
        "motion_to_rationale", random.Random(7), motion=motion
    )
    assert PROMPT_VERSION.startswith("1-")


def test_build_prompt_rejects_bad_requests():
    rng = random.Random(0)
    with pytest.raises(ValueError, match="unknown prompt task"):
        build_prompt("motion_to_score", rng, motion="x")
    with pytest.raises(ValueError, match="needs motion"):
        build_prompt("motion_to_rationale", rng, description="x")
    with pytest.raises(ValueError, match="takes only description"):
        build_prompt("description_to_motion", rng, description="x", motion="y")


# A clip without toe joints and without a turn, as agir.motion.gait_parameters reports it.
NO_TOES_NO_TURN = {
    "speed_m_s": 0.6213,
    "cadence_steps_min": 108.4,
    "stride_length_m": 1.2,
    "step_length_left_m": None,
    "step_length_right_m": None,
    "step_width_m": 0.1,
    "stride_time_cv_pct": 2.0,
    "double_support_pct": None,
    "foot_clearance_m": None,
    "arm_swing_left_deg": 12.0,
    "arm_swing_right_deg": 30.0,
    "arm_swing_asymmetry_pct": 30.0,
    "trunk_flexion_deg": 5.0,
    "turn_duration_s": None,
    "turn_steps": None,
    "freezing_episodes": 0,
    "reasons": {
        "step_length_left_m": "no complete stride of straight walking",
        "step_length_right_m": "no complete stride of straight walking",
        "double_support_pct": "layout has no toe joints: toe off cannot be seen",
        "foot_clearance_m": "layout has no toe joints",
        "turn_duration_s": "no turn of at least 90 degrees in the clip",
        "turn_steps": "no turn of at least 90 degrees in the clip",
    },
}
MOTION = "<motion_start><motion_1><motion_2><motion_end>"


def _evidence_prompt(evidence: str, task: str = "motion_to_rationale") -> str:
    inputs = {"motion": MOTION, "description": "Slow gait."}
    return task_prompt(task, None, inputs, NO_TOES_NO_TURN, evidence)


def test_evidence_modes_give_the_prompts_they_say():
    motion = _evidence_prompt("motion")
    assert motion == build_prompt("motion_to_rationale", None, motion=MOTION) and "Measured" not in motion
    parameters = _evidence_prompt("parameters")
    assert parameters.startswith(motion + "\nMeasured gait parameters: speed 0.62 m/s; cadence 108 steps/min; ")
    assert "not measurable" not in parameters and "(" not in parameters.removeprefix(motion)
    graded = _evidence_prompt("graded")
    assert graded.startswith(motion + "\nMeasured gait parameters: ") and graded.endswith(".")
    findings = graded.removeprefix(motion + "\nMeasured gait parameters: ")[:-1].split("; ")
    assert findings == [
        "speed 0.62 m/s (markedly reduced)",
        "cadence 108 steps/min (typical)",
        "stride length 1.20 m (typical)",
        "step width 10 cm (typical)",
        "stride-time variability 2.0% (typical)",
        "left arm swing 12 degrees (reduced)",
        "right arm swing 30 degrees (typical)",
        "arm-swing asymmetry 30% (markedly increased)",
        "trunk flexion 5 degrees (typical)",
        "freezing 0 freezing episodes (typical)",
        # The unmeasured ones with the measurement's reason, grouped by reason.
        "left step length and right step length not measurable (no complete stride of straight walking)",
        "double support not measurable (layout has no toe joints: toe off cannot be seen)",
        "foot clearance not measurable (layout has no toe joints)",
        "turn duration and steps in the turn not measurable (no turn of at least 90 degrees in the clip)",
    ]
    # The parameters mode gives the same values, without grades or the unmeasured ones.
    assert parameters.removeprefix(motion + "\nMeasured gait parameters: ")[:-1].split("; ") == [
        finding.rsplit(" (", 1)[0] for finding in findings if "not measurable" not in finding
    ]
    for prompt in (parameters, graded):
        assert "None" not in prompt and "nan" not in prompt
    # A prompt that reads no motion gets no measurements, whatever the mode.
    assert {_evidence_prompt(mode, "description_to_motion") for mode in EVIDENCE_MODES} == {
        build_prompt("description_to_motion", None, description="Slow gait.")
    }


def test_graded_evidence_says_not_measurable_without_a_recorded_reason():
    line = evidence_line({"speed_m_s": None, "reasons": {}}, "graded")
    assert line.startswith("speed, cadence, stride length") and line.endswith("not measurable")
    assert "None" not in line and "()" not in line


def test_evidence_modes_are_named_and_old_stages_keep_theirs():
    with pytest.raises(ValueError, match="unknown evidence mode 'numbers'; modes: motion, parameters, graded"):
        evidence_line(NO_TOES_NO_TURN, "numbers")
    assert stage_evidence({"evidence": "graded", "measured_parameters": True}) == "graded"
    # Stage metadata (and configs) saved before evidence modes.
    assert stage_evidence({"measured_parameters": True}) == "parameters"
    assert stage_evidence({"measured_parameters": False}) == "motion"
    assert stage_evidence({}) == "motion"
