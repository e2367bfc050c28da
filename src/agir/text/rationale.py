"""Analytic gait descriptions and chain-of-thought rationales written from measured gait parameters.

Both take the `Foot: ... Arm: ... Overall: ...` shape of the AGIR annotations; a rationale ends with the fixed line
`Score: N`. Every number is written by `format_value` right after a label that names its parameter, so
`agir.text.claims.extract_claims` reads each claim back. Per-parameter grades come from `agir.text.norms` and never
use the overall severity words (normal, slight, mild, moderate): those appear only in a rationale's verdict, which
follows the MDS-UPDRS 3.10 wording of its score. Phrasing (labels, grade synonyms, templates, clause order, which
typical findings are mentioned) is drawn from the caller's seeded `random.Random`.
"""

from __future__ import annotations

import math
import numbers
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace

from agir.motion.parameters import WRITTEN, Written
from agir.text.claims import FREEZING_KEY
from agir.text.norms import NORMS, TYPICAL, grade, grade_level, near_limit
from agir.text.score import with_score

# Opens a text's last part: a description's summary, a rationale's reasoning towards its verdict and score.
OVERALL = "Overall:"
# How a text says that freezing was seen (`shown`: the count as format_value writes it, its label before it).
FREEZING_SEEN = "freezing of gait is observed ({shown})"
FREEZING_AFTER_THERE_IS = "freezing of gait ({shown})"
# Units are m/s, steps/min, m, cm, %, degrees, s, steps and freezing episodes: the forms claims.py reads.
FORMATS: dict[str, Written] = {p.key: p.written for p in WRITTEN}
# Decimals of each parameter as written, in its written unit (step width and foot clearance are written in cm).
PRECISION: dict[str, int] = {key: fmt.decimals for key, fmt in FORMATS.items()}
# Labels written right before a parameter's number; each is read back by claims.py as that parameter only.
LABELS: dict[str, tuple[str, ...]] = {p.key: p.labels for p in WRITTEN if p.labels}
# How a rationale's overall sentence names a parameter, without its number.
NAMES: dict[str, str] = {p.key: p.name for p in WRITTEN}
GRADE_PHRASES: dict[str, tuple[str, ...]] = {
    TYPICAL: ("within the typical range", "typical", "within reference limits", "unremarkable"),
    "somewhat reduced": ("somewhat reduced", "a little below the typical range", "borderline low"),
    "reduced": ("reduced", "below the typical range", "decreased"),
    "markedly reduced": ("markedly reduced", "well below the typical range", "clearly reduced"),
    "somewhat increased": ("somewhat increased", "a little above the typical range", "borderline high"),
    "increased": ("increased", "above the typical range", "elevated"),
    "markedly increased": ("markedly increased", "well above the typical range", "clearly increased"),
}
# Grade phrases only one parameter is given: (parameter, grade) -> phrases.
KEY_GRADE_PHRASES: dict[tuple[str, str], tuple[str, ...]] = {("speed_m_s", "reduced"): ("slow",)}

# The MDS-UPDRS 3.10 verdict per score: the only clauses with overall severity words.
VERDICTS: dict[int, tuple[str, ...]] = {
    0: ("gait is normal, with no problems", "the gait is normal and shows no impairment", "walking is normal"),
    1: (
        "the person walks independently with slight, minor impairment",
        "gait is slightly impaired while walking stays independent",
        "there is slight impairment, with independent walking",
    ),
    2: (
        "the person walks independently but the impairment is substantial, a mild gait disorder",
        "walking is independent, yet the impairment is substantial: mild",
        "gait is mildly impaired: independent walking with substantial impairment",
    ),
    3: (
        "the impairment is moderate and safe walking requires an assistive device",
        "gait is moderately impaired, so an assistive device is needed for safe walking",
        "there is moderate impairment, and walking safely needs an assistive device",
    ),
}

# In the order a tie in deviation is broken: step lengths add little next to stride length.
FOOT_KEYS = (
    "speed_m_s",
    "stride_length_m",
    "foot_clearance_m",
    "stride_time_cv_pct",
    "cadence_steps_min",
    "double_support_pct",
    "step_width_m",
    "step_length_left_m",
    "step_length_right_m",
)
ARM_KEYS = ("arm_swing_left_deg", "arm_swing_right_deg", "arm_swing_asymmetry_pct")
TURN_KEYS = ("turn_duration_s", "turn_steps")
# What the 3.10 examiner weighs first (stride amplitude and speed, then arm swing): reported whenever measured,
# room allowing. Speed and both arms are reported always.
CORE_FOOT_KEYS = ("speed_m_s", "stride_length_m", "cadence_steps_min")
STEP_KEYS = ("step_length_left_m", "step_length_right_m")
TRUNK = "trunk_flexion_deg"
ASYMMETRY = "arm_swing_asymmetry_pct"
# Texts longer than this are rewritten with a terser budget (AGIR's rationales run 23-66 words, ours carry numbers).
MAX_WORDS = 72


