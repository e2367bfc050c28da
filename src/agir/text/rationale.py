"""Analytic gait descriptions and chain-of-thought rationales written from measured gait parameters.

Both take the `Foot: ... Arm: ... Overall: ...` shape of the AGIR annotations; a rationale ends with the fixed line
`Score: N`. Every number is written by `format_value` from a measured parameter, next to a label that names the
parameter, so `agir.text.claims.extract_claims` can read each claim back. Phrasing (synonyms, clause order, which
typical findings are mentioned) is drawn from the caller's seeded `random.Random`.
"""

from __future__ import annotations

import random

from agir.text.norms import TYPICAL, grade, is_abnormal

# How each parameter is written: format, unit, and the factor from the parameter's unit to the written one.
FORMATS: dict[str, tuple[str, str, float]] = {
    "speed_m_s": ("{:.2f}", "m/s", 1.0),
    "cadence_steps_min": ("{:.0f}", "steps/min", 1.0),
    "stride_length_m": ("{:.2f}", "m", 1.0),
    "step_length_left_m": ("{:.2f}", "m", 1.0),
    "step_length_right_m": ("{:.2f}", "m", 1.0),
    "step_width_m": ("{:.0f}", "cm", 100.0),
    "stride_time_cv_pct": ("{:.1f}", "%", 1.0),
    "double_support_pct": ("{:.0f}", "%", 1.0),
    "foot_clearance_m": ("{:.1f}", "cm", 100.0),
    "arm_swing_left_deg": ("{:.0f}", "degrees", 1.0),
    "arm_swing_right_deg": ("{:.0f}", "degrees", 1.0),
    "arm_swing_asymmetry_pct": ("{:.0f}", "%", 1.0),
    "trunk_flexion_deg": ("{:.0f}", "degrees", 1.0),
    "turn_duration_s": ("{:.1f}", "s", 1.0),
    "turn_steps": ("{:.0f}", "steps", 1.0),
    "freezing_episodes": ("{:.0f}", "freezing episodes", 1.0),
}
PRECISION: dict[str, int] = {key: int(fmt[3]) for key, (fmt, _, _) in FORMATS.items()}

# Labels that name a parameter right before its number (claims.py reads them back; each is unique to its key).
LABELS: dict[str, tuple[str, ...]] = {
    "speed_m_s": ("walking speed", "gait speed"),
    "cadence_steps_min": ("cadence", "step rate"),
    "stride_length_m": ("stride length", "stride amplitude"),
    "step_length_left_m": ("left step length",),
    "step_length_right_m": ("right step length",),
    "step_width_m": ("step width", "base of support"),
    "stride_time_cv_pct": ("stride-time variability", "stride-to-stride variability"),
    "double_support_pct": ("double support", "double-support time"),
    "foot_clearance_m": ("foot clearance", "foot lift"),
    "arm_swing_left_deg": ("left arm swing",),
    "arm_swing_right_deg": ("right arm swing",),
    "arm_swing_asymmetry_pct": ("arm-swing asymmetry", "left-right asymmetry of arm swing"),
    "trunk_flexion_deg": ("trunk flexion", "forward trunk lean"),
    "turn_duration_s": ("turn duration", "turning time"),
    "turn_steps": ("turn steps",),
}

# The MDS-UPDRS 3.10 verdict per score: the only place overall severity words appear.
VERDICTS: dict[int, tuple[str, ...]] = {
    0: ("gait is normal, with no impairment", "the walk is normal overall, without gait impairment",
        "overall the gait is normal"),
    1: ("the person walks independently with slight, minor impairment",
        "there is slight gait impairment while walking independently",
        "the gait shows minor impairment, walking independently"),
    2: ("the person walks independently but the impairment is mild to substantial",
        "walking is independent, yet the gait impairment is substantial, a mild grade on the MDS-UPDRS gait item",
        "a mild but substantial gait impairment is present with independent walking"),
    3: ("the impairment is moderate and walking would need an assistive device to be safe",
        "moderate gait impairment: safe walking requires an assistive device",
        "the gait is moderately impaired, consistent with needing an assistive device"),
}

FOOT_KEYS = ("speed_m_s", "stride_length_m", "cadence_steps_min", "step_length_left_m", "step_length_right_m",
             "step_width_m", "stride_time_cv_pct", "double_support_pct", "foot_clearance_m")
ARM_KEYS = ("arm_swing_left_deg", "arm_swing_right_deg", "arm_swing_asymmetry_pct")
# Always reported when measured: the 3.10 criteria weigh stride amplitude and speed first.
CORE_KEYS = ("speed_m_s", "stride_length_m", "cadence_steps_min", "arm_swing_left_deg", "arm_swing_right_deg")


def format_value(key: str, value: float) -> str:
    """The one way a measured value becomes text, with its unit: `1.12 m/s`, `38 degrees`, `4.5 cm`."""
    fmt, unit, factor = FORMATS[key]
    number = fmt.format(value * factor)
    return f"{number}{unit}" if unit == "%" else f"{number} {unit}"


