"""Batched generation: the reserved KV cache, length groups, and score probabilities read while generating."""

from __future__ import annotations

import random
from dataclasses import replace

import pytest
import torch
from helpers import CODEBOOK, SMALL, TEXTS, train

from agir.data.padding import collate, collate_prompts
from agir.models.generate import (
    GenerationSettings,
    generate,
    length_groups,
    prefill_alone,
    rationales_and_probabilities,
    score_probabilities,
)
from agir.models.kv_cache import ReservedLayer, cache_keyword, reserved_cache
from agir.models.llm import LLMConfig, LoRAConfig, load_backbone, train_bpe_tokenizer
from agir.models.score_reader import score_token_ids
from agir.text.assessment import repeated_itself
from agir.text.prompts import build_prompt, encode_example, encode_prompt
from agir.text.score import parse_score

ANSWERS = [
    "Foot: short steps. Arm: reduced arm swing. Overall: slow gait.\nScore: 2",
    "Foot: normal steps. Arm: symmetric arm swing. Overall: normal gait.\nScore: 0",
]


@pytest.fixture(scope="module")
def trained():
    """A tiny model that learned two answers for two motion prompts, and prompts of three different lengths."""
    torch.manual_seed(0)
    # Texts with every score line, so the tokenizer writes each score as one token after `Score:`.
    texts = TEXTS + ANSWERS * 5 + [f"Overall: gait.\nScore: {score}" for score in range(4)] * 20
    model, tokenizer, vocabulary = load_backbone(
        LLMConfig(scratch=replace(SMALL, text_vocab_size=400), lora=LoRAConfig(r=8, alpha=16, dropout=0.0)),
        texts,
        codebook_size=CODEBOOK,
    )
    rng = random.Random(0)
    prompts = [
        build_prompt(
            "motion_to_rationale", None, motion=vocabulary.as_text([rng.randrange(CODEBOOK) for _ in range(length)])
        )
        for length in (6, 30, 12)
    ]
    batch = collate(
        [encode_example(tokenizer, prompt, ANSWERS[i % 2], max_length=256) for i, prompt in enumerate(prompts)],
        tokenizer.pad_token_id,
    )
    assert train(model, batch, steps=200, lr=3e-3) < 0.05
    return model.eval(), tokenizer, prompts


def test_length_groups_minimize_padding_plus_step_cost():
    lengths = [10, 11, 12, 100, 101]
    assert length_groups([0, 1, 2, 3, 4], lengths, step_cost=50) == [[0, 1, 2], [3, 4]]
    assert length_groups([0, 1, 2, 3, 4], lengths, step_cost=10_000) == [[0, 1, 2, 3, 4]]
    assert length_groups([0, 1, 2, 3, 4], lengths, step_cost=None) == [[0, 1, 2, 3, 4]]
    assert length_groups([], [], step_cost=50) == []


def test_reserved_cache_generates_what_the_dynamic_cache_generates(trained):
    model, tokenizer, prompts = trained
    ids = torch.tensor([encode_prompt(tokenizer, prompts[0])])
    options = dict(max_new_tokens=30, do_sample=False, pad_token_id=tokenizer.pad_token_id)
    plain = model.generate(input_ids=ids, attention_mask=torch.ones_like(ids), **options)
    cache = reserved_cache(model.config, ids.shape[1] + 30)
    reserved = model.generate(input_ids=ids, attention_mask=torch.ones_like(ids), past_key_values=cache, **options)
    assert torch.equal(plain, reserved) and tokenizer.decode(reserved[0, ids.shape[1] :], skip_special_tokens=True)
    layer = ReservedLayer(capacity=4)
    layer.update(torch.zeros(1, 2, 3, 8), torch.zeros(1, 2, 3, 8))
    with pytest.raises(ValueError, match="holds 4 positions; 5 were asked for"):
        layer.update(torch.zeros(1, 2, 2, 8), torch.zeros(1, 2, 2, 8))


def test_prompts_cached_alone_are_the_padded_batch_cache_and_generate_the_same(trained):
    model, tokenizer, prompts = trained
    ids = [encode_prompt(tokenizer, prompt) for prompt in prompts]
    batch = collate_prompts(ids, tokenizer.pad_token_id)
    width = batch["input_ids"].shape[1]
    padded = reserved_cache(model.config, width + 30)
    mask = batch["attention_mask"][:, :-1]
    with torch.no_grad():  # positions as generate numbers them: from each row's first real token
        model(
            input_ids=batch["input_ids"][:, :-1],
            attention_mask=mask,
            use_cache=True,
            position_ids=(mask.cumsum(-1) - 1).clamp_min(0),
            **{cache_keyword(model): padded},
        )
    alone = reserved_cache(model.config, width + 30)
    prefill_alone(model, alone, ids, width)
    assert alone.get_seq_length() == padded.get_seq_length() == width - 1
    for row, prompt in enumerate(ids):  # the real positions agree; the padding is masked
        start = width - len(prompt)
        for mine, theirs in zip(alone.layers, padded.layers, strict=True):
            assert torch.allclose(mine.keys[row, :, start:], theirs.keys[row, :, start:], atol=1e-5)
            assert torch.allclose(mine.values[row, :, start:], theirs.values[row, :, start:], atol=1e-5)
    options = dict(
        max_new_tokens=30, do_sample=False, pad_token_id=tokenizer.pad_token_id, eos_token_id=tokenizer.eos_token_id
    )
    plain = model.generate(**batch, **options)
    continued = model.generate(**batch, **options, **{cache_keyword(model): alone})
    assert torch.equal(plain, continued)
    layer = ReservedLayer(capacity=4)
    with pytest.raises(ValueError, match="3 cannot end at 5"):
        layer.place(0, 1, torch.zeros(1, 2, 3, 8), torch.zeros(1, 2, 3, 8), end=5)


