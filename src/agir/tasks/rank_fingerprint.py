"""What each DDP rank ends a stage with, written per rank, so a desynchronized rank shows up in real outputs.

Under DDP every rank must hold the same trainable weights and buffers (gradients are averaged, the EMA codebook's
statistics summed) and must report the same metrics (torchmetrics reduce their states across ranks). With
`run.rank_fingerprints=true` each rank writes `<stage>/ranks/rank<N>.json` after each of fit, validate and test:
a hash of every trainable parameter and buffer after fit, and the metrics that rank computed after validate and
test. Files that differ between ranks name the tensor or the metric that went astray.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import lightning as L
import torch
from lightning.pytorch.callbacks import Callback


def tensor_digest(tensor: torch.Tensor) -> str:
    """A hash of the exact bytes of `tensor` (any dtype, any device)."""
    data = tensor.detach().cpu().contiguous().flatten().view(torch.uint8).numpy()
    return hashlib.sha256(data.tobytes()).hexdigest()[:16]


def trained_state_digests(module: torch.nn.Module) -> dict[str, str]:
    """Hashes of the module's trainable parameters and its buffers: what training may change."""
    tensors = {name: p for name, p in module.named_parameters() if p.requires_grad}
    tensors |= dict(module.named_buffers())
    return {name: tensor_digest(tensor) for name, tensor in sorted(tensors.items())}


class RankFingerprint(Callback):
    def __init__(self, stage_dir: str | Path):
        self.stage_dir = Path(stage_dir)

    def teardown(self, trainer: L.Trainer, pl_module: L.LightningModule, stage: str) -> None:
        path = self.stage_dir / "ranks" / f"rank{trainer.global_rank}.json"
        record = json.loads(path.read_text()) if path.is_file() else {}
        # Who started this rank and where it sits, as Lightning read them (SLURM, torchrun or its own launcher).
        record |= {
            "world_size": trainer.world_size,
            "global_rank": trainer.global_rank,
            "local_rank": trainer.local_rank,
            "node_rank": trainer.node_rank,
            "cluster_environment": type(getattr(trainer.strategy, "cluster_environment", None)).__name__,
        }
        if stage == "fit":
            record["fit"] = {"global_step": trainer.global_step, "tensors": trained_state_digests(pl_module)}
        else:
            record[stage] = {key: float(value) for key, value in trainer.callback_metrics.items()}
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(record, indent=1) + "\n")
