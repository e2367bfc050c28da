"""`python -m agir.fit --config configs/X.yaml [--config more.yaml] [key=value ...]`: train the stage the config names,
or the pipeline.

Every output goes under `run.out_dir` (default `checkpoints/<run.name>`): the resolved config, the subject split and
one folder per stage (`tokenizer/`, `generative/`, `reasoning/`), each chained to the one before. `run.resume=true`
continues each stage from its `last.ckpt`, and a pipeline skips the stages that already finished. `cv.scheme=kfold`
(or `loso`) runs the pipeline once per subject-disjoint fold into `<run>/fold_<k>/` and writes `<run>/cv.json`.
"""

from __future__ import annotations

import argparse
import json
import sys

from agir.config import ConfigError, load_config
from agir.pipeline.ranks import start_ranks, stop_ranks
from agir.pipeline.runs import Requeued, StageError, listen_for_slurm_requeue
from agir.pipeline.training import fit, say


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m agir.fit", description=__doc__)
    parser.add_argument(
        "--config",
        required=True,
        action="append",
        help="YAML config, e.g. configs/demo.yaml; repeat it to layer files, e.g. "
        "--config configs/demo.yaml --config configs/backbones/tiny-gpt2.yaml",
    )
    parser.add_argument("overrides", nargs="*", help="key=value overrides, e.g. tokenizer.max_steps=200 run.name=x")
    args = parser.parse_args(argv)
    try:
        config = load_config(args.config, args.overrides)
    except ConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    # Every rank of a ddp job is started here, before anything is read or written (agir.pipeline.ranks).
    start_ranks(config.trainer)
    listen_for_slurm_requeue()
    try:
        metrics = fit(config, args.config, args.overrides)
    except StageError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except Requeued as stop:
        say(str(stop))
        stop_ranks()
        return 0
    say(json.dumps(metrics, indent=1))
    stop_ranks()
    return 0


if __name__ == "__main__":
    sys.exit(main())
