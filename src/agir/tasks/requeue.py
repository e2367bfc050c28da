"""Stopping for a SLURM requeue at a step boundary, with every rank at the same step.

SLURM signals a job (SIGUSR1, `#SBATCH --signal=SIGUSR1@90` in scripts/slurm.sbatch) some time before its limit.
Lightning's own handler saves a checkpoint from inside the signal handler, wherever each rank is in its step (under
DDP the ranks can then meet in different collectives, and the weights can be caught half-updated), and trains on
until the job is killed. Here the signal is only noted (`listen_for_requeue`, installed for the whole command, so a
signal during evaluation or between stages is not lost either). After each optimizer step the ranks agree whether
any of them got it; if one did, they save `last.ckpt` together, rank 0 asks SLURM to requeue the job, and the fit
stops (`requeued`). The stage then ends the command, and the requeued job, started again with `run.resume=true`,
continues from that checkpoint to the same weights as an uninterrupted run.
"""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

import lightning as L
import torch
from lightning.pytorch.callbacks import Callback

_signalled = False


def _note(signum: int, frame: object) -> None:
    global _signalled
    _signalled = True


def listen_for_requeue(signum: int = signal.SIGUSR1) -> None:
    """Note SLURM's requeue signal from now on, for RequeueOnSignal to act on at the next step boundary."""
    signal.signal(signum, _note)


def requeue_job() -> str:
    """Ask SLURM to requeue this job; what happened, in words."""
    job = os.environ.get("SLURM_JOB_ID", "")
    if "SLURM_ARRAY_JOB_ID" in os.environ:
        job = f"{os.environ['SLURM_ARRAY_JOB_ID']}_{os.environ['SLURM_ARRAY_TASK_ID']}"
    try:
        result = subprocess.run(["scontrol", "requeue", job], capture_output=True, text=True, check=False)
    except FileNotFoundError:
        return f"could not requeue SLURM job {job}: no scontrol on this machine"
    if result.returncode != 0:
        return f"could not requeue SLURM job {job}: {result.stderr.strip() or f'scontrol exited {result.returncode}'}"
    return f"requeued SLURM job {job}"


class RequeueOnSignal(Callback):
    def __init__(self, checkpoint: str | Path):
        self.checkpoint = Path(checkpoint)
        self.requeued = False
        self._checked_step = -1

    def on_train_batch_end(self, trainer: L.Trainer, pl_module: L.LightningModule, *args: object) -> None:
        if trainer.global_step == self._checked_step:
            return  # between optimizer steps (gradient accumulation): not a point to stop at
        self._checked_step = trainer.global_step
        flag = torch.tensor(float(_signalled), device=pl_module.device)
        if float(trainer.strategy.reduce(flag, reduce_op="sum")) == 0:
            return
        trainer.save_checkpoint(self.checkpoint)
        if trainer.is_global_zero:
            print(f"step {trainer.global_step}: checkpoint {self.checkpoint}; {requeue_job()}", flush=True)
        trainer.should_stop = True
        self.requeued = True
