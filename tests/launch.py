"""Running `python -m agir.fit` as its own process from a test, with the same agir the test imported."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import agir

SOURCE = Path(agir.__file__).resolve().parents[1]


def fit_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "agir.fit", *args]


def child_env() -> dict[str, str]:
    """This environment with the tested source tree first on the path, so a child (and the DDP ranks it
    launches) imports the code under test, not another installed copy."""
    env = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", TOKENIZERS_PARALLELISM="false")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(SOURCE), env.get("PYTHONPATH")]))
    return env


def run_fit(*args: str, timeout: float = 300) -> str:
    """`agir.fit` to completion, its stdout returned; a failure shows the end of its output.

    It runs in its own process group, so a timeout kills the DDP ranks it launched too instead of leaving them
    orphaned and holding the test's pipes."""
    process = subprocess.Popen(
        fit_command(*args),
        env=child_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        raise
    assert process.returncode == 0, f"agir.fit failed ({process.returncode}):\n{stderr[-4000:]}"
    return stdout


def kill_after_first_checkpoint(command: list[str], checkpoint: Path, timeout: float = 180) -> None:
    """Start `command`, SIGKILL it once `checkpoint` exists: a crash mid-run, after the first checkpoint."""
    process = subprocess.Popen(command, env=child_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + timeout
    while not checkpoint.exists() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    time.sleep(0.2)  # let the first checkpoint finish writing; the kill still lands mid-run
    process.kill()
    process.wait()
