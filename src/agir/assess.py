"""`python -m agir.assess --run DIR FILE [FILE ...] [--format text|jsonl] [--batch-size N] [--device D] [--report DIR]
[--numbers grounded|free] [--grades grounded|free] [--min-coverage F] [--min-confidence F] [reading flags]`

Assess motion files with a trained run (`checkpoints/<run>`) or an exported model: the measured gait parameters,
the generated rationale, its score, the probability of each score 0-3 given the rationale, and how faithful the
rationale's numbers are to the measurements (by default they cite the measured values: `agir.models.grounding`).
`--format jsonl` prints one object per file (docs/assessment.schema.json: `file`, `score`, `abstained`,
`probabilities`, `rationale`, `parameters`, `evidence`, `warnings`, `notes`, `faithfulness`, `error`); `notes` says
what reading the file did (gaps filled or cut, marker set, up axis, a frame rate kept). The reading flags (--fps,
--layout, --layout-file, --units, --up, --max-gap, --markers, --smpl-model) are those of `agir.motion.load_options`.
Below `--min-coverage` of the score-relevant parameters measured, with the calibrated probability of the score under
`--min-confidence`, or without a verdict in the output, `score` is null and `abstained` says why; that is an answer
(exit status 0). A file that cannot be used gets `error` set and the others are still assessed; the exit status is 1
if any file failed.
"""

from __future__ import annotations

import argparse
import json
import sys

from agir.motion.load_options import add_load_arguments, load_options_from
from agir.pipeline.assessment_text import format_text
from agir.pipeline.inference import (
    add_judging_arguments,
    assess_files,
    judging_options,
    load_assessor,
    load_for_assessment,
)
from agir.viz.html_report import write_report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m agir.assess", description=__doc__.splitlines()[2])
    parser.add_argument("--run", required=True, help="a run directory (checkpoints/<run>) or an exported model")
    parser.add_argument("files", nargs="+", help="motion files (.npy, .npz, .csv, .pkl, .bvh, .c3d)")
    parser.add_argument("--format", choices=("text", "jsonl"), default="text")
    parser.add_argument("--batch-size", type=int, default=32, help="files generated together (default 32)")
    parser.add_argument("--device", default="cpu", help="cpu (default), cuda or cuda:N")
    parser.add_argument("--report", metavar="DIR", help="also write an HTML report (index.html) into DIR")
    add_judging_arguments(parser)
    add_load_arguments(parser)
    args = parser.parse_args(argv)
    try:
        options = load_options_from(args)
        assessor = load_assessor(args.run, args.device)
        assessments = assess_files(
            assessor,
            args.files,
            args.batch_size,
            len(args.files) > 1,
            options,
            **judging_options(args),
        )
    except (OSError, ValueError) as error:
        print(f"error: {str(error).splitlines()[0]}", file=sys.stderr)
        return 1
    for assessment in assessments:
        print(json.dumps(assessment.to_json()) if args.format == "jsonl" else format_text(assessment))
    if args.report:
        motions = {a.file: load_for_assessment(assessor, a.file, options) for a in assessments if not a.error}
        index = write_report(args.report, [a.to_json() for a in assessments], motions)
        print(f"report: {index}", file=sys.stderr)
    # An abstention is an answer; only a file that could not be assessed fails.
    return 1 if any(a.error for a in assessments) else 0


if __name__ == "__main__":
    sys.exit(main())
