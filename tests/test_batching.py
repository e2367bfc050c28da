from dataclasses import replace

import pytest
import torch
from transformers import AutoConfig, AutoModelForCausalLM

from agir.data.batching import BUCKET_WINDOW, bucketed_order, pack
from agir.data.padding import collate, decision_flags
from agir.data.sampling import ShardedSampler
from agir.tasks.sft import batch_logits, token_losses
from agir.text.prompts import IGNORE_INDEX, SFTExample

VOCAB = 64
SIZES = {"hidden_size": 32, "num_hidden_layers": 2, "num_attention_heads": 2, "intermediate_size": 64}
FAMILIES = {
    "llama": SIZES | {"num_key_value_heads": 2},
    "qwen2": SIZES | {"num_key_value_heads": 1},
    "phi3": SIZES | {"num_key_value_heads": 2},
    "gemma": SIZES | {"num_key_value_heads": 1, "head_dim": 16},
    "gpt2": {"n_embd": 32, "n_layer": 2, "n_head": 2, "n_inner": 64},
}


def examples(lengths: list[int], seed: int = 0) -> list[SFTExample]:
    """Distinct random examples whose first third is prompt (labels -100)."""
    generator = torch.Generator().manual_seed(seed)
    made = []
    for length in lengths:
        ids = torch.randint(1, VOCAB, (length,), generator=generator).tolist()
        prompt = max(1, length // 3)
        made.append(SFTExample(ids, [IGNORE_INDEX] * prompt + ids[prompt:]))
    return made


def tiny_model(family: str):
    config = AutoConfig.for_model(family, vocab_size=VOCAB, pad_token_id=0, **FAMILIES[family])
    torch.manual_seed(0)
    return AutoModelForCausalLM.from_config(config).eval()


def packed_segments(batch: dict, samples: list[SFTExample]):
    """(row, start, end, the sample there, or None for a row's padding) for each segment of a packed batch."""
    for row, positions in enumerate(batch["position_ids"]):
        starts = (positions == 0).nonzero().flatten().tolist() + [len(positions)]
        for start, end in zip(starts, starts[1:], strict=False):
            ids = batch["input_ids"][row, start:end].tolist()
            yield row, start, end, next((s for s in samples if s.input_ids == ids), None)


@pytest.mark.parametrize("family", FAMILIES)
def test_packing_does_not_leak_attention_across_samples(family):
    """Each packed sample's logits equal its logits alone: no sample attends to another in its row."""
    model = tiny_model(family)
    samples = examples([11, 7, 15, 5, 9, 13])
    batch = pack(samples, max_length=24, pad_id=0)
    assert batch["input_ids"].shape[0] < len(samples)  # several samples do share rows
    with torch.no_grad():
        packed = batch_logits(model, batch)
        found = 0
        for row, start, end, sample in packed_segments(batch, samples):
            if sample is None:
                continue  # the padding after a row's last sample
            alone = model(input_ids=torch.tensor([sample.input_ids]), use_cache=False).logits[0]
            torch.testing.assert_close(packed[row, start:end], alone, atol=1e-5, rtol=0)
            found += 1
    assert found == len(samples)


def test_packed_rows_keep_each_samples_decision_tokens():
    samples = [replace(e, decision_start=len(e.input_ids) - 3) for e in examples([11, 7, 15, 5, 9, 13], seed=2)]
    samples[1] = replace(samples[1], decision_start=None)
    batch = pack(samples, max_length=24, pad_id=0)
    seen = 0
    for row, start, end, sample in packed_segments(batch, samples):
        expected = [0] * (end - start) if sample is None else decision_flags(sample)
        assert batch["decision_mask"][row, start:end].tolist() == expected
        seen += sample is not None
    assert seen == len(samples)


def test_packed_and_padded_batches_give_the_same_loss_per_token():
    model = tiny_model("llama")
    samples = examples([11, 7, 15, 5, 9, 13], seed=1)
    with torch.no_grad():
        totals = []
        for batch in (collate(samples, pad_id=0), pack(samples, max_length=24, pad_id=0)):
            losses, hits, counts = token_losses(batch_logits(model, batch), batch["labels"])
            totals.append((losses.sum() / counts.sum(), hits.sum(), counts.sum()))
    (padded_loss, padded_hits, padded_count), (packed_loss, packed_hits, packed_count) = totals
    torch.testing.assert_close(packed_loss, padded_loss, atol=1e-5, rtol=0)
    assert (packed_hits, packed_count) == (padded_hits, padded_count)


def test_pack_refuses_what_it_cannot_pack_safely():
    with pytest.raises(ValueError, match="does not fit"):
        pack(examples([30]), max_length=24, pad_id=0)
    supervised_first = SFTExample([5, 6, 7], [5, 6, 7])
    with pytest.raises(ValueError, match="unsupervised"):
        pack([supervised_first], max_length=24, pad_id=0)


def padding(indices: list[int], lengths: list[int], batch_size: int) -> int:
    """Padding tokens of the full batches of `indices`."""
    whole = len(indices) - len(indices) % batch_size
    batches = [indices[i : i + batch_size] for i in range(0, whole, batch_size)]
    return sum(max(lengths[i] for i in b) * len(b) - sum(lengths[i] for i in b) for b in batches)


def test_bucketing_keeps_every_sample_once_per_epoch_and_groups_similar_lengths():
    lengths = torch.randint(50, 700, (203,), generator=torch.Generator().manual_seed(0)).tolist()
    batch_size = 8
    plain = ShardedSampler(len(lengths), shuffle=True, seed=3)
    bucketed = ShardedSampler(len(lengths), shuffle=True, seed=3, buckets=(lengths, batch_size))
    epochs = []
    for epoch in (0, 1):
        plain.epoch = bucketed.epoch = epoch
        order, regrouped = list(plain), list(bucketed)
        assert sorted(regrouped) == list(range(len(lengths)))
        # A loader dropping its last incomplete batch leaves out the same samples either way.
        tail = len(order) % batch_size
        assert regrouped[-tail:] == order[-tail:]
        assert padding(regrouped, lengths, batch_size) < padding(order, lengths, batch_size) / 3
        epochs.append(regrouped)
    assert epochs[0] != epochs[1]


def test_bucketed_order_sorts_within_windows_only():
    lengths = list(range(100, 0, -1))
    order = list(range(100))
    regrouped = bucketed_order(order, lengths, 4, torch.Generator().manual_seed(0))
    window = 4 * BUCKET_WINDOW
    batches = [regrouped[i : i + 4] for i in range(0, 100, 4)]
    # Every batch comes from one window of the shuffled order.
    assert all(len({index // window for index in batch}) == 1 for batch in batches)
