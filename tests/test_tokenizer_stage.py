"""The tokenizer stage end to end on a tiny cohort: `agir.fit` trains, writes its run directory, resumes."""

import json
import subprocess
import sys

import numpy as np
import pytest
import torch
from helpers import ONE_TRIAL, TOKENIZER_MODEL, kill_after_first_checkpoint

from agir.fit import main as fit_main
from agir.models.motion_tokenizer import MotionTokenizer
from agir.motion.features import normalize

TINY = [
    "stage=tokenizer",
    *ONE_TRIAL,
    *TOKENIZER_MODEL,
    "tokenizer.val_check_interval=4",
    "trainer.log_every_n_steps=2",
    "run.checkpoint_every_n_steps=2",
    "trainer.deterministic=true",
]


@pytest.fixture(scope="module")
def corpus_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("corpus")


def fit(run_dir, corpus_dir, *extra):
    args = [
        "--config",
        "configs/tokenizer.yaml",
        *TINY,
        f"run.out_dir={run_dir}",
        f"data.corpus_dir={corpus_dir}",
        *extra,
    ]
    assert fit_main(args) == 0
    return json.loads((run_dir / "tokenizer" / "metrics.json").read_text())


def test_fit_writes_a_self_describing_tokenizer(tmp_path, corpus_dir):
    metrics = fit(tmp_path / "run", corpus_dir, "tokenizer.max_steps=6")
    stage = tmp_path / "run" / "tokenizer"
    for name in (
        "model.safetensors",
        "tokenizer.json",
        "tokenizer.hash",
        "config.yaml",
        "codebook_usage.json",
        "checkpoints/last.ckpt",
        "logs/metrics.csv",
    ):
        assert (stage / name).is_file(), name
    assert (tmp_path / "run" / "splits.json").is_file()
    assert metrics["steps"] == 6
    assert metrics["val_mpjpe_mm"] > 0 and 0 < metrics["codebook_usage_pct"] <= 100 and metrics["perplexity"] >= 1
    assert metrics["tokenizer_hash"] == MotionTokenizer.hash_of(stage)
    assert sum(json.loads((stage / "codebook_usage.json").read_text())["counts"]) > 0

    tokenizer = MotionTokenizer.from_pretrained(stage)
    manifest = [json.loads(line) for line in (corpus_dir / "manifest.jsonl").read_text().splitlines()]
    joints = np.load(corpus_dir / manifest[0]["path"])["joints"][:61]
    codes = tokenizer.encode(joints)
    assert codes.shape == (16,) and codes.dtype == np.int64 and codes.max() < 32
    decoded = tokenizer.decode(codes, length=61)
    assert decoded.shape == (61, 22, 3) and np.isfinite(decoded).all()
    # Decoding is root-normalized: same frame of reference as normalize().
    np.testing.assert_allclose(decoded[0, 0, [0, 2]], normalize(joints)[0][0, 0, [0, 2]], atol=1e-4)


def fit_command(run_dir, corpus_dir, *extra):
    return [
        sys.executable,
        "-m",
        "agir.fit",
        "--config",
        "configs/tokenizer.yaml",
        *TINY,
        f"run.out_dir={run_dir}",
        f"data.corpus_dir={corpus_dir}",
        *extra,
    ]


def test_a_killed_run_resumes_to_the_same_result(tmp_path, corpus_dir):
    """SIGKILL a training run once it has a checkpoint, resume it, and compare with an uninterrupted run.

    Every run is its own process, as in real use (thread settings of the test process do not leak in).
    """
    steps = ["tokenizer.max_steps=120", "tokenizer.val_check_interval=60"]
    subprocess.run(fit_command(tmp_path / "straight", corpus_dir, *steps), check=True, capture_output=True)

    run = tmp_path / "killed"
    checkpoint = run / "tokenizer" / "checkpoints" / "last.ckpt"
    kill_after_first_checkpoint(fit_command(run, corpus_dir, *steps), checkpoint)
    assert checkpoint.exists() and not (run / "tokenizer" / "metrics.json").exists(), "run was not interrupted"
    subprocess.run(fit_command(run, corpus_dir, *steps, "run.resume=true"), check=True, capture_output=True)

    straight, resumed = (
        json.loads((d / "tokenizer" / "metrics.json").read_text()) for d in (tmp_path / "straight", run)
    )
    assert resumed["steps"] == straight["steps"] == 120
    a = MotionTokenizer.from_pretrained(tmp_path / "straight" / "tokenizer").model.state_dict()
    b = MotionTokenizer.from_pretrained(run / "tokenizer").model.state_dict()
    for name in a:
        torch.testing.assert_close(a[name], b[name], rtol=0, atol=0, msg=name)
    assert resumed["val_mpjpe_mm"] == straight["val_mpjpe_mm"]