@dataclass(frozen=True)
class _Budget:
    """How much one text reports; tried from generous to terse until the text fits in MAX_WORDS."""

    foot_findings: int  # numbers in the Foot part besides turn and freezing
    least_level: int  # least deviation (norms.grade_level) at which turn, trunk and asymmetry are always reported
    typical_chance: float  # chance of reporting them when typical, for variety
    cited: int  # findings named in the reasoning of a rationale


# Secondary findings go before core ones; level 4 is beyond any grade (never reported).
_BUDGETS = (
    _Budget(4, 1, 0.4, 3),
    _Budget(3, 2, 0.0, 2),
    _Budget(3, 3, 0.0, 2),
    _Budget(3, 4, 0.0, 2),
    _Budget(2, 4, 0.0, 2),
    _Budget(1, 4, 0.0, 1),
)


# What a text says of a parameter that was not measured, where it would give its number.
NOT_MEASURABLE = "not measurable"
# The foot findings whose absence a text states: the core ones, foot lift and the turn.
UNMEASURED_FOOT_KEYS = CORE_FOOT_KEYS + ("foot_clearance_m",) + TURN_KEYS


def _is_number(value: object) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)


def format_value(key: str, value: float) -> str:
    """The one way a measured value becomes text, with its unit: `1.12 m/s`, `38 degrees`, `4.5 cm`, `14%`."""
    if key not in FORMATS:
        raise ValueError(f"no text format for parameter {key!r}")
    if not _is_number(value):
        raise ValueError(f"{key} must be a finite number, got {value!r}")
    fmt = FORMATS[key]
    number = f"{value * fmt.scale:.{fmt.decimals}f}"
    if float(number) == 0:
        number = number.lstrip("-")  # no "-0 degrees"
    if fmt.unit == "%":
        return f"{number}%"
    return f"{number} {fmt.singular if fmt.singular and float(number) == 1 else fmt.unit}"


def measurements(parameters: Mapping) -> str:
    """Every measured parameter as `name value`, in a fixed order, written exactly as texts write them."""
    values = measured_values(parameters)
    return "; ".join(f"{NAMES[key]} {format_value(key, value)}" for key, value in values.items()) or "none"


# How `graded_measurements` writes a finding, and the parameters a reason left unmeasured (agir.text.prompts hashes
# both into its PROMPT_VERSION).
GRADED_FINDING = "{name} {value} ({grade})"
UNMEASURED_FINDING = "{names} " + NOT_MEASURABLE + " ({reason})"


def graded_measurements(parameters: Mapping) -> str:
    """The findings as a measurement tool hands them to a clinician: every measured parameter as `name value
    (grade)` (its grade under agir.text.norms, taken from the value as written; no grade where it has no norm), then
    the parameters that were not measured as `names not measurable (reason)`, grouped by the measurement's reason
    (`parameters["reasons"]`), in a fixed order."""
    values = measured_values(parameters)
    findings = [
        GRADED_FINDING.format(name=NAMES[key], value=format_value(key, value), grade=grade(key, value))
        if key in NORMS
        else f"{NAMES[key]} {format_value(key, value)}"
        for key, value in values.items()
    ]
    reasons = parameters.get("reasons") or {}
    unmeasured: dict[str, list[str]] = {}
    for key in FORMATS:
        if key not in values:
            unmeasured.setdefault(str(reasons.get(key) or ""), []).append(NAMES[key])
    findings += [
        UNMEASURED_FINDING.format(names=_join(names), reason=reason) if reason else f"{_join(names)} {NOT_MEASURABLE}"
        for reason, names in unmeasured.items()
    ]
    return "; ".join(findings)


def _shown(key: str, value: float) -> float:
    """`value` rounded as format_value writes it: grades are taken from this, so a text agrees with its numbers."""
    fmt = FORMATS[key]
    return round(value * fmt.scale, fmt.decimals) / fmt.scale


def measured_values(parameters: Mapping) -> dict[str, float]:
    """The measured (non-None) parameters that text is written about, checked and rounded as written."""
    if not isinstance(parameters, Mapping):
        raise ValueError(f"parameters must be a dict of gait parameters, got {type(parameters).__name__}")
    values = {}
    for key in FORMATS:
        value = parameters.get(key)
        if value is None:
            continue
        if not _is_number(value):
            raise ValueError(f"parameter {key} must be a finite number or None, got {value!r}")
        values[key] = _shown(key, float(value))
    return values


