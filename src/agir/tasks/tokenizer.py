"""MotionTokenizerModule: trains the VQ-VAE on the DataModule's normalized motion windows.

Loss = smooth-L1 reconstruction + velocity term + commitment (T2M-GPT). Validation reports MPJPE in millimetres on
de-normalized joints, and codebook usage and perplexity over the whole validation set, reduced across ranks.
"""

from __future__ import annotations

import dataclasses

import lightning as L
import numpy as np
import torch
import torch.nn.functional as F
from torchmetrics import MeanMetric, Metric

from agir.config import TokenizerStageConfig
from agir.models.vqvae import MotionVQVAE
from agir.motion.features import FEATURE_DIM, features_to_joints
from agir.tasks.schedule import adamw_with_warmup_cosine


class CodebookUsage(Metric):
    """Histogram of emitted codes; summed across ranks, it gives usage (% of codes used) and perplexity."""

    def __init__(self, codebook_size: int):
        super().__init__()
        self.add_state("counts", default=torch.zeros(codebook_size, dtype=torch.float64), dist_reduce_fx="sum")

    def update(self, codes: torch.Tensor) -> None:
        self.counts += torch.bincount(codes.flatten(), minlength=self.counts.numel()).to(self.counts)

    def compute(self) -> dict[str, torch.Tensor]:
        probs = self.counts / self.counts.sum().clamp_min(1)
        entropy = -(probs * probs.clamp_min(1e-12).log()).sum()
        # The summed histogram is only in `counts` during compute: torchmetrics restores the rank's own afterwards.
        return {
            "usage_pct": 100 * (self.counts > 0).double().mean(),
            "perplexity": entropy.exp(),
            "counts": self.counts.clone(),
        }


def mpjpe_mm(predicted: np.ndarray, target: np.ndarray, root_aligned: bool = True) -> np.ndarray:
    """Mean per-joint position error of each sequence in millimetres, (B, T, J, 3) x2 -> (B,).

    Root-aligned (the usual MPJPE) compares poses with both pelvises at the origin of every frame; without alignment
    the error also carries the drift of the integrated root trajectory.
    """
    if root_aligned:
        predicted = predicted - predicted[:, :, :1]
        target = target - target[:, :, :1]
    return 1000 * np.linalg.norm(predicted - target, axis=-1).mean(axis=(1, 2))


class MotionTokenizerModule(L.LightningModule):
    def __init__(self, config: TokenizerStageConfig):
        super().__init__()
        self.config = config
        # The feature layout fixes the input size, whatever the config file says.
        self.vqvae = MotionVQVAE(dataclasses.replace(config.model, input_dim=FEATURE_DIM))
        # Normalization statistics of the training features travel with the weights.
        self.register_buffer("feature_mean", torch.zeros(FEATURE_DIM))
        self.register_buffer("feature_std", torch.ones(FEATURE_DIM))
        # Validation and test share these: Lightning never runs the two loops at once. Every one is reduced across
        # ranks at the end of the epoch, so a rank whose shard was only repeats still takes part.
        self.eval_recon = MeanMetric()
        self.eval_loss = MeanMetric()
        self.eval_mpjpe = MeanMetric()
        self.eval_trajectory_mpjpe = MeanMetric()
        self.eval_usage = CodebookUsage(config.model.codebook_size)
        self.last_code_counts: list[int] = []

    def setup(self, stage: str) -> None:
        # On resume the checkpoint, loaded after setup, restores the same statistics.
        stats = self.trainer.datamodule.stats
        self.feature_mean.copy_(torch.from_numpy(stats.mean))
        self.feature_std.copy_(torch.from_numpy(stats.std))

    def _losses(self, x: torch.Tensor) -> tuple[dict[str, torch.Tensor], object]:
        out = self.vqvae(x)
        recon = F.smooth_l1_loss(out.reconstruction, x)
        velocity = F.smooth_l1_loss(out.reconstruction.diff(dim=1), x.diff(dim=1))
        loss = recon + self.config.velocity_weight * velocity + self.config.model.commitment * out.commitment_loss
        return {"loss": loss, "recon": recon, "velocity": velocity, "commit": out.commitment_loss}, out

    def training_step(self, batch: torch.Tensor, batch_idx: int) -> torch.Tensor:
        losses, out = self._losses(batch)
        self.log_dict({f"train/{k}": v for k, v in losses.items() if k != "loss"})
        self.log("train/perplexity", out.perplexity)
        self.log("train/codebook_usage_pct", 100 * out.usage)
        self.log("train/loss", losses["loss"], prog_bar=True)
        return losses["loss"]

    def denormalized_joints(self, normalized: torch.Tensor) -> np.ndarray:
        features = (normalized.float() * self.feature_std + self.feature_mean).detach().cpu().numpy()
        return np.stack([features_to_joints(sequence) for sequence in features])

    def _evaluate(self, batch: tuple[torch.Tensor, torch.Tensor]) -> None:
        windows, counted = batch
        windows = windows[counted]  # a repeat that pads this rank's shard (agir.data.sampling) counts nowhere
        if len(windows) == 0:
            return
        losses, out = self._losses(windows)
        self.eval_recon.update(losses["recon"], weight=len(windows))
        self.eval_loss.update(losses["loss"], weight=len(windows))
        predicted, target = self.denormalized_joints(out.reconstruction), self.denormalized_joints(windows)
        self.eval_mpjpe.update(torch.from_numpy(mpjpe_mm(predicted, target)))
        self.eval_trajectory_mpjpe.update(torch.from_numpy(mpjpe_mm(predicted, target, root_aligned=False)))
        self.eval_usage.update(out.codes)

    def _log_epoch(self, prefix: str) -> None:
        usage = self.eval_usage.compute()
        self.log(f"{prefix}/recon", self.eval_recon.compute())
        self.log(f"{prefix}/loss", self.eval_loss.compute(), prog_bar=prefix == "val")
        self.log(f"{prefix}/mpjpe_mm", self.eval_mpjpe.compute(), prog_bar=prefix == "val")
        self.log(f"{prefix}/trajectory_mpjpe_mm", self.eval_trajectory_mpjpe.compute())
        self.log(f"{prefix}/codebook_usage_pct", usage["usage_pct"].float(), prog_bar=prefix == "val")
        self.log(f"{prefix}/perplexity", usage["perplexity"].float())
        self.last_code_counts = usage["counts"].long().tolist()
        for metric in (self.eval_recon, self.eval_loss, self.eval_mpjpe, self.eval_trajectory_mpjpe, self.eval_usage):
            metric.reset()

    def validation_step(self, batch: tuple[torch.Tensor, torch.Tensor], batch_idx: int) -> None:
        self._evaluate(batch)

    def test_step(self, batch: tuple[torch.Tensor, torch.Tensor], batch_idx: int) -> None:
        self._evaluate(batch)

    def on_validation_epoch_end(self) -> None:
        self._log_epoch("val")

    def on_test_epoch_end(self) -> None:
        self._log_epoch("test")

    def configure_optimizers(self) -> dict:
        return adamw_with_warmup_cosine(self.parameters(), self.config)
