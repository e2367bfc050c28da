"""A key/value cache that reserves its full length once, so greedy decoding writes into it instead of growing it.

Transformers' `DynamicCache` concatenates every step: each new token copies the whole cache of every layer, which
at 32 rows and a few hundred cached tokens costs about as much as the attention itself on a CPU. Generation knows
the final length (prompt width + max_new_tokens), so this cache allocates it up front and hands attention a view
of the filled part. Same values, same outputs (tested), no copies.
"""

from __future__ import annotations

import torch
from transformers.cache_utils import Cache, DynamicCache, DynamicLayer


class ReservedLayer(DynamicLayer):
    """A `DynamicLayer` whose keys and values are views of buffers of `capacity` positions."""

    def __init__(self, capacity: int):
        super().__init__()
        self.capacity = capacity

    def lazy_initialization(self, key_states: torch.Tensor, value_states: torch.Tensor) -> None:
        super().lazy_initialization(key_states, value_states)
        rows, heads, _, _ = key_states.shape
        self._key_buffer = key_states.new_empty(rows, heads, self.capacity, key_states.shape[-1])
        self._value_buffer = value_states.new_empty(rows, value_states.shape[1], self.capacity,
                                                    value_states.shape[-1])

    def update(self, key_states: torch.Tensor, value_states: torch.Tensor, *args, **kwargs
               ) -> tuple[torch.Tensor, torch.Tensor]:
        if not self.is_initialized:
            self.lazy_initialization(key_states, value_states)
        start = self.get_seq_length()
        end = start + key_states.shape[-2]
        if end > self.capacity:
            raise ValueError(f"ReservedLayer holds {self.capacity} positions; {end} were asked for")
        self._key_buffer[:, :, start:end] = key_states
        self._value_buffer[:, :, start:end] = value_states
        self.keys, self.values = self._key_buffer[:, :, :end], self._value_buffer[:, :, :end]
        return self.keys, self.values


class ReservedCache(DynamicCache):
    """A `DynamicCache` of `ReservedLayer`s, one per decoder layer."""

    def __init__(self, layers: int, capacity: int):
        Cache.__init__(self, layers=[ReservedLayer(capacity) for _ in range(layers)])


def reserved_cache(model_config, capacity: int) -> ReservedCache | None:
    """A ReservedCache of `capacity` positions for a model whose layers all keep their full history (what
    `DynamicCache` builds as plain `DynamicLayer`s); None for sliding-window or other layer kinds, which keep theirs."""
    layers = DynamicCache(config=model_config).layers
    if not layers or any(type(layer) is not DynamicLayer for layer in layers):
        return None
    return ReservedCache(len(layers), capacity)
