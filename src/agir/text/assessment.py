"""The typed records of what a model says about a walk: `Assessment` (one per file, `agir.assess`) and `Prediction`
(one per corpus item: the reasoning stage's `predictions_{val,test}.jsonl` and `agir.evaluate`).

Both carry the verdict only where it rests on something: `evidence` says which of the parameters the MDS-UPDRS
3.10 examiner weighs were measured (`coverage`) and why the others were not; `warnings` are one line each for what
a reader must know (no turn in the clip, a root-relative skeleton walked from its foot contacts, an output that
repeated itself); `notes` (assessments) say what reading the file did (gaps filled, marker set or up axis chosen).
`score` is null and `abstained` says why when the output is no verdict (no strict `Score:` line, a repetition loop),
the model is unsure (the calibrated probability of its score under `min_confidence`) or the evidence is thin
(coverage under `min_coverage`): the `Abstention` rule; the probabilities are still given. The JSON shape of both
is docs/assessment.schema.json, which the tests validate outputs against. One builder each: `build_assessment`,
`build_prediction`; `failed_assessment` for a file that could not be used.
"""

from __future__ import annotations

import math
import numbers
import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field

from agir.motion.parameters import PARAMETERS
from agir.text.faithfulness import check_faithfulness
from agir.text.rationale import NAMES
from agir.text.score import SCORES, parse_score

# The parameters the 3.10 examiner weighs (agir.motion.parameters: stride amplitude and speed, foot lift, turning and
# arm swing). Evidence coverage is the share of these that were measured.
SCORE_KEYS = tuple(p.key for p in PARAMETERS if p.score_relevant)
# Below this share of SCORE_KEYS measured there is no score: a clip without stride length, speed and turns (a
# person standing still: 0 of 8) abstains, one without a turn (6 of 8) or toes (7 of 8) does not.
DEFAULT_MIN_COVERAGE = 0.5
# Below this calibrated probability of its own score the model holds that score less likely than the others together:
# more likely wrong than right, so no score is given.
DEFAULT_MIN_CONFIDENCE = 0.5
# Short heads for the measurement's reasons (agir.motion.gait_parameters) that a reader should see as a warning.
_REASON_HEADS = {
    "no turn of at least 90 degrees in the clip": "no turn in the clip",
    "layout has no toe joints": "no toe joints in the layout",
}
REPEATED = "output repeated itself"
UNBALANCED = "output lost its thread (unclosed brackets)"
# The start of the warning on a prompt cut to fit the model's length, and what counts them (agir.evaluate).
TRUNCATED = "prompt truncated"
# The start of the warning on a text decoded again where it began to repeat itself (agir.models.generate).
REDECODED = "output began to repeat itself"
# A run of words said this many times in a row, or an 8-word phrase this many times anywhere, is a loop. Shorter
# phrases recur in sound texts: a grade with its verb runs to seven words (`is a little below the typical range`),
# said of each finding that has it.
_LOOP_RUNS = 3
_LOOP_WORDS = 8
_WORD_RE = re.compile(r"[\w.%/-]+")


@dataclass
class Evidence:
    measured: list[str]  # score-relevant and other parameters with a value
    missing: dict[str, str]  # parameter -> why it is null
    coverage: float  # share of SCORE_KEYS measured
    methods: dict[str, str] = field(default_factory=dict)  # parameter -> how a value was obtained indirectly


@dataclass
class Assessment:
    file: str
    score: int | None
    abstained: str | None
    probabilities: dict[str, float] | None
    rationale: str | None
    parameters: dict | None
    evidence: Evidence | None
    warnings: list[str]
    notes: list[str]
    faithfulness: dict | None
    error: str | None

    def to_json(self) -> dict:
        return asdict(self)


@dataclass
class Prediction:
    id: str
    target: int
    score: int | None
    abstained: str | None
    probabilities: dict[str, float]
    rationale: str
    reference: str
    evidence: Evidence
    warnings: list[str]
    faithfulness: dict

    def to_json(self) -> dict:
        return asdict(self)


def check_share(name: str, value: float) -> float:
    """`value` if it is a share (0-1), else ValueError naming `name`."""
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{name} must lie in [0, 1], got {value}")
    return value


@dataclass(frozen=True)
class Abstention:
    """When a verdict is withheld besides a degenerate output: under `min_coverage` of SCORE_KEYS measured, or with
    the (calibrated) probability of the model's score under `min_confidence`; 0 turns either off."""

    min_coverage: float = DEFAULT_MIN_COVERAGE
    min_confidence: float = DEFAULT_MIN_CONFIDENCE

    def __post_init__(self) -> None:
        check_share("min_coverage", self.min_coverage)
        check_share("min_confidence", self.min_confidence)