def _sentences(clauses: list[str], rng: random.Random) -> str:
    """Clauses joined into one sentence, or into several, capitalised and closed."""
    joiner = rng.choice(("; ", ". "))
    return joiner.join(c[:1].upper() + c[1:] if joiner == ". " or i == 0 else c for i, c in enumerate(clauses)) + "."


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _level(key: str, values: dict[str, float]) -> int:
    return grade_level(key, values[key]) if key in values else 0


def _reported(key: str, values: dict[str, float], budget: _Budget, rng: random.Random) -> bool:
    """Whether a secondary finding (turn, trunk, asymmetry) makes it into the text."""
    if key not in values:
        return False
    level = grade_level(key, values[key])
    return level >= budget.least_level if level > 0 else rng.random() < budget.typical_chance


def _grade_phrase(key: str, value: float, rng: random.Random) -> str:
    word = grade(key, value)
    return rng.choice(GRADE_PHRASES[word] + KEY_GRADE_PHRASES.get((key, word), ()))


def _finding_clause(key: str, values: dict[str, float], rng: random.Random) -> str:
    """One finding: label, number, grade. Every grade comes right after the one parameter it grades, so grounded
    generation knows the parameter when it starts one, and never has a grade shared by findings whose grades differ."""
    label, word = rng.choice(LABELS[key]), _grade_phrase(key, values[key], rng)
    return rng.choice(("{l} is {v}, {g}", "{l} of {v} is {g}", "{l} measures {v}, {g}", "{l} ({v}) is {g}")).format(
        l=label, v=format_value(key, values[key]), g=word
    )


def _graded_clauses(keys: list[str], values: dict[str, float], rng: random.Random) -> list[str]:
    """One clause per finding, in random order."""
    clauses = [_finding_clause(key, values, rng) for key in keys]
    rng.shuffle(clauses)
    return clauses


def _by_deviation(keys: tuple[str, ...], values: dict[str, float]) -> list[str]:
    """Measured out-of-range keys, most deviant first (in the order of `keys` within a level)."""
    return sorted((k for k in keys if _level(k, values) > 0), key=lambda k: -_level(k, values))


def _near_limits(values: dict[str, float]) -> dict[str, str]:
    """Typical values close to an end of their range, with that end ("lower"/"upper")."""
    ends = {k: near_limit(k, values[k]) for k in values if k in NORMS}
    return {k: end for k, end in ends.items() if end}


def _foot_keys(values: dict[str, float], budget: _Budget, rng: random.Random) -> list[str]:
    """Speed, the most deviant findings, values near a limit, the other core ones, then one random typical one.

    Step lengths repeat the stride length; they are only reported by chance or when the stride is not measured.
    """
    redundant = STEP_KEYS if "stride_length_m" in values else ()
    candidates = (
        ["speed_m_s"]
        + [k for k in _by_deviation(FOOT_KEYS, values) if k not in redundant]
        + [k for k in _near_limits(values) if k in FOOT_KEYS and k not in redundant]
    )
    chosen: list[str] = []
    for key in candidates + list(CORE_FOOT_KEYS):
        if key in values and key not in chosen and len(chosen) < budget.foot_findings:
            chosen.append(key)
    rest = [k for k in FOOT_KEYS if k in values and k not in chosen]
    if rest and len(chosen) < budget.foot_findings and rng.random() < 0.5:
        chosen.append(rng.choice(rest))
    return [k for k in FOOT_KEYS if k in chosen]


def _turn_clause(values: dict[str, float], rng: random.Random) -> str:
    measured = [k for k in TURN_KEYS if k in values]
    shown = " and ".join(f"{format_value(k, values[k])} ({_grade_phrase(k, values[k], rng)})" for k in measured)
    clause = rng.choice(("the turn takes ", "turning takes ")) + shown
    if _level("turn_steps", values) >= 2:
        clause += rng.choice((", en bloc", " with an en-bloc turn"))
    return clause


def _freezing_clauses(values: dict[str, float], rng: random.Random) -> list[str]:
    if FREEZING_KEY not in values:
        return []
    count = values[FREEZING_KEY]
    if count == 0:
        return [rng.choice(("no freezing is observed", "there is no freezing of gait", "no freezing occurs"))]
    # The label comes before the count, as before every number, so a reader (and grounded generation) knows what
    # the number is about when it starts.
    shown = format_value(FREEZING_KEY, count)
    return [rng.choice((FREEZING_SEEN.format(shown=shown), f"freezing of gait: {shown}"))]


