"""Token batches: examples and prompts padded to one tensor, labels -100 and attention 0 on the padding."""

from __future__ import annotations

import torch
from torch import Tensor

from agir.text.prompts import IGNORE_INDEX, SFTExample


def collate(examples: list[SFTExample], pad_id: int, pad_side: str = "right") -> dict[str, Tensor]:
    """Pad to the longest example: input_ids with `pad_id`, labels with -100, attention_mask 0 on padding.

    Padding is masked by position, so a `pad_id` equal to EOS never hides a real, supervised EOS."""
    if not examples:
        raise ValueError("collate needs at least one example")
    return {
        "input_ids": pad([e.input_ids for e in examples], pad_id, pad_side),
        "attention_mask": pad([[1] * len(e.input_ids) for e in examples], 0, pad_side),
        "labels": pad([e.labels for e in examples], IGNORE_INDEX, pad_side),
    }


def decision_flags(example: SFTExample) -> list[int]:
    """1 on each token of the example's decision, 0 before it (all 0 without one)."""
    start = len(example.input_ids) if example.decision_start is None else example.decision_start
    return [0] * start + [1] * (len(example.input_ids) - start)


def collate_prompts(prompts: list[list[int]], pad_id: int) -> dict[str, Tensor]:
    """Left-padded generation batch (input_ids, attention_mask), so every prompt ends where generation starts."""
    if not prompts or not all(prompts):
        raise ValueError("collate_prompts needs at least one prompt and no empty prompt")
    return {
        "input_ids": pad(prompts, pad_id, "left"),
        "attention_mask": pad([[1] * len(prompt) for prompt in prompts], 0, "left"),
    }


def pad(rows: list[list[int]], value: int, side: str) -> Tensor:
    """`rows` as one long tensor, each filled up to the longest with `value` on `side`."""
    if side not in ("right", "left"):
        raise ValueError(f"pad_side must be 'right' or 'left', not {side!r}")
    width = max(len(row) for row in rows)
    batch = torch.full((len(rows), width), value, dtype=torch.long)
    for index, row in enumerate(rows):
        start = 0 if side == "right" else width - len(row)
        batch[index, start : start + len(row)] = torch.tensor(row, dtype=torch.long)
    return batch
