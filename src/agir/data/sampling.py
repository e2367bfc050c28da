"""Rank-sharded, seeded, resumable sampling.

Lightning's default (a DistributedSampler it swaps in) restarts an interrupted epoch from its first batch, so a
resumed run sees different data than an uninterrupted one. Here the order of every epoch is a pure function of
(seed, epoch), each rank takes its own shard of it, and the loader reports how many batches it has handed out, so a
run resumed from a mid-epoch checkpoint continues with exactly the next batch. The Trainer runs with
`use_distributed_sampler=False` so these samplers stay in place.

Evaluation gives every rank the same number of items, ceil(items / ranks), so every rank has batches and runs as
many steps as the others (DDP's forward and the metrics' reductions are collective), even when a split has fewer
items than ranks: the shards are padded by repeating items from the start. Each evaluation batch says which of its
items count (`counted`: False for a repeat), and every metric and gathered prediction counts only those, so each
item counts exactly once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial

import torch
import torch.distributed as dist
from torch.utils.data import DataLoader, Dataset, Sampler, default_collate

from agir.data.batching import bucketed_order


def rank_and_world() -> tuple[int, int]:
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


class ShardedSampler(Sampler):
    """One rank's shard of an epoch: indices shuffled by (seed, epoch) for training, (index, counted) pairs in order
    for evaluation.

    Training shards are cut to equal length so every rank takes the same number of optimizer steps; evaluation shards
    are padded to equal length with repeats marked not counted.
    """

    def __init__(self, size: int, shuffle: bool, seed: int = 0, buckets: tuple[list[int], int] | None = None):
        self.size = size
        self.shuffle = shuffle
        self.seed = seed
        # (length of each index, batch size): training batches of similar length (agir.data.batching).
        self.buckets = buckets
        self.epoch = 0
        self.skip = 0  # indices of the current epoch already consumed before a resume

    def _shard(self) -> list:
        rank, world = rank_and_world()
        if not self.shuffle:
            padded = -(-self.size // world) * world
            return [(i % self.size, i < self.size) for i in range(rank, padded, world)]
        generator = torch.Generator().manual_seed(self.seed * 100_003 + self.epoch)
        order = torch.randperm(self.size, generator=generator).tolist()
        per_rank = self.size // world
        shard = order[rank * per_rank : (rank + 1) * per_rank]
        return shard if self.buckets is None else bucketed_order(shard, *self.buckets, generator)

    def __len__(self) -> int:
        return len(self._shard())

    def __iter__(self) -> Iterator[int]:
        shard = self._shard()[self.skip :]
        self.skip = 0
        return iter(shard)


class EvaluationItems(Dataset):
    """`dataset` read by an evaluation ShardedSampler: item (index, counted) is (dataset[index], counted)."""

    def __init__(self, dataset: Dataset):
        self.dataset = dataset

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, key: int | tuple[int, bool]):
        if isinstance(key, tuple):
            index, counted = key
            return self.dataset[index], counted
        return self.dataset[key]


def collate_counted(pairs: list[tuple[object, bool]], collate: Callable = default_collate):
    """An evaluation batch and which of its items count: the dict batch gets a `counted` key, another batch becomes
    a (batch, counted) pair."""
    batch = collate([sample for sample, _ in pairs])
    counted = torch.tensor([flag for _, flag in pairs])
    return batch | {"counted": counted} if isinstance(batch, dict) else (batch, counted)


class ResumableLoader(DataLoader):
    """A DataLoader over a ShardedSampler whose position survives a checkpoint (Lightning's `_Stateful` protocol)."""

    def __init__(
        self,
        dataset: Dataset,
        batch_size: int,
        shuffle: bool,
        seed: int = 0,
        drop_last: bool = False,
        lengths: list[int] | None = None,
        **kwargs,
    ):
        """`lengths` (one per sample) makes each training batch hold samples of similar length."""
        buckets = None if lengths is None else (lengths, batch_size)
        self.sharded_sampler = ShardedSampler(len(dataset), shuffle, seed, buckets)
        if not shuffle:
            dataset = EvaluationItems(dataset)
            kwargs["collate_fn"] = partial(collate_counted, collate=kwargs.get("collate_fn") or default_collate)
        # A private generator: creating an iterator would otherwise draw from the global RNG, and a resumed run
        # creates one more than an uninterrupted run (its interrupted epoch), shifting every later random draw.
        super().__init__(
            dataset,
            batch_size=batch_size,
            sampler=self.sharded_sampler,
            drop_last=drop_last,
            generator=torch.Generator().manual_seed(seed),
            **kwargs,
        )
        self._epoch = 0
        self._batches_done = 0
        self._next_epoch = 0
        # Set by load_state_dict: the next iteration continues that epoch after its consumed batches.
        self._resume: tuple[int, int] | None = None

    def __iter__(self):
        # Lightning may stop reading once it has len(self) batches, so an iteration is never assumed to run out:
        # each new one starts the next epoch unless a restored position says otherwise.
        epoch, skip = self._resume if self._resume is not None else (self._next_epoch, 0)
        self._resume = None
        self._epoch, self._batches_done, self._next_epoch = epoch, skip, epoch + 1
        self.sharded_sampler.epoch = epoch
        self.sharded_sampler.skip = skip * self.batch_size
        for batch in super().__iter__():
            self._batches_done += 1
            yield batch

    def state_dict(self) -> dict[str, int]:
        return {"epoch": self._epoch, "batches_done": self._batches_done}

    def load_state_dict(self, state: dict[str, int]) -> None:
        epoch, done = int(state["epoch"]), int(state["batches_done"])
        self.sharded_sampler.epoch = epoch
        self._resume = (epoch + 1, 0) if done >= len(self) else (epoch, done)
        self._next_epoch = self._resume[0]
