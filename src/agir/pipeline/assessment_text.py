"""An assessment (`agir.pipeline.inference.assess_files`) as the lines `python -m agir.assess` prints."""

from __future__ import annotations

from agir.text.assessment import Assessment
from agir.text.claims import UNMAPPED
from agir.text.parameter_table import format_table


def format_text(assessment: Assessment) -> str:
    """An assessment as a few readable lines: verdict (or why there is none), probabilities, evidence, warnings,
    reading notes, rationale, faithfulness, parameters."""
    if assessment.error:
        return f"{assessment.file}: error: {assessment.error}"
    score = f"score {assessment.score}" if assessment.score is not None else f"no score ({assessment.abstained})"
    probabilities = "  ".join(f"P({s})={p:.2f}" for s, p in assessment.probabilities.items())
    lines = [f"{assessment.file}: {score}   {probabilities}"]
    lines.append(f"evidence: {assessment.evidence.coverage:.0%} of the score-relevant parameters measured")
    lines += [f"warning: {warning}" for warning in assessment.warnings]
    lines += [f"note: {note}" for note in assessment.notes]
    lines += ["", assessment.rationale, ""]
    faithfulness = assessment.faithfulness
    if faithfulness["n_claims"]:
        lines.append(
            f"faithfulness: {len(faithfulness['matched'])}/{faithfulness['n_claims']} numeric claims match "
            f"the measurements ({faithfulness['tolerance']})"
        )
    else:
        lines.append("faithfulness: no measured claims (the rationale cites no number)")
    for claim in faithfulness["unmeasured"]:
        lines.append(f"  about an unmeasured parameter: {claim['text']!r} ({claim['key']}: {claim['reason']})")
    for mismatch in faithfulness["mismatches"]:
        if mismatch["measured"] is not None or mismatch["key"] == UNMAPPED:
            lines.append(f"  mismatch: {mismatch['text']!r} ({mismatch['key']}, {_measured(mismatch)})")
    if faithfulness["n_graded"]:
        agreeing = faithfulness["n_graded"] - len(faithfulness["grade_mismatches"])
        lines.append(f"grade words: {agreeing}/{faithfulness['n_graded']} are the measured values' grades")
    for mismatch in faithfulness["grade_mismatches"]:
        lines.append(
            f"  grade mismatch: {mismatch['text']!r} for {mismatch['key']} "
            f"(measured {mismatch['measured']:g}: {mismatch['measured_grade']})"
        )
    if faithfulness["contradictions"]:
        lines.append(f"  severity words contradicting the score: {', '.join(faithfulness['contradictions'])}")
    lines += ["", format_table(assessment.parameters), ""]
    return "\n".join(lines)


def _measured(mismatch: dict) -> str:
    return "no parameter fits" if mismatch["measured"] is None else f"measured {mismatch['measured']:g}"
