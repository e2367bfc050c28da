"""`python -m agir.assess --run DIR FILE [FILE ...] [--format text|jsonl] [--batch-size N] [--device D] [--fps F]
[--layout L] [--report DIR] [--numbers grounded|free] [--grades grounded|free] [--min-coverage F]`

Assess motion files with a trained run (`checkpoints/<run>`) or an exported model: the measured gait parameters,
the generated rationale, its score, the probability of each score 0-3 given the rationale, and how faithful the
rationale's numbers are to the measurements (by default they cite the measured values: `agir.models.grounding`).
`--format jsonl` prints one object per file (docs/assessment.schema.json: `file`, `score`, `abstained`,
`probabilities`, `rationale`, `parameters`, `evidence`, `warnings`, `faithfulness`, `error`). Below `--min-coverage`
of the score-relevant parameters measured, or without a verdict in the output, `score` is null and `abstained` says
why; that is an answer (exit status 0). A file that cannot be used gets `error` set and the others are still
assessed; the exit status is 1 if any file failed.
"""

from __future__ import annotations

import argparse
import json
import sys

from agir.motion.skeleton import LAYOUTS
from agir.pipeline.inference import (
    GRADE_MODES,
    GRADE_MODES_HELP,
    MIN_COVERAGE_HELP,
    NUMBER_MODES,
    NUMBER_MODES_HELP,
    assess_files,
    load_assessor,
    load_for_assessment,
)
from agir.text.assessment import Assessment
from agir.text.claims import UNMAPPED
from agir.text.parameter_table import format_table
from agir.viz.html_report import write_report


def format_text(assessment: Assessment) -> str:
    """An assessment as a few readable lines: verdict (or why there is none), probabilities, warnings, rationale,
    faithfulness, parameters."""
    if assessment.error:
        return f"{assessment.file}: error: {assessment.error}"
    score = f"score {assessment.score}" if assessment.score is not None else f"no score ({assessment.abstained})"
    probabilities = "  ".join(f"P({s})={p:.2f}" for s, p in assessment.probabilities.items())
    lines = [f"{assessment.file}: {score}   {probabilities}"]
    lines.append(f"evidence: {assessment.evidence.coverage:.0%} of the score-relevant parameters measured")
    lines += [f"warning: {warning}" for warning in assessment.warnings]
    lines += ["", assessment.rationale, ""]
    faithfulness = assessment.faithfulness
    if faithfulness["n_claims"]:
        lines.append(
            f"faithfulness: {len(faithfulness['matched'])}/{faithfulness['n_claims']} numeric claims match "
            f"the measurements ({faithfulness['tolerance']})"
        )
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m agir.assess", description=__doc__.splitlines()[2])
    parser.add_argument("--run", required=True, help="a run directory (checkpoints/<run>) or an exported model")
    parser.add_argument("files", nargs="+", help="motion files (.npy, .npz, .csv, .pkl, .bvh, .c3d)")
    parser.add_argument("--format", choices=("text", "jsonl"), default="text")
    parser.add_argument("--batch-size", type=int, default=32, help="files generated together (default 32)")
    parser.add_argument("--device", default="cpu", help="cpu (default), cuda or cuda:N")
    parser.add_argument("--fps", type=float, help="frame rate of files that do not state it (.npy)")
    parser.add_argument("--layout", help=f"joint layout when the joint count is ambiguous: {', '.join(LAYOUTS)}")
    parser.add_argument("--report", metavar="DIR", help="also write an HTML report (index.html) into DIR")
    parser.add_argument("--numbers", choices=NUMBER_MODES, help=NUMBER_MODES_HELP)
    parser.add_argument("--grades", choices=GRADE_MODES, help=GRADE_MODES_HELP)
    parser.add_argument("--min-coverage", type=float, help=MIN_COVERAGE_HELP)
    args = parser.parse_args(argv)
    try:
        assessor = load_assessor(args.run, args.device)
        assessments = assess_files(
            assessor,
            args.files,
            args.batch_size,
            len(args.files) > 1,
            args.fps,
            args.layout,
            NUMBER_MODES.get(args.numbers),
            args.min_coverage,
            GRADE_MODES.get(args.grades),
        )
    except (OSError, ValueError) as error:
        print(f"error: {str(error).splitlines()[0]}", file=sys.stderr)
        return 1
    for assessment in assessments:
        print(json.dumps(assessment.to_json()) if args.format == "jsonl" else format_text(assessment))
    if args.report:
        motions = {
            a.file: load_for_assessment(assessor, a.file, args.fps, args.layout) for a in assessments if not a.error
        }
        index = write_report(args.report, [a.to_json() for a in assessments], motions)
        print(f"report: {index}", file=sys.stderr)
    # An abstention is an answer; only a file that could not be assessed fails.
    return 1 if any(a.error for a in assessments) else 0


if __name__ == "__main__":
    sys.exit(main())
