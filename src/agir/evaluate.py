"""`python -m agir.evaluate --run DIR [--split test|val] [--device D] [--numbers grounded|free]
[--grades grounded|free] [--min-coverage F] [--min-confidence F]`

The reasoning stage's metrics on a split.

The stage's own evaluation (the DataModule's reasoning view of the run's saved split, `ReasoningSFTModule` under a
Lightning Trainer), so its numbers equal the stage's validation or test; plus what only a full evaluation needs:
faithfulness of the generated rationales to the measured parameters, BLEU and ROUGE-L against the reference
rationales (torchmetrics.text, nothing downloaded), the confusion matrix, and the expected calibration error of the
score probabilities before and after the stage's temperature. Writes `<run>/evaluation/<split>/metrics.json`,
`predictions.jsonl`, `confusion.png` and `reliability.png`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from agir.config import ConfigError
from agir.pipeline.evaluation import SPLITS, evaluate_run
from agir.pipeline.inference import add_judging_arguments, judging_options
from agir.pipeline.run_report import HEADLINE, metric_text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m agir.evaluate", description=__doc__.splitlines()[2])
    parser.add_argument("--run", required=True, help="a run directory with a finished reasoning stage")
    parser.add_argument("--split", choices=SPLITS, default="test")
    parser.add_argument("--device", default="cpu", help="cpu (default), cuda or cuda:N")
    add_judging_arguments(parser)
    args = parser.parse_args(argv)
    try:
        metrics = evaluate_run(args.run, args.split, args.device, **judging_options(args))
    except (OSError, ValueError, ConfigError) as error:
        print(f"error: {str(error).splitlines()[0]}", file=sys.stderr)
        return 1
    names = HEADLINE + ("faithfulness", "grade_agreement", "bleu", "rouge_l", "abstention_rate")
    cells = {name: metric_text(metrics[f"{args.split}_{name}"]) for name in names}
    # Free-text rationales may cite no number or grade no measured parameter: say so rather than n/a.
    if not metrics[f"{args.split}_numeric_claims"]:
        cells["faithfulness"] = "(no measured claims)"
    if not metrics[f"{args.split}_graded_findings"]:
        cells["grade_agreement"] = "(no grade words)"
    print("  ".join(f"{name} {cell}" for name, cell in cells.items()))
    print(
        f"numeric claims {metrics[f'{args.split}_numeric_claims']}, graded findings "
        f"{metrics[f'{args.split}_graded_findings']}, claims about unmeasured parameters "
        f"{metrics[f'{args.split}_unmeasured_claims']}"
    )
    truncated = metrics[f"{args.split}_truncated_prompts"]
    print(
        f"truncated prompts {truncated} of {metrics[f'{args.split}_items']}"
        + (" (the model read only part of those walks: raise llm.max_length)" if truncated else "")
    )
    print(
        f"outputs decoded again where they began to repeat themselves {metrics[f'{args.split}_redecoded_outputs']} "
        f"of {metrics[f'{args.split}_items']}"
    )
    print(
        f"ECE {metric_text(metrics[f'{args.split}_ece_uncalibrated'])} uncalibrated, "
        f"{metric_text(metrics[f'{args.split}_ece'])} at the stage's temperature "
        f"{metrics[f'{args.split}_temperature']:.2f} ({metrics[f'{args.split}_ece_bins']} equal-width bins)"
    )
    print(f"written to {Path(args.run) / 'evaluation'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