def _grade_phrase(key: str, value: float, rng: random.Random) -> str:
    word = grade(key, value)
    if word == TYPICAL:
        return rng.choice((TYPICAL, "within the reference range", "unremarkable"))
    return word


def _finding(key: str, value: float, rng: random.Random) -> str:
    label = rng.choice(LABELS[key])
    shown = format_value(key, value)
    pattern = rng.choice(("{label} is {shown} ({grade})", "{label} of {shown} is {grade}",
                          "{label} measures {shown}, {grade}"))
    return pattern.format(label=label, shown=shown, grade=_grade_phrase(key, value, rng))


def _measured(parameters: dict, keys: tuple[str, ...]) -> list[str]:
    return [key for key in keys if parameters.get(key) is not None]


def _pick(parameters: dict, keys: tuple[str, ...], rng: random.Random, extra: int) -> list[str]:
    """Core and abnormal findings always; `extra` typical ones at random, for variety."""
    measured = _measured(parameters, keys)
    chosen = [k for k in measured if k in CORE_KEYS or is_abnormal(k, parameters[k])]
    rest = [k for k in measured if k not in chosen]
    chosen += rng.sample(rest, min(extra, len(rest)))
    return [k for k in keys if k in chosen]


def _sentence(clauses: list[str]) -> str:
    text = "; ".join(clauses)
    return text[:1].upper() + text[1:] + "."


def _turn_and_freezing(parameters: dict, rng: random.Random) -> list[str]:
    clauses = []
    duration, steps = parameters.get("turn_duration_s"), parameters.get("turn_steps")
    if duration is not None and steps is not None:
        clauses.append(f"{rng.choice(LABELS['turn_duration_s'])} is {format_value('turn_duration_s', duration)} "
                       f"({_grade_phrase('turn_duration_s', duration, rng)}) with {rng.choice(LABELS['turn_steps'])} "
                       f"of {format_value('turn_steps', steps)}")
    elif duration is None:
        clauses.append(rng.choice(("no turn could be assessed", "turning was not observed in this clip")))
    freezing = parameters.get("freezing_episodes")
    if freezing is not None:
        clauses.append(rng.choice(("no freezing is observed", "there is no freezing of gait")) if freezing == 0
                       else f"{format_value('freezing_episodes', freezing)} are observed")
    return clauses


def _foot_part(parameters: dict, rng: random.Random) -> str:
    keys = _pick(parameters, FOOT_KEYS, rng, extra=rng.randint(0, 2))
    clauses = [_finding(k, parameters[k], rng) for k in keys] + _turn_and_freezing(parameters, rng)
    return "Foot: " + (_sentence(clauses) if clauses else "Foot kinematics could not be measured.")


def _arm_part(parameters: dict, rng: random.Random) -> str:
    keys = _pick(parameters, ARM_KEYS, rng, extra=1)
    clauses = [_finding(k, parameters[k], rng) for k in keys]
    return "Arm: " + (_sentence(clauses) if clauses else "Arm swing could not be measured.")


def _trunk_clause(parameters: dict, rng: random.Random) -> list[str]:
    value = parameters.get("trunk_flexion_deg")
    return [] if value is None else [_finding("trunk_flexion_deg", value, rng)]


def describe(parameters: dict, rng: random.Random) -> str:
    """An analytic description of the gait (no score, no severity verdict)."""
    abnormal = [k for k in FOOT_KEYS + ARM_KEYS if is_abnormal(k, parameters.get(k))]
    summary = (rng.choice(("findings outside the typical range concern ", "the deviations involve "))
               + ", ".join(LABELS[k][0] for k in abnormal[:4])) if abnormal else rng.choice(
        ("all measured parameters lie within the typical range", "no parameter deviates from the reference range"))
    overall = _sentence(_trunk_clause(parameters, rng) + [summary])
    return "\n".join((_foot_part(parameters, rng), _arm_part(parameters, rng), "Overall: " + overall))


def rationale(parameters: dict, score: int, rng: random.Random) -> str:
    """A chain-of-thought rationale for `score` (MDS-UPDRS 3.10, 0-3), ending with the line `Score: N`."""
    if score not in VERDICTS:
        raise ValueError(f"score must be 0-3, got {score!r}")
    abnormal = [k for k in FOOT_KEYS + ARM_KEYS if is_abnormal(k, parameters.get(k))]
    if abnormal and score > 0:
        reason = rng.choice(("given the deviations in ", "weighing the changes in ", "considering ")) + \
            " and ".join(LABELS[k][0] for k in abnormal[:3])
    elif score > 0:
        reason = rng.choice(("although the measured values stay close to the typical range",
                             "although the deviations are small in the measured values"))
    else:
        reason = rng.choice(("stride, speed and arm swing support this", "the findings are consistent with this"))
    overall = _sentence(_trunk_clause(parameters, rng) + [reason, rng.choice(VERDICTS[score])])
    return "\n".join((_foot_part(parameters, rng), _arm_part(parameters, rng), "Overall: " + overall,
                      f"Score: {score}"))