def _has_value(value: object) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)


def evidence_of(parameters: Mapping) -> Evidence:
    """Which parameters were measured, why the others were not (the measurement's own `reasons`), the coverage of
    SCORE_KEYS and the `methods` the measurement reports for indirectly obtained values."""
    reasons = parameters.get("reasons") or {}
    keys = [key for key in NAMES if key in parameters]
    measured = [key for key in keys if _has_value(parameters[key])]
    missing = {key: str(reasons.get(key, "not measured")) for key in keys if key not in measured}
    coverage = sum(key in measured for key in SCORE_KEYS) / len(SCORE_KEYS)
    return Evidence(measured, missing, round(coverage, 4), dict(parameters.get("methods") or {}))


def repetition_start(text: str) -> int | None:
    """Where `text` begins to say again what it said, when it loops: the offset of the first word of the earliest
    repeated copy (the second of a run of 1-8 words said _LOOP_RUNS times in a row, or of a phrase of _LOOP_WORDS
    words said _LOOP_RUNS times anywhere, each taken back to where the copy first differs from what it repeats);
    None where it does not loop."""
    found = list(_WORD_RE.finditer(text))
    words = [match.group().lower().strip(".,") for match in found]
    copies: list[tuple[int, int]] = []  # (where a repeated text is first said, where it is said again)
    for size in range(1, 9):
        for start in range(len(words) - size * _LOOP_RUNS + 1):
            run = words[start : start + size]
            if all(words[start + k * size : start + (k + 1) * size] == run for k in range(1, _LOOP_RUNS)):
                copies.append((start, start + size))
                break
    said: dict[tuple[str, ...], list[int]] = {}
    for start in range(len(words) - _LOOP_WORDS + 1):
        said.setdefault(tuple(words[start : start + _LOOP_WORDS]), []).append(start)
    copies += [(starts[0], starts[1]) for starts in said.values() if len(starts) >= _LOOP_RUNS]
    if not copies:
        return None
    again = []
    for first, second in copies:
        while first > 0 and words[first - 1] == words[second - 1]:
            first, second = first - 1, second - 1
        again.append(second)
    return found[min(again)].start()


def repeated_itself(text: str) -> bool:
    """Whether `text` loops: a run of 1-8 words said _LOOP_RUNS times in a row (`stride length, stride length,
    stride length`), or a phrase of _LOOP_WORDS words _LOOP_RUNS times anywhere."""
    return repetition_start(text) is not None


def unbalanced(text: str) -> bool:
    """Whether a line of `text` opens a bracket it does not close, or nests one: texts bracket a value or a grade
    at a time (`speed (0.95 m/s) is reduced`, `stride length (reduced)`), so an output that does not has lost its
    thread (`cadence (within the typical range, with speed (within ...`)."""
    for line in text.splitlines():
        depth = 0
        for char in line:
            depth += (char == "(") - (char == ")")
            if not 0 <= depth <= 1:
                return True
        if depth:
            return True
    return False


def measurement_warnings(evidence: Evidence) -> list[str]:
    """One line per way values were obtained indirectly (`root-relative skeleton: root path reconstructed from foot
    contacts ...: speed, stride length, ... obtained so`), then one per reason parameters are missing (`no turn in
    the clip: turn duration, steps in the turn not measured`)."""
    by_method: dict[str, list[str]] = {}
    for key, method in evidence.methods.items():
        if key in NAMES:
            by_method.setdefault(method.split(";")[0], []).append(NAMES[key])
    warnings = [f"{method}: {', '.join(names)} obtained so" for method, names in by_method.items()]
    by_reason: dict[str, list[str]] = {}
    for key, reason in evidence.missing.items():
        by_reason.setdefault(_REASON_HEADS.get(reason, reason), []).append(NAMES[key])
    return warnings + [f"{head}: {', '.join(names)} not measured" for head, names in by_reason.items()]


def _verdict(
    rationale: str, probabilities: Sequence[float], evidence: Evidence, rule: Abstention
) -> tuple[int | None, str | None, list[str]]:
    """(score, why there is none, warnings about the output). Thin evidence is the first reason: it holds whatever
    the model wrote."""
    score, warnings, reason = parse_score(rationale), [], None
    if repeated_itself(rationale):
        score, reason = None, f"no verdict: the {REPEATED}"
        warnings.append(REPEATED)
    elif unbalanced(rationale):
        score, reason = None, f"no verdict: the {UNBALANCED}"
        warnings.append(UNBALANCED)
    elif score is None:
        reason = "no verdict: the output has no valid `Score: N` line"
        warnings.append("output has no valid score line")
    elif (confidence := float(probabilities[score])) < rule.min_confidence:
        reason = (
            f"low confidence: P(score {score}) = {confidence:.2f}, under the minimum {rule.min_confidence:.2f}; "
            "the model's score is not given"
        )
        score = None
    if evidence.coverage < rule.min_coverage:
        measured = round(evidence.coverage * len(SCORE_KEYS))
        what = "nothing the score rests on was measured" if not measured else "thin evidence"
        score = None
        reason = (
            f"{what}: {measured} of {len(SCORE_KEYS)} score-relevant parameters measured "
            f"(minimum {rule.min_coverage:.0%}); the model's score is not given"
        )
    return score, reason, warnings


