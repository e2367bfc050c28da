"""Faithfulness of a rationale: do its numeric claims say what was measured, and do its severity words fit its score?

Every quantitative claim (`agir.text.claims.extract_claims`) is compared with the measured parameter it names. It
matches when it equals the measured value as text rounds it (`agir.text.rationale.FORMATS`: `1.12 m/s` for 1.1236)
or lies within RELATIVE_TOLERANCE of it. A claim whose parameter was not measured, or that no parameter could be
about (key UNMAPPED), is unsupported: it counts against the fraction. Grade words are checked too
(`agir.text.grades`): each phrase that grades a measured parameter (`stride length (1.11 m) is reduced`, `markedly
reduced speed`) against the grade its measured value has under `agir.text.norms`. One implementation for
`agir.assess`, `agir.evaluate` and the HTML report.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping

from agir.text.claims import UNMAPPED, Claim, extract_claims, severity_contradictions
from agir.text.grades import check_grades
from agir.text.rationale import FORMATS

RELATIVE_TOLERANCE = 0.02
TOLERANCE = (
    f"a claim matches when it equals the measured value as text rounds it, or lies within "
    f"{RELATIVE_TOLERANCE:.0%} of it; unmeasured and unmapped claims do not match"
)


def measured_value(claim: Claim, parameters: Mapping) -> float | None:
    """The measured value of the parameter `claim` is about, or None (unmapped, or not measured)."""
    value = None if claim.key == UNMAPPED else parameters.get(claim.key)
    is_number = isinstance(value, numbers.Real) and not isinstance(value, bool)
    return float(value) if is_number else None


def claim_matches(claim: Claim, measured: float) -> bool:
    written = FORMATS.get(claim.key)
    # Half the last written digit, in the parameter's own unit: what rounding to text can move a value by.
    resolution = 0.5 * 10**-written.decimals / written.scale if written else 0.0
    return abs(claim.value - measured) <= max(resolution + 1e-9, RELATIVE_TOLERANCE * abs(measured))


def check_faithfulness(rationale: str, parameters: Mapping, score: int | None) -> dict:
    """`fraction` of the numeric claims that match (None without claims), `n_claims`, `matched` and `mismatches`
    (`text`, `key`, `claimed`, `measured`), `unmeasured` (the numbers and grade words about a parameter that was not
    measured: `text`, `key`, `kind` number or grade, `reason`), `contradictions` (severity words contradicting
    `score`; none without a score), the `tolerance` rule, and the grade words' `grade_agreement`, `n_graded` and
    `grade_mismatches` (`agir.text.grades.check_grades`)."""
    matched, mismatches = [], []
    for claim in extract_claims(rationale):
        measured = measured_value(claim, parameters)
        entry = {"text": claim.text, "key": claim.key, "claimed": claim.value, "measured": measured}
        (matched if measured is not None and claim_matches(claim, measured) else mismatches).append(entry)
    n_claims = len(matched) + len(mismatches)
    grades = check_grades(rationale, parameters)
    reasons = parameters.get("reasons") or {}
    unmeasured = [
        {"text": entry["text"], "key": entry["key"], "kind": kind, "reason": reasons.get(entry["key"], "not measured")}
        for kind, entries in (
            ("number", [m for m in mismatches if m["measured"] is None and m["key"] != UNMAPPED]),
            ("grade", grades.pop("unmeasured_grades")),
        )
        for entry in entries
    ]
    return {
        "fraction": len(matched) / n_claims if n_claims else None,
        "n_claims": n_claims,
        "matched": matched,
        "mismatches": mismatches,
        "unmeasured": unmeasured,
        "contradictions": [] if score is None else severity_contradictions(rationale, score),
        "tolerance": TOLERANCE,
    } | grades


def summarize_faithfulness(checks: list[dict]) -> dict[str, float]:
    """`faithfulness`: the share of all numeric claims that match; `faithfulness_mean`: the mean fraction over the
    rationales with claims; `contradiction_rate`: the share of rationales with a severity word against their score;
    `grade_agreement`: the share of all grade words of measured parameters that are the measured value's grade;
    `unmeasured_claims`: how many numbers and grade words are about a parameter that was not measured."""
    claims = sum(check["n_claims"] for check in checks)
    graded = sum(check["n_graded"] for check in checks)
    fractions = [check["fraction"] for check in checks if check["fraction"] is not None]
    return {
        "faithfulness": sum(len(check["matched"]) for check in checks) / claims if claims else math.nan,
        "faithfulness_mean": sum(fractions) / len(fractions) if fractions else math.nan,
        "numeric_claims": claims,
        "unmeasured_claims": sum(len(check["unmeasured"]) for check in checks),
        "contradiction_rate": sum(bool(check["contradictions"]) for check in checks) / len(checks),
        "grade_agreement": (
            1.0 - sum(len(check["grade_mismatches"]) for check in checks) / graded if graded else math.nan
        ),
        "graded_findings": graded,
    }


def claims_summary(summary: Mapping) -> str:
    """`summarize_faithfulness`'s result as one sentence; free-text rationales that cite no number, or grade no
    measured parameter, say so instead of showing a share of nothing."""
    numbers = (
        f"{summary['faithfulness']:.1%} of {summary['numeric_claims']} numeric claims match the measured parameters"
        if summary["numeric_claims"]
        else "no measured claims (they cite no number)"
    )
    grades = (
        f"{summary['grade_agreement']:.1%} of {summary['graded_findings']} grade words are the measured values' grades"
        if summary["graded_findings"]
        else "no grade words of measured parameters"
    )
    return f"AGIR rationales: {numbers}; {grades}; {summary['contradiction_rate']:.1%} contradict their score in words"