def freezing_statement(parameters: Mapping, after_there_is: bool = False) -> str | None:
    """What a text says of freezing where it began to claim there was none (`No` ..., `there is no` ...): the
    measured count (`freezing of gait is observed (1 freezing episode)`; after `there is`, `freezing of gait (1
    freezing episode)`), or, where freezing was not measured, `freezing is not measurable` (nothing after `there is`).
    None where no freezing was measured, which makes the claim true."""
    values = measured_values(parameters)
    count = values.get(FREEZING_KEY)
    if count == 0:
        return None
    if count is None:
        return None if after_there_is else f"{NAMES[FREEZING_KEY]} is {NOT_MEASURABLE}"
    shown = format_value(FREEZING_KEY, count)
    return FREEZING_AFTER_THERE_IS.format(shown=shown) if after_there_is else FREEZING_SEEN.format(shown=shown)


def _unmeasured(parameters: Mapping, keys: tuple[str, ...]) -> list[str]:
    """`speed and stride length are not measurable`: what a text says instead of a number that was not measured,
    and what grounded generation writes where a model starts one (agir.models.grounding)."""
    missing = [k for k in keys if parameters.get(k) is None]
    turn = all(k in missing for k in TURN_KEYS)  # no turn in the clip: one name for both
    names = [NAMES[k] for k in missing if not (turn and k in TURN_KEYS)] + (["turning"] if turn else [])
    verb = "is" if len(names) == 1 else "are"
    return [f"{_join(names)} {verb} {NOT_MEASURABLE}"] if names else []


def _foot_part(parameters: Mapping, values: dict[str, float], budget: _Budget, rng: random.Random) -> str:
    clauses = _graded_clauses(_foot_keys(values, budget, rng), values, rng)
    if _level("foot_clearance_m", values) >= 2 and _level("stride_length_m", values) >= 2:
        clauses.append(rng.choice(("the pattern suggests shuffling", "steps are short and shuffling")))
    turn_key = max((k for k in TURN_KEYS if k in values), key=lambda k: _level(k, values), default=None)
    if turn_key and _reported(turn_key, values, budget, rng):
        clauses.append(_turn_clause(values, rng))
    clauses += _freezing_clauses(values, rng) + _unmeasured(parameters, UNMEASURED_FOOT_KEYS)
    return "Foot: " + _sentences(clauses, rng)


def _arm_part(parameters: Mapping, values: dict[str, float], budget: _Budget, rng: random.Random) -> str:
    sides = [k for k in ARM_KEYS[:2] if k in values]
    if len(sides) == 2 and rng.random() < 0.3:
        left, right = (
            f"{format_value(k, values[k])} on the {side} ({_grade_phrase(k, values[k], rng)})"
            for k, side in zip(sides, ("left", "right"), strict=True)
        )
        clauses = [f"arm swing is {left} and {right}"]
    else:
        clauses = _graded_clauses(sides, values, rng)
    if _reported(ASYMMETRY, values, budget, rng):
        clause = _finding_clause(ASYMMETRY, values, rng)
        if len(sides) == 2 and _level(ASYMMETRY, values) > 0:
            smaller = "left" if values[sides[0]] < values[sides[1]] else "right"
            clause = rng.choice((f"the {smaller} arm swings less: ", f"less swing on the {smaller}: ")) + clause
        clauses.append(clause)
    clauses += _unmeasured(parameters, ARM_KEYS[:2])
    return "Arm: " + _sentences(clauses, rng)


def _trunk_clauses(values: dict[str, float], budget: _Budget, rng: random.Random) -> list[str]:
    if not _reported(TRUNK, values, budget, rng):
        return []
    clause = _finding_clause(TRUNK, values, rng)
    if _level(TRUNK, values) >= 2 and values[TRUNK] > 0:
        clause += rng.choice((", a stooped posture", " (stooped)"))
    return [clause]


def _cited(keys: list[str], values: dict[str, float], limit: int) -> list[str]:
    """Up to `limit` findings named with each one's grade right after it, no numbers: `speed (markedly reduced)`,
    `left arm swing (reduced)`. Step lengths give way to stride length."""
    named = [key for key in keys if not (key in STEP_KEYS and "stride_length_m" in keys)][:limit]
    return [f"{NAMES[key]} ({grade(key, values[key])})" for key in named]


