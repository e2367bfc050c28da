"""Training batch layouts that waste less compute on padding, with the same samples in every optimizer step.

- bucketed: the epoch's shuffled order is regrouped so each batch holds samples of similar length, and the batches
  run in random order. Each window of `BUCKET_WINDOW` batches is sorted by length on its own, so which samples share
  a batch still changes from epoch to epoch.
- packed: a batch's samples are concatenated into as few rows of `max_length` as first-fit decreasing allows. Each
  sample's positions restart at 0, and transformers (`masking_utils.find_packed_sequence_indices`) turns a position
  that does not follow its predecessor into a block-diagonal causal mask, so no sample attends to another: its logits
  are those it has alone. The rows carry no 2D attention mask (transformers looks for packed samples only without
  one); the padding after the last sample of a row is a sample of its own with no supervised token.

A sample's first label is always -100 (it starts with its prompt), so the next-token loss never asks one sample to
predict the next one's first token.
"""

from __future__ import annotations

import torch

from agir.data.padding import decision_flags, pad
from agir.text.prompts import IGNORE_INDEX, SFTExample

BUCKET_WINDOW = 8  # batches sorted by length together


def bucketed_order(order: list[int], lengths: list[int], batch_size: int, generator: torch.Generator) -> list[int]:
    """`order` regrouped into batches of `batch_size` samples of similar length, batches in random order.

    The incomplete batch a loader with drop_last leaves out is the same samples `order` would leave out: its tail."""
    whole = len(order) - len(order) % batch_size
    window = batch_size * BUCKET_WINDOW
    batches = []
    for start in range(0, whole, window):
        ranked = sorted(order[start : min(start + window, whole)], key=lambda index: lengths[index])
        batches += [ranked[i : i + batch_size] for i in range(0, len(ranked), batch_size)]
    shuffled = torch.randperm(len(batches), generator=generator).tolist()
    return [index for b in shuffled for index in batches[b]] + order[whole:]


def pack(examples: list[SFTExample], max_length: int, pad_id: int) -> dict[str, torch.Tensor]:
    """`examples` packed into rows of at most `max_length` tokens: input_ids, labels, position_ids (restarting at
    each sample), attention_mask (1 on sample tokens, 0 on the padding; a count, not given to the model) and
    decision_mask (1 on each sample's decision: agir.data.padding.decision_flags)."""
    rows: list[list[SFTExample]] = []
    room: list[int] = []
    for example in sorted(examples, key=lambda e: len(e.input_ids), reverse=True):
        length = len(example.input_ids)
        if length > max_length:
            raise ValueError(f"an example of {length} tokens does not fit a packed row of {max_length}")
        if example.labels[0] != IGNORE_INDEX:
            raise ValueError("a packed example must start with an unsupervised (prompt) token")
        row = next((r for r, free in enumerate(room) if free >= length), None)
        if row is None:
            rows.append([])
            room.append(max_length)
            row = len(rows) - 1
        rows[row].append(example)
        room[row] -= length
    width = max_length - min(room)
    # The padding tail counts from 0 too: a segment of its own, which no sample attends to.
    return {
        "input_ids": pad([[t for e in row for t in e.input_ids] for row in rows], pad_id, "right"),
        "labels": pad([[t for e in row for t in e.labels] for row in rows], IGNORE_INDEX, "right"),
        "position_ids": torch.stack([_positions(row, width) for row in rows]),
        "attention_mask": pad([[1] * sum(len(e.input_ids) for e in row) for row in rows], 0, "right"),
        "decision_mask": pad([[flag for e in row for flag in decision_flags(e)] for row in rows], 0, "right"),
    }


def _positions(row: list[SFTExample], width: int) -> torch.Tensor:
    spans = [len(e.input_ids) for e in row]
    spans.append(width - sum(spans))
    return torch.cat([torch.arange(span) for span in spans if span])
