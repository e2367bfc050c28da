"""Configuration of the VQ-VAE motion tokenizer (a plain dataclass: part of AGIR's structured config, free of torch)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class VQVAEConfig:
    input_dim: int = 137  # per-frame feature size (set from the data at run time)
    codebook_size: int = 512
    code_dim: int = 512
    width: int = 512
    depth: int = 3  # residual blocks per resolution level
    down_t: int = 2  # number of stride-2 downsamplings -> x4
    dilation_growth: int = 3
    ema_decay: float = 0.99
    commitment: float = 0.02  # weight of the commitment loss; applied by the training loss, not here
    dead_code_threshold: float = 1.0  # EMA usage (assignments per step) below which a code is re-seeded from the batch

    def __post_init__(self) -> None:
        for name in ("input_dim", "codebook_size", "code_dim", "width", "depth", "dilation_growth"):
            if getattr(self, name) < 1:
                raise ValueError(f"VQVAEConfig.{name} must be at least 1, got {getattr(self, name)}")
        if self.down_t < 0:
            raise ValueError(f"VQVAEConfig.down_t must be non-negative, got {self.down_t}")
        if not 0 <= self.ema_decay < 1:
            raise ValueError(f"VQVAEConfig.ema_decay must lie in [0, 1), got {self.ema_decay}")
        if self.commitment < 0 or self.dead_code_threshold < 0:
            raise ValueError("VQVAEConfig.commitment and VQVAEConfig.dead_code_threshold must be non-negative")