def truncation_warning(prompt_cut: int) -> list[str]:
    """The warning of a prompt that lost `prompt_cut` tokens to fit the model's length (none when nothing was cut)."""
    if prompt_cut <= 0:
        return []
    return [
        f"{TRUNCATED}: {prompt_cut} tokens cut to fit llm.max_length, the end of the motion span first, so the "
        "model read only part of the walk"
    ]


def redecode_warning(redecoded: int) -> list[str]:
    """The warning of a text decoded again `redecoded` times from where it began to repeat itself (none at 0)."""
    if redecoded <= 0:
        return []
    times = "once" if redecoded == 1 else f"{redecoded} times"
    return [
        f"{REDECODED}: decoded again from there {times}, the repeated words refused, so the text goes on with the "
        "model's next choice there"
    ]


def _warns(record: Mapping, start: str) -> bool:
    return any(warning.startswith(start) for warning in record.get("warnings") or [])


def is_truncated(record: Mapping) -> bool:
    """Whether a prediction or assessment (as JSON) was made from a truncated prompt."""
    return _warns(record, TRUNCATED)


def is_redecoded(record: Mapping) -> bool:
    """Whether a prediction or assessment (as JSON) holds a text decoded again where it began to repeat itself."""
    return _warns(record, REDECODED)


def _judged(
    rationale: str,
    probabilities: Sequence[float],
    parameters: Mapping,
    rule: Abstention,
    prompt_cut: int,
    redecoded: int,
) -> dict:
    """What both records share: verdict, abstention, evidence, warnings and faithfulness of one generated text."""
    evidence = evidence_of(parameters)
    score, abstained, output_warnings = _verdict(rationale, probabilities, evidence, rule)
    return {
        "score": score,
        "abstained": abstained,
        "evidence": evidence,
        "warnings": [
            *truncation_warning(prompt_cut),
            *measurement_warnings(evidence),
            *redecode_warning(redecoded),
            *output_warnings,
        ],
        "faithfulness": check_faithfulness(rationale, parameters, score),
    }


def probability_map(row: Sequence[float]) -> dict[str, float]:
    """Probabilities of scores 0-3 as `{"0": p0, ..., "3": p3}`, rounded to 6 decimals."""
    return {str(score): round(float(p), 6) for score, p in zip(SCORES, row, strict=True)}


def build_assessment(
    file: str,
    rationale: str,
    probabilities: Sequence[float],
    parameters: Mapping,
    rule: Abstention = Abstention(),
    notes: Sequence[str] = (),
    prompt_cut: int = 0,
    redecoded: int = 0,
) -> Assessment:
    """The assessment of one file from its generated rationale, calibrated score probabilities and measured
    parameters, its score withheld as `rule` says; `notes` say what reading the file did (agir.motion.load_options);
    `prompt_cut` is how many prompt tokens were cut to fit the model and `redecoded` how many times the text was
    decoded again where it began to repeat itself (a warning when either is not 0)."""
    judged = _judged(rationale, probabilities, parameters, rule, prompt_cut, redecoded)
    return Assessment(
        file=file,
        probabilities=probability_map(probabilities),
        rationale=rationale,
        parameters=dict(parameters),
        notes=list(notes),
        error=None,
        **judged,
    )


def failed_assessment(file: str, error: str) -> Assessment:
    """A file that could not be used: `error` (one line naming the file), nothing else."""
    return Assessment(file, None, None, None, None, None, None, [], [], None, error)


def build_prediction(
    item_id: str,
    target: int,
    rationale: str,
    probabilities: Sequence[float],
    reference: str,
    parameters: Mapping,
    rule: Abstention = Abstention(),
    prompt_cut: int = 0,
    redecoded: int = 0,
) -> Prediction:
    """The prediction for one corpus item, judged exactly as `build_assessment` judges a file."""
    judged = _judged(rationale, probabilities, parameters, rule, prompt_cut, redecoded)
    return Prediction(
        id=item_id,
        target=int(target),
        probabilities=probability_map(probabilities),
        rationale=rationale,
        reference=reference,
        **judged,
    )
