"""Ranks started from the top by torchrun and by SLURM, on one machine (2 CPU processes, gloo), for the motion
tokenizer stage: `scripts/torchrun.sh` as shipped, and two `agir.fit` processes with the environment srun gives the
tasks of a 1-node, 2-task allocation. Each run starts on an empty corpus folder, which global rank 0 alone builds.

The SLURM run is signalled (SIGUSR1, as `#SBATCH --signal` does) mid-stage: the ranks stop together at a step
boundary, write last.ckpt, ask `scontrol` to requeue the job and exit; the requeued job (same command) ends with the
weights the uninterrupted torchrun run ended with. `scontrol` is a script on PATH that records its arguments.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers import DATA, TOKENIZER_MODEL, child_env

pytestmark = pytest.mark.slow

TOKENIZER = [
    *DATA,
    # configs/tokenizer.yaml keeps its corpus in data/synthetic: each launch here builds its own.
    "data.corpus_dir=${run.out_dir}/corpus",
    *TOKENIZER_MODEL,
    "data.synthetic.trials_per_subject=2",
    "tokenizer.max_steps=40",
    "tokenizer.val_check_interval=40",
    "run.checkpoint_every_n_steps=2",
    "run.rank_fingerprints=true",
    "trainer.deterministic=true",
    "trainer.accelerator=cpu",
]
BUILDS = "building the corpus of synthetic"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def finish(processes: list[subprocess.Popen], timeout: float) -> list[str]:
    """Each process's output once all have exited; on a time-out every one is killed."""
    deadline = time.monotonic() + timeout
    outputs = []
    try:
        for process in processes:
            outputs.append(process.communicate(timeout=max(1.0, deadline - time.monotonic()))[0])
    except subprocess.TimeoutExpired:
        for process in processes:
            os.killpg(process.pid, signal.SIGKILL)
        raise
    for process, output in zip(processes, outputs, strict=True):
        assert process.returncode == 0, output[-4000:]
    return outputs


def fingerprints(run: Path) -> list[dict]:
    return [json.loads((run / "tokenizer" / "ranks" / f"rank{rank}.json").read_text()) for rank in range(2)]


@pytest.fixture(scope="module")
def torchrun_run(tmp_path_factory) -> tuple[Path, str]:
    run = tmp_path_factory.mktemp("torchrun")
    env = child_env() | {"GPUS": "2", "MASTER_PORT": str(free_port())}
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env["PATH"]])  # torchrun of this Python
    process = subprocess.Popen(
        ["bash", "scripts/torchrun.sh", "configs/tokenizer.yaml", *TOKENIZER, f"run.out_dir={run}"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    return run, finish([process], timeout=300)[0]


def test_torchrun_script_runs_two_ranks_that_build_one_corpus_and_agree(torchrun_run):
    run, output = torchrun_run
    assert output.count(BUILDS) == 1, output[-3000:]
    records = fingerprints(run)
    assert [(r["global_rank"], r["world_size"], r["cluster_environment"]) for r in records] == [
        (0, 2, "TorchElasticEnvironment"),
        (1, 2, "TorchElasticEnvironment"),
    ]
    assert records[0]["fit"] == records[1]["fit"] and records[0]["fit"]["global_step"] == 40
    assert json.loads((run / "tokenizer" / "metrics.json").read_text())["steps"] == 40


def slurm_tasks(run: Path, bin_dir: Path, port: int) -> list[subprocess.Popen]:
    """The two tasks srun would start for `--nodes=1 --ntasks-per-node=2`, as scripts/slurm.sbatch runs them."""
    command = [
        sys.executable,
        "-m",
        "agir.fit",
        "--config",
        "configs/tokenizer.yaml",
        "--config",
        "configs/trainer/multinode.yaml",
        "trainer.num_nodes=1",
        "trainer.devices=2",
        "run.resume=true",
        *TOKENIZER,
        f"run.out_dir={run}",
    ]
    slurm = {
        "SLURM_JOB_ID": "4242",
        "SLURM_JOB_NAME": "agir",
        "SLURM_NTASKS": "2",
        "SLURM_NTASKS_PER_NODE": "2",
        "SLURM_NNODES": "1",
        "SLURM_NODEID": "0",
        "MASTER_ADDR": "127.0.0.1",
        "MASTER_PORT": str(port),
    }
    tasks = []
    for rank in range(2):
        env = child_env() | slurm | {"SLURM_PROCID": str(rank), "SLURM_LOCALID": str(rank)}
        env["PATH"] = os.pathsep.join([str(bin_dir), env["PATH"]])
        tasks.append(
            subprocess.Popen(
                command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True
            )
        )
    return tasks


def test_slurm_ranks_requeue_on_signal_and_resume_to_the_uninterrupted_weights(torchrun_run, tmp_path):
    reference, _ = torchrun_run
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    requeues = tmp_path / "scontrol.log"
    (bin_dir / "scontrol").write_text(f'#!/bin/sh\necho "$@" >> {requeues}\n')
    (bin_dir / "scontrol").chmod(0o755)
    run = tmp_path / "run"

    tasks = slurm_tasks(run, bin_dir, free_port())
    checkpoint = run / "tokenizer" / "checkpoints" / "last.ckpt"
    deadline = time.monotonic() + 240
    while not checkpoint.exists() and time.monotonic() < deadline and all(t.poll() is None for t in tasks):
        time.sleep(0.05)
    for task in tasks:
        task.send_signal(signal.SIGUSR1)
    outputs = finish(tasks, timeout=240)
    assert requeues.read_text().split() == ["requeue", "4242"]
    assert "for a SLURM requeue" in outputs[0], outputs[0][-3000:]
    assert not (run / "tokenizer" / "metrics.json").exists(), "the stage stopped before its end"
    stopped = fingerprints(run)
    assert [(r["global_rank"], r["world_size"], r["cluster_environment"]) for r in stopped] == [
        (0, 2, "SLURMEnvironment"),
        (1, 2, "SLURMEnvironment"),
    ]
    assert 2 <= stopped[0]["fit"]["global_step"] < 40

    outputs = finish(slurm_tasks(run, bin_dir, free_port()), timeout=240)  # the requeued job
    resumed = fingerprints(run)
    assert resumed[0]["fit"]["global_step"] == 40
    assert resumed[0]["fit"] == resumed[1]["fit"] == fingerprints(reference)[0]["fit"]
    assert requeues.read_text().split() == ["requeue", "4242"], "requeued once"
