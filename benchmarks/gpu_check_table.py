"""The one table `scripts/gpu_check.sh` ends with, from what its steps wrote under its folder:

    <out>/steps.tsv                 step, status (ok, failed (exit N), timed out), seconds: written by the script
    <out>/demo/<stage>/metrics.json steps, train_seconds (and the stage's held-out figures)
    <out>/demo_gpu_memory.txt       device memory used (MiB) sampled by nvidia-smi while the demo ran
    <out>/qlora_memory.json         benchmarks/qlora_memory.py --out
    <out>/assess.json               benchmarks/assess.py --out

A figure whose step did not write it reads `not measured`, never a made-up number.

    python benchmarks/gpu_check_table.py checkpoints/gpu_check
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

STAGES = ("tokenizer", "generative", "reasoning")


def read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def stage_rows(out: Path) -> list[tuple[str, str]]:
    rows = []
    for stage in STAGES:
        metrics = read_json(out / "demo" / stage / "metrics.json")
        if "train_seconds" not in metrics:
            rows.append((f"demo {stage} stage (bf16)", "not measured"))
            continue
        rate = metrics["steps"] / metrics["train_seconds"] if metrics["train_seconds"] else 0.0
        figure = f"{metrics['train_seconds']:.0f} s training, {metrics['steps']} steps ({rate:.1f} steps/s)"
        if "test_mpjpe_mm" in metrics:
            figure += f", test MPJPE {metrics['test_mpjpe_mm']:.1f} mm"
        if "test_macro_f1" in metrics:
            figure += f", test macro-F1 {metrics['test_macro_f1']:.3f}"
        rows.append((f"demo {stage} stage (bf16)", figure))
    samples = (out / "demo_gpu_memory.txt").read_text().split() if (out / "demo_gpu_memory.txt").is_file() else []
    used = [int(sample) for sample in samples if sample.isdigit()]
    rows.append(
        ("demo, device memory used, peak (nvidia-smi)", f"{max(used) / 1024:.2f} GiB" if used else "not measured")
    )
    return rows


def qlora_rows(out: Path) -> list[tuple[str, str]]:
    figures = read_json(out / "qlora_memory.json")
    if not figures:
        return [("qlora_memory", "not measured")]
    settings = figures["settings"]
    shape = f"batch {settings['batch_size']} x {settings['length']} tokens"
    return [
        (
            f"qlora_memory {mode} ({row['parameters_m']} M base, {shape})",
            f"peak {row['peak_gib']} GiB (loaded {row['loaded_gib']} GiB), {row['tokens_per_s']} tokens/s",
        )
        for mode, row in figures["modes"].items()
    ]


def assess_rows(out: Path) -> list[tuple[str, str]]:
    figures = read_json(out / "assess.json")
    if not figures:
        return [("assess throughput (cuda)", "not measured")]
    return [
        (
            f"assess throughput ({figures['device']}, {figures['files']} files)",
            f"batch {figures['batch_size']}: {figures['batched_files_per_s']} files/s, one by one: "
            f"{figures['single_files_per_s']} files/s, measuring {figures['measuring_ms']} ms a file",
        )
    ]


def step_rows(out: Path) -> list[tuple[str, str]]:
    lines = (out / "steps.tsv").read_text().splitlines() if (out / "steps.tsv").is_file() else []
    return [
        (f"step {name}", f"{status}, {seconds} s wall")
        for name, status, seconds in (line.split("\t") for line in lines)
    ]


def table(out: Path) -> str:
    rows = step_rows(out) + stage_rows(out) + qlora_rows(out) + assess_rows(out)
    width = max(len(what) for what, _ in rows)
    return "\n".join(
        [f"| {'what':<{width}} | figure |", f"| {'-' * width} | --- |"]
        + [f"| {what:<{width}} | {figure} |" for what, figure in rows]
    )


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python benchmarks/gpu_check_table.py OUT_DIR")
    print(table(Path(sys.argv[1])))
