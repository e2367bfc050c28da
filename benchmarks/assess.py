"""Assessment throughput: files per second, batched (one generation batch of `--batch-size` files) beside one by
one, on the same files: the held-out motion files of a run, repeated to `--files`. Both modes run once to warm
up (a first pass pays one-time kernel set-up for every new tensor shape), then each is timed, best of two. The
ratio is printed last, with the ratio of what remains once the files' measurement (loading, gait parameters,
motion features: the same work one file at a time in both modes, timed on its own) is taken out of both.

    python benchmarks/assess.py [--run checkpoints/demo] [--files 32] [--batch-size 32] [--device cpu]
                                [--numbers grounded|free] [--out assess.json]
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from omegaconf import OmegaConf  # noqa: E402

from agir.data.corpus import read_manifest  # noqa: E402
from agir.data.splits import SubjectSplit  # noqa: E402
from agir.pipeline.inference import NUMBER_MODES, NUMBER_MODES_HELP, assess_files, load_assessor, measure  # noqa: E402


def held_out_files(run: str, count: int) -> list[str]:
    config = OmegaConf.load(f"{run}/config.yaml")
    split = SubjectSplit.load(f"{run}/splits.json")
    files = [
        f"{config.data.corpus_dir}/{item.path}"
        for item in read_manifest(config.data.corpus_dir)
        if item.subject in split.test
    ]
    return [files[i % len(files)] for i in range(count)]


def files_per_second(assessor, files: list[str], batch_size: int, grounded: bool | None, repeats: int = 2) -> float:
    seconds = []
    for _ in range(repeats):
        started = time.perf_counter()
        assessments = assess_files(assessor, files, batch_size=batch_size, grounded=grounded)
        seconds.append(time.perf_counter() - started)
        failed = [a.error for a in assessments if a.error]
        if failed:  # a failed file costs nothing: timing it would flatter both modes
            raise SystemExit(f"{len(failed)} of {len(files)} files failed, e.g. {failed[0]}")
    return len(files) / min(seconds)


def measurement_seconds(assessor, files: list[str], repeats: int = 2) -> float:
    """Seconds per file of `agir.pipeline.inference.measure`, best of `repeats`."""
    seconds = []
    for _ in range(repeats):
        started = time.perf_counter()
        for path in files:
            measure(assessor, path)
        seconds.append(time.perf_counter() - started)
    return min(seconds) / len(files)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", default="checkpoints/demo")
    parser.add_argument("--files", type=int, default=32)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--numbers", choices=NUMBER_MODES, help=NUMBER_MODES_HELP)
    parser.add_argument("--out", type=Path, help="also write the figures as JSON here")
    args = parser.parse_args()
    assessor = load_assessor(args.run, args.device)
    files = held_out_files(args.run, args.files)
    grounded = NUMBER_MODES.get(args.numbers)
    for batch_size in (args.batch_size, 1):
        assess_files(assessor, files, batch_size=batch_size, grounded=grounded)
    batched = files_per_second(assessor, files, args.batch_size, grounded)
    single = files_per_second(assessor, files, 1, grounded)
    measuring = measurement_seconds(assessor, files)
    rest = {mode: 1.0 / rate - measuring for mode, rate in (("batched", batched), ("single", single))}
    numbers = args.numbers or "as validated"
    print(
        f"{len(files)} files, max_new_tokens {assessor.metadata['max_new_tokens']}, device {args.device}, "
        f"numbers {numbers}"
    )
    print(f"batch {args.batch_size}: {batched:.2f} files/s ({1e3 * rest['batched']:.1f} ms a file besides measuring)")
    print(f"one by one: {single:.2f} files/s ({1e3 * rest['single']:.1f} ms a file besides measuring)")
    print(f"measuring a file (the same in both modes): {1e3 * measuring:.1f} ms")
    print(
        f"ratio batched / one by one: {batched / single:.1f}x; "
        f"besides measuring: {rest['single'] / rest['batched']:.1f}x"
    )
    if args.out:
        figures = {
            "device": args.device,
            "files": len(files),
            "batch_size": args.batch_size,
            "batched_files_per_s": round(batched, 2),
            "single_files_per_s": round(single, 2),
            "measuring_ms": round(1e3 * measuring, 1),
        }
        args.out.write_text(json.dumps(figures, indent=1) + "\n")


if __name__ == "__main__":
    main()
