"""Boolean masks over a tokenizer's vocabulary, from each token's decoded text, built once per tokenizer.

Generation-time processors (grounded numbers, score reading) ask cheap per-step questions of the token just chosen
(does it start a number? does it end with a colon?); a mask answers them with one index instead of a decode.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable

import torch

_MASKS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def token_mask(tokenizer, name: str, predicate: Callable[[str], bool]) -> torch.Tensor:
    """(len(tokenizer),) bool: `predicate` of each token's decoded text, cached under `name` for this tokenizer (and
    rebuilt when the vocabulary has grown)."""
    masks = _MASKS.setdefault(tokenizer, {})
    if name not in masks or len(masks[name]) != len(tokenizer):
        masks[name] = torch.tensor([bool(predicate(text)) for text in token_texts(tokenizer)])
    return masks[name]


def token_texts(tokenizer) -> list[str]:
    """Each token's decoded text, by id, decoded once per tokenizer (and again when the vocabulary has grown)."""
    masks = _MASKS.setdefault(tokenizer, {})
    if "texts" not in masks or len(masks["texts"]) != len(tokenizer):
        masks["texts"] = tokenizer.batch_decode([[i] for i in range(len(tokenizer))])
    return masks["texts"]
