"""The optimizer and learning-rate schedule every stage uses: AdamW, linear warm-up, cosine decay, by step."""

from __future__ import annotations

import math
from collections.abc import Iterable

import torch

from agir.config import StageBudget


def warmup_cosine(warmup_steps: int, total_steps: int, floor: float = 0.1):
    """LR multiplier: linear warm-up, then cosine decay to `floor` at `total_steps`."""

    def factor(step: int) -> float:
        if step < warmup_steps:
            return (step + 1) / warmup_steps
        progress = min(1.0, (step - warmup_steps) / max(1, total_steps - warmup_steps))
        return floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * progress))

    return factor


def adamw_with_warmup_cosine(parameters: Iterable[torch.nn.Parameter], budget: StageBudget) -> dict:
    """What `configure_optimizers` returns: AdamW over `parameters`, its schedule stepped every optimizer step."""
    optimizer = torch.optim.AdamW(parameters, lr=budget.lr, weight_decay=budget.weight_decay)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, warmup_cosine(budget.warmup_steps, budget.max_steps))
    return {"optimizer": optimizer, "lr_scheduler": {"scheduler": schedule, "interval": "step"}}
