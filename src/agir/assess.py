"""`python -m agir.assess --run DIR FILE [FILE ...] [--format text|jsonl] [--batch-size N] [--device D] [--fps F]
[--layout L] [--report DIR] [--numbers grounded|free]`

Assess motion files with a trained run (`checkpoints/<run>`) or an exported model: the measured gait parameters,
the generated rationale, its score, the probability of each score 0-3 given the rationale, and how faithful the
rationale's numbers are to the measurements (by default they cite the measured values: `agir.models.grounding`).
`--format jsonl` prints one object per file (`file`, `score`, `probabilities`, `rationale`, `parameters`,
`faithfulness`, `error`). A file that cannot be used gets `error` set and the others are still assessed; the exit
status is 1 if any file failed.
"""

from __future__ import annotations

import argparse
import json
import sys

from agir.motion.skeleton import LAYOUTS
from agir.pipeline.inference import NUMBER_MODES, NUMBER_MODES_HELP, assess_files, load_assessor, load_for_assessment
from agir.text.parameter_table import format_table
from agir.viz.html_report import write_report


def format_text(assessment: dict) -> str:
    """An assessment as a few readable lines: score and probabilities, rationale, faithfulness, parameters."""
    if assessment["error"]:
        return f"{assessment['file']}: error: {assessment['error']}"
    score = "no valid score" if assessment["score"] is None else f"score {assessment['score']}"
    probabilities = "  ".join(f"P({s})={p:.2f}" for s, p in assessment["probabilities"].items())
    lines = [f"{assessment['file']}: {score}   {probabilities}", "", assessment["rationale"], ""]
    faithfulness = assessment["faithfulness"]
    if faithfulness["n_claims"]:
        lines.append(
            f"faithfulness: {len(faithfulness['matched'])}/{faithfulness['n_claims']} numeric claims match "
            f"the measurements ({faithfulness['tolerance']})"
        )
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
        )
    except (OSError, ValueError) as error:
        print(f"error: {str(error).splitlines()[0]}", file=sys.stderr)
        return 1
    for assessment in assessments:
        print(json.dumps(assessment) if args.format == "jsonl" else format_text(assessment))
    if args.report:
        motions = {
            a["file"]: load_for_assessment(assessor, a["file"], args.fps, args.layout)
            for a in assessments
            if not a["error"]
        }
        print(f"report: {write_report(args.report, assessments, motions)}", file=sys.stderr)
    return 1 if any(a["error"] for a in assessments) else 0


if __name__ == "__main__":
    sys.exit(main())