def test_generations_do_not_depend_on_batching(trained):
    model, tokenizer, prompts = trained
    ids = [encode_prompt(tokenizer, prompt) for prompt in prompts]
    alone = [generate(model, tokenizer, [prompt], 40, read_scores=True)[0] for prompt in ids]
    together = generate(model, tokenizer, ids, 40, batch_size=3, read_scores=True)
    assert [g.text for g in together] == [g.text for g in alone] == [ANSWERS[i % 2] for i in range(3)]
    for one, batched in zip(alone, together, strict=True):
        assert torch.allclose(one.score_log_probabilities, batched.score_log_probabilities, atol=1e-5)


def test_scores_read_while_generating_are_the_teacher_forced_ones(trained):
    model, tokenizer, prompts = trained
    assert score_token_ids(tokenizer) is not None
    rationales, read, _ = rationales_and_probabilities(model, tokenizer, prompts, settings=GenerationSettings(40, 256))
    forced = score_probabilities(model, tokenizer, prompts, rationales, 256, True)
    assert torch.allclose(read.float(), forced.float(), atol=1e-4)
    assert read.sum(dim=-1).tolist() == pytest.approx([1.0] * 3) and read.argmax(dim=-1).tolist() == [2, 0, 2]


def test_an_answer_cut_before_its_score_falls_back_to_a_teacher_forced_pass(trained):
    model, tokenizer, prompts = trained
    generation = generate(model, tokenizer, [encode_prompt(tokenizer, prompts[0])], 8, read_scores=True)[0]
    assert "Score:" not in generation.text and generation.score_log_probabilities is None
    rationales, probabilities, _ = rationales_and_probabilities(
        model, tokenizer, prompts[:1], settings=GenerationSettings(8, 256)
    )
    forced = score_probabilities(model, tokenizer, prompts[:1], rationales, 256, True)
    assert rationales == [generation.text] and torch.equal(probabilities, forced)


def test_scores_are_read_only_where_each_is_one_token_after_the_prefix():
    # Too small a vocabulary to merge " 3": the score line is "Score", ":", " ", "3", so nothing can be read.
    tokenizer = train_bpe_tokenizer(TEXTS, 320)
    assert tokenizer.tokenize("x\nScore: 3")[-2:] == ["Ġ", "3"] and score_token_ids(tokenizer) is None


LOOPING = "Foot: short steps. Foot: short steps. Foot: short steps. Foot: short steps. Foot: short steps.\nScore: 2"
ONWARD = "Foot: short steps. Arm: reduced arm swing.\nScore: 2"


def test_a_looping_text_is_decoded_again_from_where_it_began_to_repeat(monkeypatch):
    """A model that learned to loop on one prompt (and not on another): decoded again from its second `Foot:` with
    that refused, it takes its next choice there and ends with a score; the other text is untouched."""
    torch.manual_seed(0)
    texts = TEXTS + [LOOPING, ONWARD] * 5 + [f"Overall: gait.\nScore: {score}" for score in range(4)] * 20
    model, tokenizer, vocabulary = load_backbone(
        LLMConfig(scratch=replace(SMALL, text_vocab_size=400), lora=LoRAConfig(r=8, alpha=16, dropout=0.0)),
        texts,
        codebook_size=CODEBOOK,
    )
    texts = [
        build_prompt("motion_to_rationale", None, motion=vocabulary.as_text(codes))
        for codes in ([1, 2, 3, 4, 5, 6], [7, 6, 5, 4, 3, 2, 1, 0])
    ]
    examples = [
        encode_example(tokenizer, text, answer, 256) for text, answer in zip(texts, (LOOPING, ONWARD), strict=True)
    ]
    batch = collate(examples, tokenizer.pad_token_id)
    prompts = [encode_prompt(tokenizer, text) for text in texts]
    assert train(model.train(), batch, steps=200, lr=3e-3) < 0.05
    model.eval()
    monkeypatch.setattr("agir.models.generate.LOOP_REDECODES", 0)
    looped, onward = generate(model, tokenizer, prompts, 40, read_scores=True)
    assert looped.text == LOOPING and repeated_itself(looped.text) and onward.text == ONWARD
    monkeypatch.undo()
    mended, unchanged = generate(model, tokenizer, prompts, 40, read_scores=True)
    assert mended.text.startswith("Foot: short steps.") and not mended.text.startswith("Foot: short steps. Foot")
    assert not repeated_itself(mended.text) and parse_score(mended.text) is not None and mended.redecoded >= 1
    assert mended.score_log_probabilities is not None
    assert (unchanged.text, unchanged.redecoded) == (ONWARD, 0)
    assert torch.equal(unchanged.score_log_probabilities, onward.score_log_probabilities)
    texts_read, _, redecoded = rationales_and_probabilities(
        model, tokenizer, texts, settings=GenerationSettings(40, 256, use_chat_template=False)
    )
    assert texts_read == [mended.text, ONWARD] and redecoded == [mended.redecoded, 0]
