"""The VQ-VAE motion tokenizer network (T2M-GPT style): 1D-conv encoder and decoder with dilated residual blocks,
`down_t` stride-2 temporal downsamplings (x4 by default) and an EMA quantizer with dead-code reset.

Padding policy: a sequence of any length T >= 1 is padded at the end, by repeating its last frame, up to the next
multiple of 2**down_t, so it yields ceil(T / 2**down_t) codes. The forward pass crops the reconstruction back to T;
`decode` returns 2**down_t frames per code unless told the original `length`.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from agir.models.quantizer import EMAQuantizer
from agir.models.vqvae_config import VQVAEConfig


@dataclass
class VQVAEOutput:
    reconstruction: Tensor  # (B, T, input_dim)
    codes: Tensor  # (B, ceil(T / 2**down_t)) long
    commitment_loss: Tensor  # unweighted; the training loss multiplies it by config.commitment
    perplexity: Tensor
    usage: Tensor


class ResidualBlock(nn.Module):
    """x + conv1x1(relu(dilated conv3(relu(x)))): length-preserving."""

    def __init__(self, width: int, dilation: int):
        super().__init__()
        self.dilated = nn.Conv1d(width, width, kernel_size=3, padding=dilation, dilation=dilation)
        self.mix = nn.Conv1d(width, width, kernel_size=1)

    def forward(self, x: Tensor) -> Tensor:
        return x + self.mix(F.relu(self.dilated(F.relu(x))))


def residual_stack(width: int, depth: int, dilation_growth: int) -> nn.Sequential:
    # Widest receptive field first, as in T2M-GPT (reverse_dilation=True).
    return nn.Sequential(*(ResidualBlock(width, dilation_growth**d) for d in reversed(range(depth))))


def encoder(config: VQVAEConfig) -> nn.Sequential:
    layers: list[nn.Module] = [nn.Conv1d(config.input_dim, config.width, 3, padding=1), nn.ReLU()]
    for _ in range(config.down_t):
        layers += [
            nn.Conv1d(config.width, config.width, kernel_size=4, stride=2, padding=1),
            residual_stack(config.width, config.depth, config.dilation_growth),
        ]
    layers.append(nn.Conv1d(config.width, config.code_dim, 3, padding=1))
    return nn.Sequential(*layers)


def decoder(config: VQVAEConfig) -> nn.Sequential:
    layers: list[nn.Module] = [nn.Conv1d(config.code_dim, config.width, 3, padding=1), nn.ReLU()]
    for _ in range(config.down_t):
        layers += [
            residual_stack(config.width, config.depth, config.dilation_growth),
            nn.Upsample(scale_factor=2, mode="nearest"),
            nn.Conv1d(config.width, config.width, 3, padding=1),
        ]
    layers += [
        nn.Conv1d(config.width, config.width, 3, padding=1),
        nn.ReLU(),
        nn.Conv1d(config.width, config.input_dim, 3, padding=1),
    ]
    return nn.Sequential(*layers)


class MotionVQVAE(nn.Module):
    def __init__(self, config: VQVAEConfig):
        super().__init__()
        self.config = config
        self.frames_per_code = 2**config.down_t
        self.encoder = encoder(config)
        self.decoder = decoder(config)
        self.quantizer = EMAQuantizer(
            config.codebook_size, config.code_dim, config.ema_decay, config.dead_code_threshold
        )

    def forward(self, x: Tensor) -> VQVAEOutput:
        """(B, T, input_dim) -> reconstruction of the same shape, codes and quantizer statistics.

        In training mode the quantizer updates its codebook (and syncs it across ranks when distributed)."""
        quantized = self.quantizer(self._encode_latents(x))
        reconstruction = self._decode_latents(quantized.quantized)[:, : x.shape[1]]
        return VQVAEOutput(
            reconstruction, quantized.codes, quantized.commitment_loss, quantized.perplexity, quantized.usage
        )

    @torch.no_grad()
    def encode(self, x: Tensor) -> Tensor:
        """(B, T, input_dim) -> (B, ceil(T / 2**down_t)) long codes; never updates the codebook."""
        return self.quantizer.nearest_codes(self._encode_latents(x))

    @torch.no_grad()
    def decode(self, codes: Tensor, length: int | None = None) -> Tensor:
        """(B, T') codes -> (B, T' * 2**down_t, input_dim) features, cropped to the first `length` frames if given."""
        frames = codes.shape[-1] * self.frames_per_code
        if length is not None and not 1 <= length <= frames:
            raise ValueError(f"length must lie in [1, {frames}] for {codes.shape[-1]} codes, got {length}")
        return self._decode_latents(self.quantizer.lookup(codes))[:, :length]

    def _encode_latents(self, x: Tensor) -> Tensor:
        if x.ndim != 3 or x.shape[1] < 1 or x.shape[2] != self.config.input_dim:
            raise ValueError(f"motion must be (batch, frames >= 1, {self.config.input_dim}), got {tuple(x.shape)}")
        padding = -x.shape[1] % self.frames_per_code
        x = torch.cat([x, x[:, -1:].expand(-1, padding, -1)], dim=1)
        return self.encoder(x.transpose(1, 2))

    def _decode_latents(self, latents: Tensor) -> Tensor:
        return self.decoder(latents).transpose(1, 2)
