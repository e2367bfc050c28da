"""The ranks of a multi-process job and the hand-offs between them.

Lightning's `ddp` strategy, torchrun and srun all run `agir.fit` once per rank, from the top. Left alone, Lightning
would start its other ranks only when the first Trainer fits, and every rank would then go its own way between fits:
one that finishes a stage early reads files rank 0 has not written yet. So `start_ranks` starts them (Lightning's
launcher, through Fabric) and joins the process group at the top of the command, before anything is read or
written; the Trainers later reuse that group. From then on every hand-off is: global rank 0 writes, every rank
waits (`handoff`), then reads. Strategies that fork or spawn their workers inside a fit (`ddp_spawn`,
`ddp_notebook`) keep a single process outside fits and need none of this.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import lightning as L
import torch.distributed as dist
from lightning.fabric.strategies import DDPStrategy
from omegaconf import DictConfig

from agir.data.corpus import BUILD_WAIT_S
from agir.data.sampling import rank_and_world
from agir.pipeline.runs import StageError

# Strategies whose workers are started outside the command (they run it whole) rather than inside a fit.
_FROM_THE_TOP = ("ddp", "ddp_find_unused_parameters_true", "ddp_find_unused_parameters_false")


def start_ranks(trainer: DictConfig) -> None:
    """Start this job's other ranks (when Lightning launches them) and join the process group, for `ddp` trainers."""
    if str(trainer.get("strategy", "auto")) not in _FROM_THE_TOP:
        return
    fabric = L.Fabric(
        accelerator=trainer.accelerator,
        devices=trainer.devices,
        num_nodes=trainer.get("num_nodes", 1),
        # The others wait for rank 0's corpus build in a collective: as long as a process waits on the build lock.
        strategy=DDPStrategy(timeout=timedelta(seconds=BUILD_WAIT_S)),
    )
    if fabric.world_size > 1:
        fabric.launch()


def is_global_zero() -> bool:
    return rank_and_world()[0] == 0


def handoff() -> None:
    """Wait until every rank is here: what rank 0 wrote before its call is complete for everyone after it."""
    if dist.is_available() and dist.is_initialized():
        dist.barrier()


def on_rank_zero(write: Callable[[], object]) -> None:
    """`write` on global rank 0 alone while the others wait. A bad-input error it raises (ValueError, StageError
    included) becomes a StageError with the same message on every rank, so no rank waits for a hand-off that will
    never come."""
    message = None
    if is_global_zero():
        try:
            write()
        except ValueError as error:
            message = str(error)
    if dist.is_available() and dist.is_initialized():
        shared = [message]
        dist.broadcast_object_list(shared, src=0)
        message = shared[0]
    if message is not None:
        raise StageError(message)


def stop_ranks() -> None:
    """Leave the process group together at the end of the command, so no rank exits under another's feet."""
    if dist.is_available() and dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()
