"""Task instructions and SFT example encoding: prompt tokens, then answer tokens and EOS; labels -100 on the prompt.

The prompt is rendered with the tokenizer's chat template when it has one (and `use_chat_template`), else with a
plain `### Instruction:` / `### Response:` format. Answers are never truncated: a prompt that does not fit loses the
end of its motion-code span first (its boundary tokens stay), then its middle.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Literal, get_args

from agir.text.motion_vocab import MOTION_END, MOTION_START
from agir.text.rationale import GRADED_FINDING, UNMEASURED_FINDING, graded_measurements, measurements

IGNORE_INDEX = -100

INSTRUCTIONS: dict[str, list[str]] = {
    "motion_to_description": [
        "Describe the gait in this walking motion: {motion}",
        "Here is a walk recorded as motion tokens: {motion}\nDescribe the person's gait: speed, steps, arm swing, "
        "turning and rhythm.",
        "Analyse this walking motion and report its gait characteristics: {motion}",
        "{motion}\nWhat does this person's walking look like? Give an analytic gait description.",
    ],
    "description_to_motion": [
        "Generate a walking motion that matches this gait description: {description}",
        "Produce motion tokens for a person who walks as follows: {description}",
        "Here is a description of a gait: {description}\nWrite the walking motion as motion tokens.",
        "Synthesize the walk described here: {description}",
    ],
    "motion_to_rationale": [
        "Assess this walk for Parkinsonian gait impairment: {motion}\nReason about the feet, the arms and the "
        "overall gait, then give the MDS-UPDRS 3.10 gait score on a final line 'Score: N'.",
        "Rate the gait (MDS-UPDRS part III, item 3.10) of this walking motion: {motion}\nExplain your reasoning "
        "(Foot, Arm, Overall) and end with 'Score: N'.",
        "{motion}\nAs a movement-disorder examiner, describe the foot and arm findings of this walk, give an "
        "overall judgement and finish with the gait score as 'Score: N'.",
        "Here is a walk as motion tokens: {motion}\nWhat MDS-UPDRS 3.10 gait score does it deserve? Explain the "
        "foot, arm and overall findings first, then write 'Score: N' on the last line.",
    ],
}
# The one input each task's phrasings embed.
TASK_INPUTS = {
    "motion_to_description": "motion",
    "description_to_motion": "description",
    "motion_to_rationale": "motion",
}

# What a motion prompt gives beside its motion tokens (config `evidence` of both LLM stages): nothing (motion), the
# measured values (parameters: `agir.text.rationale.measurements`), or each value with its grade under the norms and
# each unmeasured parameter with the reason (graded: `agir.text.rationale.graded_measurements`).
Evidence = Literal["motion", "parameters", "graded"]
EVIDENCE_MODES: tuple[str, ...] = get_args(Evidence)
# Appended to a motion prompt in the parameters and graded modes.
MEASUREMENTS_LINE = "\nMeasured gait parameters: {measurements}."
_EVIDENCE_LINES = {"parameters": measurements, "graded": graded_measurements}

PLAIN_PROMPT = "### Instruction:\n{prompt}\n### Response:\n"
PLAIN_SYSTEM = "{system}\n\n"

# Changes whenever an instruction or a format changes, so a stage trained on other prompts can be recognised.
PROMPT_VERSION = (
    "1-"
    + hashlib.sha256(
        json.dumps(
            [INSTRUCTIONS, MEASUREMENTS_LINE, GRADED_FINDING, UNMEASURED_FINDING, PLAIN_PROMPT, PLAIN_SYSTEM],
            sort_keys=True,
        ).encode()
    ).hexdigest()[:10]
)


@dataclass
class SFTExample:
    input_ids: list[int]
    labels: list[int]  # -100 outside the answer + EOS; elsewhere equal to input_ids
    # Prompt tokens cut to fit max_length (the end of the motion span first): counted and reported, never silent.
    prompt_cut: int = 0
    # Where the answer's decision begins (a rationale's `Overall:` part: verdict and score), which training may weigh
    # more than the findings before it; None where the answer decides nothing.
    decision_start: int | None = None

    def __post_init__(self) -> None:
        if len(self.input_ids) != len(self.labels):
            raise ValueError(f"SFTExample has {len(self.input_ids)} input ids but {len(self.labels)} labels")
        if all(label == IGNORE_INDEX for label in self.labels):
            raise ValueError("SFTExample has no supervised token: every label is -100")
        if any(label not in (IGNORE_INDEX, token) for label, token in zip(self.labels, self.input_ids, strict=True)):
            raise ValueError("SFTExample labels must be -100 or equal to the input id at the same position")
        if self.decision_start is not None and not 0 <= self.decision_start < len(self.input_ids):
            raise ValueError(f"SFTExample decision_start {self.decision_start} lies outside {len(self.input_ids)} ids")


def build_prompt(
    task: str,
    rng: random.Random | None,
    *,
    motion: str | None = None,
    description: str | None = None,
    measurements: str | None = None,
) -> str:
    """One phrasing of `task`, drawn with `rng`, with its input (a motion-token span or a description) inserted,
    and the line of measured gait parameters (`evidence_line`) after it when given.

    `rng=None` takes the first phrasing: the canonical prompt of evaluation and assessment, so a file assessed alone
    meets exactly the prompt it met in the evaluated split."""
    if task not in INSTRUCTIONS:
        raise ValueError(f"unknown prompt task {task!r}; tasks: {', '.join(INSTRUCTIONS)}")
    inputs = {"motion": motion, "description": description}
    needed = TASK_INPUTS[task]
    if inputs[needed] is None:
        raise ValueError(f"prompt task {task!r} needs {needed}=")
    extra = [name for name, value in inputs.items() if value is not None and name != needed]
    if extra:
        raise ValueError(f"prompt task {task!r} takes only {needed}=, not {', '.join(extra)}=")
    if measurements is not None and needed != "motion":
        raise ValueError(f"prompt task {task!r} reads no motion, so it takes no measurements=")
    phrasing = INSTRUCTIONS[task][0] if rng is None else rng.choice(INSTRUCTIONS[task])
    prompt = phrasing.format(**{needed: inputs[needed]})
    return prompt if measurements is None else prompt + MEASUREMENTS_LINE.format(measurements=measurements)


def check_evidence(evidence: str) -> str:
    if evidence not in EVIDENCE_MODES:
        raise ValueError(f"unknown evidence mode {evidence!r}; modes: {', '.join(EVIDENCE_MODES)}")
    return evidence


def stage_evidence(metadata: Mapping) -> str:
    """The evidence mode of a stage's metadata (or of a stage section of its config). Stages saved before evidence
    modes recorded `measured_parameters: true/false`: the parameters and motion modes, whose prompts are theirs."""
    if "evidence" in metadata:
        return check_evidence(metadata["evidence"])
    return "parameters" if metadata.get("measured_parameters") else "motion"


def evidence_line(parameters: Mapping, evidence: str) -> str | None:
    """What `evidence` adds to a motion prompt from the measured `parameters` (with their `reasons`); None: nothing."""
    check_evidence(evidence)
    return _EVIDENCE_LINES[evidence](parameters) if evidence in _EVIDENCE_LINES else None


def task_prompt(
    task: str, rng: random.Random | None, inputs: Mapping[str, str], parameters: Mapping, evidence: str
) -> str:
    """The prompt of `task` with its input taken from `inputs`, followed, in a motion prompt, by what the stage's
    `evidence` mode gives of the measured `parameters`. `agir.pipeline.inference` builds a new file's prompt here too,
    with rng=None."""
    needed = TASK_INPUTS[task]
    line = evidence_line(parameters, evidence) if needed == "motion" else None
    return build_prompt(task, rng, **{needed: inputs[needed]}, measurements=line)


def encode_prompt(
    tokenizer, prompt: str, use_chat_template: bool = True, system: str | None = None, max_length: int | None = None
) -> list[int]:
    """The generation prompt: exactly the prompt part of `encode_example`, truncated to `max_length` if given."""
    if _chat(tokenizer, use_chat_template):
        ids = _chat_ids(tokenizer, _messages(prompt, system), add_generation_prompt=True)
    else:
        text = (PLAIN_SYSTEM.format(system=system) if system else "") + PLAIN_PROMPT.format(prompt=prompt)
        bos = [] if tokenizer.bos_token_id is None else [tokenizer.bos_token_id]
        ids = bos + tokenizer.encode(text, add_special_tokens=False)
    return ids if max_length is None else truncate_prompt(tokenizer, ids, max_length)


def encode_example(
    tokenizer, prompt: str, answer: str, max_length: int, use_chat_template: bool = True, system: str | None = None
) -> SFTExample:
    """Prompt + answer + EOS in at most `max_length` tokens; only the answer and EOS are supervised."""
    if not answer.strip():
        raise ValueError("empty answer: an SFT example needs at least one answer token to supervise")
    if tokenizer.eos_token_id is None:
        raise ValueError("the tokenizer has no EOS token, so the model could never learn to stop")
    prompt_ids = encode_prompt(tokenizer, prompt, use_chat_template, system)
    if _chat(tokenizer, use_chat_template):
        conversation = _chat_ids(tokenizer, _messages(prompt, system) + [{"role": "assistant", "content": answer}])
        # As trl does: the answer is what the full conversation adds after the generation prompt.
        if conversation[: len(prompt_ids)] != prompt_ids:
            raise ValueError(
                "the chat template does not render the prompt as a prefix of the whole conversation; "
                "set llm.use_chat_template=false"
            )
        answer_ids = conversation[len(prompt_ids) :]
    else:
        answer_ids = tokenizer.encode(answer, add_special_tokens=False)
    # Chat templates often end the turn with EOS plus a newline; add EOS only where the turn lacks it.
    if tokenizer.eos_token_id not in answer_ids:
        answer_ids.append(tokenizer.eos_token_id)
    room = max_length - len(answer_ids)
    if room < 1:
        raise ValueError(
            f"the answer and EOS take {len(answer_ids)} tokens, leaving no room for the prompt "
            f"within max_length={max_length}"
        )
    kept = truncate_prompt(tokenizer, prompt_ids, room)
    return SFTExample(kept + answer_ids, [IGNORE_INDEX] * len(kept) + answer_ids, len(prompt_ids) - len(kept))


def with_decision(tokenizer, example: SFTExample, marker: str) -> SFTExample:
    """`example` with its decision starting at the first answer token after `marker` (as decoded); unchanged where
    the answer does not contain it."""
    answer = next(i for i, label in enumerate(example.labels) if label != IGNORE_INDEX)

    def reached(end: int) -> bool:
        return marker in tokenizer.decode(example.input_ids[answer:end], skip_special_tokens=True)

    if not reached(len(example.input_ids)):
        return example
    # The decoded prefix contains the marker from some end on: the first such end, by bisection.
    low, high = answer, len(example.input_ids)
    while low < high:
        middle = (low + high) // 2
        low, high = (low, middle) if reached(middle) else (middle + 1, high)
    return replace(example, decision_start=min(low, len(example.input_ids) - 1))


def truncate_prompt(tokenizer, ids: list[int], max_length: int) -> list[int]:
    """Cut `ids` to `max_length`: the last motion codes go first (boundaries kept), then the middle of the prompt,
    so its beginning and its generation prompt at the end survive."""
    if max_length < 1:
        raise ValueError(f"a prompt needs max_length >= 1, got {max_length}")
    excess = len(ids) - max_length
    if excess <= 0:
        return list(ids)
    codes = _motion_code_positions(tokenizer, ids)
    dropped = set(codes[len(codes) - min(excess, len(codes)) :])
    ids = [token for position, token in enumerate(ids) if position not in dropped]
    if len(ids) > max_length:
        head = (max_length + 1) // 2
        ids = ids[:head] + ids[len(ids) - (max_length - head) :]
    return ids


def _chat(tokenizer, use_chat_template: bool) -> bool:
    return use_chat_template and getattr(tokenizer, "chat_template", None) is not None


def _messages(prompt: str, system: str | None) -> list[dict[str, str]]:
    return ([{"role": "system", "content": system}] if system else []) + [{"role": "user", "content": prompt}]


def _chat_ids(tokenizer, messages: list[dict[str, str]], add_generation_prompt: bool = False) -> list[int]:
    ids = tokenizer.apply_chat_template(
        messages, add_generation_prompt=add_generation_prompt, tokenize=True, return_dict=False
    )
    return list(ids)


def _motion_code_positions(tokenizer, ids: list[int]) -> list[int]:
    """Positions strictly between a `<motion_start>` and the next `<motion_end>`."""
    start, end = tokenizer.convert_tokens_to_ids([MOTION_START, MOTION_END])
    if start is None or start == tokenizer.unk_token_id:
        return []
    positions, inside = [], False
    for position, token in enumerate(ids):
        if token in (start, end):
            inside = token == start
        elif inside:
            positions.append(position)
    return positions