def _reasoning(values: dict[str, float], score: int, budget: _Budget, rng: random.Random) -> str:
    """Why the findings support `score`, ending in the 3.10 verdict of that score."""
    verdict = rng.choice(VERDICTS[score])
    if not values:
        return f"with no gait parameter measured, only the rating can be given: {verdict}"
    abnormal = _by_deviation(FOOT_KEYS + ARM_KEYS + TURN_KEYS + (TRUNK,), values)
    freezing = values.get("freezing_episodes", 0) > 0
    typical_core = [
        k for k in ("speed_m_s", "stride_length_m", "arm_swing_left_deg") if k in values and _level(k, values) == 0
    ]
    if score == 0:
        if abnormal or freezing:
            named = _join(_cited(abnormal, values, min(budget.cited, 2))) if abnormal else "freezing"
            return rng.choice(
                (f"apart from {named}, the findings are typical and {verdict}", f"despite {named}, {verdict}")
            )
        if not typical_core:
            return verdict
        no_freezing = ", with no freezing" if values.get("freezing_episodes") == 0 else ""
        support = _join(_cited(typical_core, values, len(typical_core)))
        return rng.choice((f"with {support}{no_freezing}, {verdict}", f"{verdict}: {support}{no_freezing}"))
    if abnormal or freezing:
        named = _join(_cited(abnormal, values, budget.cited) + (["freezing episodes"] if freezing else []))
        reason = rng.choice(
            (
                f"{named}: the findings indicate that {verdict}",
                f"given the {named}, {verdict}",
                f"with {named}, {verdict}",
            )
        )
        if typical_core and score >= 2 and rng.random() < 0.7:
            return f"although {NAMES[typical_core[0]]} is within the typical range, {reason}"
        return reason
    ends = list(_near_limits(values).items())[: budget.cited]
    if ends:
        by_end: dict[str, list[str]] = {}
        for key, end in ends:
            by_end.setdefault(end, []).append(NAMES[key])
        near = _join([f"{_join(names)} at the {end} end" for end, names in by_end.items()])
        return f"although the measured values stay within typical ranges, with {near}, {verdict}"
    return f"although the measured values stay within typical ranges, the rating holds that {verdict}"


def _summary(values: dict[str, float], budget: _Budget, rng: random.Random) -> str:
    """What a description says overall: the deviations, named with their grades, and nothing about severity."""
    if not values:
        return "no gait parameter could be measured"
    abnormal = _by_deviation(FOOT_KEYS + ARM_KEYS + TURN_KEYS, values)
    if not abnormal:
        return rng.choice(
            ("all measured values lie within typical ranges", "no measured value falls outside its reference range")
        )
    named = _join(_cited(abnormal, values, budget.cited + 1))
    return rng.choice(
        (
            f"outside the typical range: {named}",
            f"the deviations from reference values are {named}",
            f"in summary, {named}",
        )
    )


def _fitted(write: Callable[[_Budget], str], rng: random.Random) -> str:
    """The first text within MAX_WORDS, from the most generous budget down; each try draws the same random numbers."""
    state = rng.getstate()
    for budget in _BUDGETS:
        rng.setstate(state)
        text = write(budget)
        if len(text.split()) <= MAX_WORDS:
            break
    return text


def describe(parameters: Mapping, rng: random.Random) -> str:
    """An analytic description of the gait, `Foot: ... Arm: ... Overall: ...`, with no score and no verdict."""
    values = measured_values(parameters)

    def write(budget: _Budget) -> str:
        foot, arm = _foot_part(parameters, values, budget, rng), _arm_part(parameters, values, budget, rng)
        # Posture belongs in a description more often than in a rationale, room allowing.
        trunk_budget = replace(budget, typical_chance=0.7 if budget.typical_chance else 0.0)
        overall = _sentences(_trunk_clauses(values, trunk_budget, rng) + [_summary(values, budget, rng)], rng)
        return "\n".join((foot, arm, f"{OVERALL} " + overall))

    return _fitted(write, rng)


def rationale(parameters: Mapping, score: int, rng: random.Random) -> str:
    """A chain-of-thought rationale for MDS-UPDRS 3.10 `score` (0-3), ending with the line `Score: N`."""
    if not isinstance(score, numbers.Integral) or isinstance(score, bool) or score not in VERDICTS:
        raise ValueError(f"score must be an integer 0-3, got {score!r}")
    values = measured_values(parameters)

    def write(budget: _Budget) -> str:
        foot, arm = _foot_part(parameters, values, budget, rng), _arm_part(parameters, values, budget, rng)
        overall = _sentences(_trunk_clauses(values, budget, rng) + [_reasoning(values, score, budget, rng)], rng)
        return with_score("\n".join((foot, arm, f"{OVERALL} " + overall)), score)

    return _fitted(write, rng)
