"""An assessment (`agir.pipeline.inference.assess_files`) as the lines `python -m agir.assess` prints."""

from __future__ import annotations

from agir.text.parameter_table import format_table


def format_text(assessment: dict) -> str:
    """An assessment as a few readable lines: score and probabilities, rationale, faithfulness, parameters."""
    if assessment["error"]:
        return f"{assessment['file']}: error: {assessment['error']}"
    score = "no valid score" if assessment["score"] is None else f"score {assessment['score']}"
    probabilities = "  ".join(f"P({s})={p:.2f}" for s, p in assessment["probabilities"].items())
    lines = [f"{assessment['file']}: {score}   {probabilities}"]
    lines += [f"note: {note}" for note in assessment["notes"]]
    lines += ["", assessment["rationale"], ""]
    faithfulness = assessment["faithfulness"]
    if faithfulness["n_claims"]:
        lines.append(
            f"faithfulness: {len(faithfulness['matched'])}/{faithfulness['n_claims']} numeric claims match "
            f"the measurements ({faithfulness['tolerance']})"
        )
    else:
        lines.append("faithfulness: no measured claims (the rationale cites no number)")
    for mismatch in faithfulness["mismatches"]:
        measured = "not measured" if mismatch["measured"] is None else f"measured {mismatch['measured']:g}"
        lines.append(f"  mismatch: {mismatch['text']!r} ({mismatch['key']}, {measured})")
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
    lines += ["", format_table(assessment["parameters"]), ""]
    return "\n".join(lines)
