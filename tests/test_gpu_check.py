"""scripts/gpu_check.sh on this CPU machine: valid bash, and one line saying it needs a GPU; its table from what the
steps wrote (benchmarks/gpu_check_table.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
from gpu_check_table import table  # noqa: E402


def test_the_script_is_valid_bash():
    subprocess.run(["bash", "-n", "scripts/gpu_check.sh"], cwd=ROOT, check=True)


def test_without_a_gpu_it_stops_in_one_line_before_writing_anything(tmp_path):
    env = os.environ | {"PYTHON": sys.executable, "CUDA_VISIBLE_DEVICES": ""}
    done = subprocess.run(
        ["bash", "scripts/gpu_check.sh", str(tmp_path / "out")], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("gpu_check: no CUDA device visible")
    assert not (tmp_path / "out").exists()


@pytest.fixture
def half_done(tmp_path) -> Path:
    """A check whose demo and QLoRA steps finished and whose assessment step ran out of time."""
    (tmp_path / "steps.tsv").write_text("demo\tok\t212\nqlora_memory\tok\t64\nassess\ttimed out after 60 s\t60\n")
    for stage, extra in (
        ("tokenizer", {"test_mpjpe_mm": 24.3}),
        ("generative", {}),
        ("reasoning", {"test_macro_f1": 0.7}),
    ):
        (tmp_path / "demo" / stage).mkdir(parents=True)
        (tmp_path / "demo" / stage / "metrics.json").write_text(
            json.dumps({"steps": 400, "train_seconds": 50.0} | extra)
        )
    (tmp_path / "demo_gpu_memory.txt").write_text("512\n2048\n1024\n")
    mode = {"parameters_m": 1100.0, "loaded_gib": 0.8, "peak_gib": 3.5, "tokens_per_s": 41000}
    qlora = {"settings": {"batch_size": 8, "length": 512}, "modes": {"bf16-lora": mode, "4bit-qlora": mode}}
    (tmp_path / "qlora_memory.json").write_text(json.dumps(qlora))
    return tmp_path


def test_the_table_gathers_every_figure_and_says_what_was_not_measured(half_done):
    rows = table(half_done).splitlines()
    assert "| step assess" in next(row for row in rows if "timed out" in row)
    assert any("demo reasoning stage (bf16)" in row and "50 s training, 400 steps (8.0 steps/s)" in row for row in rows)
    assert any("test macro-F1 0.700" in row for row in rows) and any("test MPJPE 24.3 mm" in row for row in rows)
    assert any("device memory used, peak (nvidia-smi)" in row and "2.00 GiB" in row for row in rows)
    assert any("4bit-qlora" in row and "peak 3.5 GiB" in row and "41000 tokens/s" in row for row in rows)
    assert any("assess throughput (cuda)" in row and "not measured" in row for row in rows)
    assert "None" not in "\n".join(rows) and "nan" not in "\n".join(rows)
