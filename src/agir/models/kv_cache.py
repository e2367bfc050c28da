"""A key/value cache that reserves its full length once, so greedy decoding writes into it instead of growing it.

Transformers' `DynamicCache` concatenates every step: each new token copies the whole cache of every layer, which
at 32 rows and a few hundred cached tokens costs about as much as the attention itself on a CPU. Generation knows
the final length (prompt width + max_new_tokens), so this cache allocates it up front and hands attention a view
of the filled part. Same values, same outputs (tested), no copies.

`place` fills it with prompts cached one at a time, each laid out as left padding puts it in the batch: the keys
and values a padded batch would cache, without computing attention over the padding.
"""

from __future__ import annotations

import inspect

import torch
from transformers.cache_utils import Cache, DynamicCache, DynamicLayer


class ReservedLayer(DynamicLayer):
    """A `DynamicLayer` whose keys and values are views of buffers of `capacity` positions."""

    def __init__(self, capacity: int):
        super().__init__()
        self.capacity = capacity

    def lazy_initialization(self, key_states: torch.Tensor, value_states: torch.Tensor) -> None:
        self._reserve(key_states, value_states, rows=key_states.shape[0])

    def _reserve(self, keys: torch.Tensor, values: torch.Tensor, rows: int) -> None:
        """Buffers of `rows` rows and `capacity` positions, shaped and typed like `keys` and `values`. Zero: a
        position no row writes (the padding of `place`) stays finite under the attention mask that hides it."""
        super().lazy_initialization(keys, values)
        self._key_buffer = keys.new_zeros(rows, keys.shape[1], self.capacity, keys.shape[-1])
        self._value_buffer = values.new_zeros(rows, values.shape[1], self.capacity, values.shape[-1])

    def update(
        self, key_states: torch.Tensor, value_states: torch.Tensor, *args, **kwargs
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

    def place(self, row: int, rows: int, keys: torch.Tensor, values: torch.Tensor, end: int) -> None:
        """Writes one sequence's keys and values (1, heads, length, dim) into row `row` of a `rows`-row batch so that
        they end at position `end`; the cache then holds `end` positions."""
        if not self.is_initialized:
            self._reserve(keys, values, rows)
        if end > self.capacity or keys.shape[-2] > end:
            raise ValueError(f"ReservedLayer holds {self.capacity} positions; {keys.shape[-2]} cannot end at {end}")
        self._key_buffer[row, :, end - keys.shape[-2] : end] = keys[0]
        self._value_buffer[row, :, end - values.shape[-2] : end] = values[0]
        self.keys, self.values = self._key_buffer[:, :, :end], self._value_buffer[:, :, :end]


class ReservedCache(DynamicCache):
    """A `DynamicCache` of `ReservedLayer`s, one per decoder layer."""

    def __init__(self, layers: int, capacity: int):
        Cache.__init__(self, layers=[ReservedLayer(capacity) for _ in range(layers)])

    def place(self, row: int, rows: int, source: Cache, end: int) -> None:
        """Writes `source`, one sequence's cache, into row `row` of a `rows`-row batch, ending at position `end`."""
        for layer, cached in zip(self.layers, source.layers, strict=True):
            layer.place(row, rows, cached.keys, cached.values, end)


def cache_keyword(model) -> str:
    """The keyword a model's forward takes its KV cache by: `cache` in recent transformers, `past_key_values` before
    (a PEFT model passes it through to its base model)."""
    base = model.get_base_model() if hasattr(model, "get_base_model") else model
    return "cache" if "cache" in inspect.signature(base.forward).parameters else "past_key_values"


def reserved_cache(model_config, capacity: int) -> ReservedCache | None:
    """A ReservedCache of `capacity` positions for a model whose layers all keep their full history (what
    `DynamicCache` builds as plain `DynamicLayer`s); None for sliding-window or other layer kinds, which keep theirs."""
    layers = DynamicCache(config=model_config).layers
    if not layers or any(type(layer) is not DynamicLayer for layer in layers):
        return None
    return ReservedCache(len(layers), capacity)
