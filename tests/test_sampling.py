from functools import partial

import pytest
import torch
from torch.utils.data import TensorDataset

import agir.data.sampling as sampling
from agir.data.sampling import ResumableLoader, ShardedSampler


def flat(batches):
    return [int(i) for batch in batches for i in batch[0]]


def test_epochs_are_seeded_shuffles_and_differ_between_epochs():
    data = TensorDataset(torch.arange(20))
    loader = ResumableLoader(data, batch_size=4, shuffle=True, seed=3, drop_last=True)
    first, second = flat(loader), flat(loader)
    assert sorted(first) == sorted(second) == list(range(20))
    assert first != second
    assert first == flat(ResumableLoader(data, batch_size=4, shuffle=True, seed=3, drop_last=True))
    assert first != flat(ResumableLoader(data, batch_size=4, shuffle=True, seed=4, drop_last=True))


# Bucketed batches (samples of similar length together) must resume as exactly as random ones.
LENGTHS = {"padded": None, "bucketed": [(7 * i) % 11 for i in range(30)]}


@pytest.mark.parametrize("batching", LENGTHS)
def test_a_loader_restored_mid_epoch_continues_with_the_next_batch(batching):
    data = TensorDataset(torch.arange(30))
    loader = partial(ResumableLoader, data, batch_size=5, shuffle=True, seed=1, lengths=LENGTHS[batching])
    reference = loader()
    expected = flat(reference) + flat(reference)
    if batching == "bucketed":  # a layout of its own, not the random order under another name
        assert expected[:30] != flat(ResumableLoader(data, batch_size=5, shuffle=True, seed=1))

    interrupted = loader()
    seen = flat(interrupted)
    iterator = iter(interrupted)
    seen += flat([next(iterator), next(iterator)])
    state = interrupted.state_dict()
    assert state == {"epoch": 1, "batches_done": 2}
    # An iteration left unfinished (as Lightning leaves one after len(loader) batches) does not shorten the next.
    assert sorted(flat(interrupted)) == list(range(30))

    resumed = loader()
    resumed.load_state_dict(state)
    assert len(resumed) == 6
    assert seen + flat(resumed) == expected

    finished = loader()
    finished.load_state_dict({"epoch": 0, "batches_done": 6})
    assert flat(finished) == expected[30:]


def test_ranks_take_disjoint_shards(monkeypatch):
    shards = {}
    for shuffle in (True, False):
        for rank in range(3):
            monkeypatch.setattr(sampling, "rank_and_world", lambda rank=rank: (rank, 3))
            shards[shuffle, rank] = list(ShardedSampler(10, shuffle=shuffle, seed=0))
    train = [shards[True, r] for r in range(3)]
    assert all(len(s) == 3 for s in train)  # equal steps on every rank
    assert len(set(sum(train, []))) == 9
    evaluation = [shards[False, r] for r in range(3)]
    assert all(len(s) == 4 for s in evaluation)  # equal steps on every rank, padded with repeats
    counted = sorted(index for shard in evaluation for index, counts in shard if counts)
    assert counted == list(range(10))  # every item counts once, none twice
    assert [pair for shard in evaluation for pair in shard if not pair[1]] == [(0, False), (1, False)]


def test_creating_an_iterator_leaves_the_global_rng_alone():
    loader = ResumableLoader(TensorDataset(torch.arange(10)), batch_size=2, shuffle=True, seed=0)
    torch.manual_seed(0)
    expected = torch.rand(1)
    torch.manual_seed(0)
    iter(loader).__next__()
    assert torch.rand(1) == expected
