"""EMA vector quantizer with dead-code reset (T2M-GPT's QuantizeEMAReset), safe to resume and to run under DDP.

All codebook state lives in registered buffers, so a checkpoint restores it and a resumed run never re-initialises
the codebook. Under an initialized torch.distributed process group every statistic that shapes the codebook (initial
vectors, per-step counts and sums, reset candidates) is shared across ranks, so all ranks hold the same codebook
after every step and every rank's data shapes it. Without a process group it runs as a single process.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch import Tensor, nn


@dataclass
class QuantizerOutput:
    quantized: Tensor  # (B, D, T'), straight-through: gradients flow to the encoder output unchanged
    codes: Tensor  # (B, T') long
    commitment_loss: Tensor  # mean squared distance of encoder outputs to their (frozen) codes, unweighted
    perplexity: Tensor  # exp(entropy) of this batch's code histogram
    usage: Tensor  # fraction of the codebook used by this batch


def _distributed() -> bool:
    return dist.is_available() and dist.is_initialized()


def _sum_across_ranks(tensor: Tensor) -> Tensor:
    if _distributed():
        dist.all_reduce(tensor)
    return tensor


def _sample_rows(vectors: Tensor, count: int) -> Tensor:
    """`count` rows drawn at random from (N, D) `vectors`, from every rank's batch alike when distributed."""
    if len(vectors) < count:
        index = torch.randint(len(vectors), (count,), device=vectors.device)
    else:
        index = torch.randperm(len(vectors), device=vectors.device)[:count]
    sample = vectors[index]
    if not _distributed():
        return sample
    # Every rank contributes `count` rows (batch sizes may differ); row k comes from rank k % world_size.
    gathered = [torch.empty_like(sample) for _ in range(dist.get_world_size())]
    dist.all_gather(gathered, sample)
    rows = torch.arange(count, device=sample.device)
    return torch.stack(gathered)[rows % len(gathered), rows]


class EMAQuantizer(nn.Module):
    def __init__(
        self,
        codebook_size: int,
        code_dim: int,
        decay: float = 0.99,
        dead_code_threshold: float = 1.0,
        eps: float = 1e-5,
    ):
        super().__init__()
        self.codebook_size = codebook_size
        self.code_dim = code_dim
        self.decay = decay
        self.dead_code_threshold = dead_code_threshold
        self.eps = eps
        # Random until the first training batch replaces it, so an untrained model still emits varied codes.
        self.register_buffer("codebook", torch.randn(codebook_size, code_dim))
        self.register_buffer("ema_count", torch.zeros(codebook_size))
        self.register_buffer("ema_sum", torch.zeros(codebook_size, code_dim))
        self.register_buffer("initialized", torch.tensor(False))

    def nearest_codes(self, z: Tensor) -> Tensor:
        """Index of the nearest code of each vector: (B, D, T') -> (B, T') long."""
        self._check_latents(z)
        return self._nearest(self._flatten(z)).view(z.shape[0], z.shape[2])

    def lookup(self, codes: Tensor) -> Tensor:
        """Code vectors of (B, T') indices -> (B, D, T')."""
        if codes.dtype not in (torch.int32, torch.int64) or codes.ndim != 2:
            raise ValueError(f"codes must be a (batch, length) integer tensor, got {codes.dtype} {tuple(codes.shape)}")
        if codes.numel() and (codes.min() < 0 or codes.max() >= self.codebook_size):
            raise ValueError(
                f"codes must lie in [0, {self.codebook_size}), got range [{codes.min().item()}, {codes.max().item()}]"
            )
        return F.embedding(codes, self.codebook).transpose(1, 2)

    def forward(self, z: Tensor) -> QuantizerOutput:
        self._check_latents(z)
        # Distances and EMA statistics in float32 even under mixed precision: bf16 sums drift the codebook.
        with torch.autocast(device_type=z.device.type, enabled=False):
            flat = self._flatten(z).float()
            if self.training and not self.initialized:
                self._initialize(flat.detach())
            codes = self._nearest(flat)
            # Looked up before the EMA step, as in T2M-GPT: the loss sees the codes the batch was assigned to.
            quantized = self.codebook[codes]
            counts = torch.bincount(codes, minlength=self.codebook_size).float()
            if self.training:
                # A copy: the update sums counts across ranks in place, the returned statistics stay this batch's.
                self._update(flat.detach(), codes, counts.clone())
            commitment_loss = F.mse_loss(flat, quantized)
        probs = counts / counts.sum()
        perplexity = torch.exp(-(probs * torch.log(probs.clamp_min(1e-12))).sum())
        quantized = quantized.view(z.shape[0], z.shape[2], self.code_dim).transpose(1, 2).to(z.dtype)
        return QuantizerOutput(
            quantized=z + (quantized - z).detach(),
            codes=codes.view(z.shape[0], z.shape[2]),
            commitment_loss=commitment_loss,
            perplexity=perplexity,
            usage=(counts > 0).float().mean(),
        )

    def _check_latents(self, z: Tensor) -> None:
        if z.ndim != 3 or z.shape[1] != self.code_dim:
            raise ValueError(f"latents must be (batch, {self.code_dim}, length), got {tuple(z.shape)}")

    @staticmethod
    def _flatten(z: Tensor) -> Tensor:
        return z.transpose(1, 2).reshape(-1, z.shape[1])

    def _nearest(self, flat: Tensor) -> Tensor:
        codebook = self.codebook.to(flat.dtype)
        distances = flat.pow(2).sum(1, keepdim=True) - 2 * flat @ codebook.t() + codebook.pow(2).sum(1)
        return distances.argmin(dim=1)

    @torch.no_grad()
    def _initialize(self, flat: Tensor) -> None:
        """Codebook = random encoder outputs; each code starts with the mean usage so none is dead on arrival."""
        self.codebook.copy_(_sample_rows(flat, self.codebook_size))
        total = _sum_across_ranks(torch.tensor(float(len(flat)), device=flat.device))
        self.ema_count.fill_(total.item() / self.codebook_size)
        self.ema_sum.copy_(self.codebook * self.ema_count[:, None])
        self.initialized.fill_(True)

    @torch.no_grad()
    def _update(self, flat: Tensor, codes: Tensor, counts: Tensor) -> None:
        sums = torch.zeros_like(self.ema_sum).index_add_(0, codes, flat)
        _sum_across_ranks(counts)
        _sum_across_ranks(sums)
        self.ema_count.mul_(self.decay).add_(counts, alpha=1 - self.decay)
        self.ema_sum.mul_(self.decay).add_(sums, alpha=1 - self.decay)
        # Laplace smoothing keeps rarely used codes finite instead of dividing by a vanishing count.
        total = self.ema_count.sum()
        smoothed = (self.ema_count + self.eps) / (total + self.codebook_size * self.eps) * total
        self.codebook.copy_(self.ema_sum / smoothed[:, None])
        # ema_count is identical on every rank, so every rank resets the same codes with the same candidates.
        dead = self.ema_count < self.dead_code_threshold
        if dead.any():
            candidates = _sample_rows(flat, self.codebook_size)
            self.codebook[dead] = candidates[dead]
            # A re-seeded code survives while it is used at least `dead_code_threshold` times per step.
            self.ema_count[dead] = self.dead_code_threshold
            self.ema_sum[dead] = candidates[dead] * self.dead_code_threshold
