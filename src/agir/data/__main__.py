"""`python -m agir.data build --config configs/data/synthetic.yaml [key=value ...]` and `... summary DIR`."""

from __future__ import annotations

import argparse
import sys
import time

from agir.config import ConfigError, load_config
from agir.data.corpus import build_corpus, read_manifest
from agir.data.summary import format_summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m agir.data", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    build = commands.add_parser("build", help="write a corpus directory (motions + manifest.jsonl)")
    build.add_argument("--config", required=True, help="YAML config, e.g. configs/data/synthetic.yaml")
    build.add_argument("overrides", nargs="*", help="key=value overrides, e.g. data.synthetic.n_subjects=20")
    summary = commands.add_parser("summary", help="print a corpus summary")
    summary.add_argument("corpus_dir")
    args = parser.parse_args(argv)
    try:
        if args.command == "build":
            config = load_config(args.config, args.overrides)
            started = time.perf_counter()
            out = build_corpus(config.data, config.seed)
            print(f"wrote {out} in {time.perf_counter() - started:.1f} s")
            corpus_dir = out
        else:
            corpus_dir = args.corpus_dir
        print(format_summary(read_manifest(corpus_dir)))
    except (ConfigError, ValueError, FileNotFoundError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
