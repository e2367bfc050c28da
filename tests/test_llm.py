"""The LLM backbone on tiny models: every shipped backbone config, motion tokens, LoRA, QLoRA on the CPU, stage
folders, and EOS learning."""

from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import json
import random
from dataclasses import replace
from pathlib import Path

import bitsandbytes as bnb
import pytest
import torch
from omegaconf import OmegaConf
from transformers import AutoConfig, AutoModelForCausalLM

from agir.data.padding import collate
from agir.models.llm import (
    LLMConfig,
    LoRAConfig,
    MotionVocabulary,
    ScratchConfig,
    add_motion_tokens,
    load_backbone,
    load_stage,
    read_stage_metadata,
    save_stage,
    train_bpe_tokenizer,
)
from agir.text.motion_vocab import motion_token
from agir.text.prompts import PROMPT_VERSION, build_prompt, encode_example, encode_prompt

BACKBONES = Path(__file__).resolve().parents[1] / "configs" / "backbones"
TEXTS = [
    "Foot: short, shuffling steps with reduced foot clearance. Arm: reduced arm swing. Overall: slow gait. Score: 2",
    "Foot: normal step length and cadence. Arm: symmetric arm swing. Overall: normal gait. Score: 0",
    "Describe the gait in this walking motion. Assess this walk for Parkinsonian gait impairment.",
] * 5
CODEBOOK = 32
SMALL = ScratchConfig(
    hidden_size=32, num_layers=2, num_heads=2, intermediate_size=64, max_positions=512, text_vocab_size=320
)
# bitsandbytes' CPU kernels need quantized layer widths that are multiples of 64.
QUANTIZABLE = replace(SMALL, hidden_size=64, intermediate_size=128, train_base=False)


def _plain_tiny_llama(tokenizer):
    return AutoModelForCausalLM.from_config(
        AutoConfig.for_model(
            "llama",
            vocab_size=len(tokenizer),
            hidden_size=32,
            num_hidden_layers=1,
            num_attention_heads=2,
            num_key_value_heads=2,
            intermediate_size=64,
            eos_token_id=tokenizer.eos_token_id,
        )
    )


def _backbone_config(path: Path) -> LLMConfig:
    return OmegaConf.to_object(OmegaConf.merge(OmegaConf.structured(LLMConfig), OmegaConf.load(path)["llm"]))


def _batch(tokenizer, vocabulary: MotionVocabulary, seed: int = 0, size: int = 4) -> dict[str, torch.Tensor]:
    rng = random.Random(seed)
    examples = []
    for index in range(size):
        motion = vocabulary.as_text([rng.randrange(CODEBOOK) for _ in range(12)])
        examples.append(
            encode_example(
                tokenizer, build_prompt("motion_to_rationale", rng, motion=motion), TEXTS[index % 2], max_length=256
            )
        )
    return collate(examples, tokenizer.pad_token_id)


def _train(model, batch: dict[str, torch.Tensor], steps: int, lr: float = 1e-2) -> float:
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=lr)
    model.train()
    for _ in range(steps):
        loss = model(**batch).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
    return loss.item()


def _rows(model, ids: list[int]) -> torch.Tensor:
    with torch.no_grad():
        return model.get_input_embeddings()(torch.tensor(ids)).clone()


def _logits(model, batch: dict[str, torch.Tensor]) -> torch.Tensor:
    model.eval()
    with torch.no_grad():
        return model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits


def test_every_backbone_config_parses():
    files = sorted(BACKBONES.glob("*.yaml"))
    names = {path.stem for path in files}
    assert {f"tiny-{arch}" for arch in ("llama", "qwen2", "gpt2", "phi3", "gemma")} <= names
    assert {
        "qwen2.5-0.5b-instruct",
        "qwen2.5-1.5b-instruct",
        "llama-3.2-1b-instruct",
        "gpt2",
        "phi-3-mini",
        "gemma-2-2b-it",
    } <= names
    for path in files:
        config = _backbone_config(path)
        assert (config.pretrained is None) == path.stem.startswith("tiny-"), path.name
        assert not config.trust_remote_code


@pytest.mark.parametrize("name", sorted(p.stem for p in BACKBONES.glob("tiny-*.yaml")))
def test_tiny_backbone_trains_and_its_stage_round_trips(name, tmp_path):
    config = _backbone_config(BACKBONES / f"{name}.yaml")
    model, tokenizer, vocabulary = load_backbone(config, TEXTS, codebook_size=CODEBOOK)
    assert vocabulary.token_ids == list(range(vocabulary.first_id, vocabulary.first_id + CODEBOOK + 2))
    assert vocabulary.first_id == len(tokenizer) - CODEBOOK - 2
    assert tokenizer.convert_tokens_to_ids([motion_token(0), motion_token(CODEBOOK - 1)]) == [
        vocabulary.first_id,
        vocabulary.first_id + CODEBOOK - 1,
    ]
    assert model.get_input_embeddings().weight.shape[0] == len(tokenizer)
    assert any("lora_" in n for n, p in model.named_parameters() if p.requires_grad)
    batch = _batch(tokenizer, vocabulary)
    trainable = {n: p.detach().clone() for n, p in model.named_parameters() if p.requires_grad}
    before = _rows(model, vocabulary.token_ids)
    _train(model, batch, steps=2)
    after = _rows(model, vocabulary.token_ids)
    assert (after - before).abs().amax(dim=1).gt(0).all(), "every new motion-token row must train"
    params = dict(model.named_parameters())
    dead = [
        n
        for n, value in trainable.items()
        if params[n].grad is None and torch.equal(params[n], value) and "original_module" not in n
    ]
    assert not dead, f"trainable tensors that never changed: {dead[:3]}"

    save_stage(model, tokenizer, tmp_path, {"stage": "generative"})
    reloaded, tokenizer2, vocabulary2, metadata = load_stage(tmp_path, config)
    assert vocabulary2 == vocabulary and len(tokenizer2) == len(tokenizer)
    assert torch.equal(_rows(reloaded, vocabulary.token_ids), after)
    assert torch.equal(_logits(reloaded, batch), _logits(model, batch))
    assert metadata["codebook_size"] == CODEBOOK and metadata["stage"] == "generative"
    assert metadata["prompt_version"] == PROMPT_VERSION and metadata["base_model"] is None
    assert sorted(p.name for p in tmp_path.iterdir()) == ["adapter", "base", "metadata.json", "tokenizer"]


@pytest.mark.parametrize("mode", ["trainable_token_indices", "modules_to_save"])
def test_lora_only_keeps_base_rows_frozen_and_saves_new_rows(mode, tmp_path):
    config = LLMConfig(scratch=replace(SMALL, train_base=False), new_token_training=mode)
    model, tokenizer, vocabulary = load_backbone(config, TEXTS, codebook_size=CODEBOOK)
    text_ids = list(range(vocabulary.first_id))
    frozen_before, new_before = _rows(model, text_ids), _rows(model, vocabulary.token_ids)
    batch = _batch(tokenizer, vocabulary)
    _train(model, batch, steps=2)
    new_after = _rows(model, vocabulary.token_ids)
    assert (new_after - new_before).abs().amax(dim=1).gt(0).all()
    if mode == "trainable_token_indices":
        assert torch.equal(_rows(model, text_ids), frozen_before)
        # The untied output layer learns its own rows for the new tokens, so the model can emit motion.
        assert any("lm_head" in n and "trainable_tokens" in n for n, p in model.named_parameters() if p.requires_grad)
    save_stage(model, tokenizer, tmp_path, {})
    reloaded, *_ = load_stage(tmp_path, config)
    assert torch.equal(_rows(reloaded, vocabulary.token_ids), new_after)
    assert torch.equal(_logits(reloaded, batch), _logits(model, batch))


def test_qlora_4bit_on_cpu_trains_reloads_and_generates(tmp_path):
    config = LLMConfig(scratch=QUANTIZABLE, quantization="4bit")
    model, tokenizer, vocabulary = load_backbone(config, TEXTS, codebook_size=CODEBOOK)
    assert any(isinstance(m, bnb.nn.Linear4bit) for m in model.modules())
    batch = _batch(tokenizer, vocabulary)
    loss = model(**batch).loss
    loss.backward()
    lora_grads = [p.grad for n, p in model.named_parameters() if "lora_B" in n]
    assert torch.isfinite(loss) and lora_grads and all(g is not None and g.abs().sum() > 0 for g in lora_grads)
    model.zero_grad()
    _train(model, batch, steps=2, lr=5e-3)
    save_stage(model, tokenizer, tmp_path, {})
    assert read_stage_metadata(tmp_path)["quantization"] == "4bit"
    reloaded, tokenizer2, *_ = load_stage(tmp_path, config)
    assert any(isinstance(m, bnb.nn.Linear4bit) for m in reloaded.modules())
    assert torch.equal(_logits(reloaded, batch), _logits(model, batch))
    prompt = torch.tensor(
        [
            encode_prompt(
                tokenizer2,
                build_prompt("motion_to_description", random.Random(0), motion=vocabulary.as_text([1, 2, 3])),
            )
        ]
    )
    generated = reloaded.generate(
        input_ids=prompt, attention_mask=torch.ones_like(prompt), max_new_tokens=4, min_new_tokens=4, do_sample=False
    )
    assert generated.shape == (1, prompt.shape[1] + 4) and torch.equal(generated[:, : prompt.shape[1]], prompt)
    trainable, *_ = load_stage(tmp_path, config, is_trainable=True)
    assert any(p.requires_grad for n, p in trainable.named_parameters() if "lora_" in n)


def test_eos_is_learned_and_generation_stops():
    torch.manual_seed(0)
    config = LLMConfig(scratch=SMALL, lora=LoRAConfig(r=8, alpha=16, dropout=0.0))
    model, tokenizer, vocabulary = load_backbone(config, TEXTS, codebook_size=CODEBOOK)
    prompt = build_prompt("motion_to_rationale", random.Random(0), motion=vocabulary.as_text([3, 1, 4, 1, 5, 9]))
    answer = "Overall: normal gait. Score: 0"
    batch = collate([encode_example(tokenizer, prompt, answer, max_length=256)], tokenizer.pad_token_id)
    assert _train(model, batch, steps=120, lr=3e-3) < 0.05
    model.eval()
    prompt_ids = torch.tensor([encode_prompt(tokenizer, prompt)])
    generated = model.generate(
        input_ids=prompt_ids, attention_mask=torch.ones_like(prompt_ids), max_new_tokens=100, do_sample=False
    )[0, prompt_ids.shape[1] :].tolist()
    assert generated[-1] == tokenizer.eos_token_id and len(generated) < 100
    assert tokenizer.decode(generated, skip_special_tokens=True) == answer


def test_pretrained_local_dir_without_pad_and_with_chat_template(tmp_path):
    # A stand-in for a hub model: a saved model whose tokenizer has a chat template but no pad token.
    source = tmp_path / "hub-like"
    tokenizer = train_bpe_tokenizer(TEXTS, 320)
    tokenizer.pad_token = None
    tokenizer.chat_template = (
        "{% for m in messages %}<bos>{{ m['role'] }}: {{ m['content'] }}<eos>{% endfor %}"
        "{% if add_generation_prompt %}<bos>assistant: {% endif %}"
    )
    tokenizer.save_pretrained(source)
    _plain_tiny_llama(tokenizer).save_pretrained(source)

    config = LLMConfig(pretrained=str(source))
    model, tokenizer, vocabulary = load_backbone(config, codebook_size=CODEBOOK)
    assert tokenizer.pad_token_id == tokenizer.eos_token_id
    example = encode_example(tokenizer, "Describe this walk.", "Normal gait.", max_length=64)
    assert tokenizer.decode(example.input_ids).startswith("<bos>user: Describe this walk.<eos><bos>assistant: ")
    text_ids = list(range(vocabulary.first_id))
    frozen = _rows(model, text_ids)
    batch = _batch(tokenizer, vocabulary)
    _train(model, batch, steps=2)
    assert torch.equal(_rows(model, text_ids), frozen)
    save_stage(model, tokenizer, tmp_path / "stage", {})
    metadata = read_stage_metadata(tmp_path / "stage")
    assert metadata["base_model"] == str(source) and not (tmp_path / "stage" / "base").exists()
    reloaded, *_ = load_stage(tmp_path / "stage", config)
    assert torch.equal(_logits(reloaded, batch), _logits(model, batch))
    with pytest.raises(ValueError, match="use the same backbone"):
        load_stage(tmp_path / "stage", LLMConfig())


def test_hub_name_offline_fails_fast_with_a_clear_error():
    with pytest.raises(OSError, match=r"cannot load backbone 'Qwen/Qwen2\.5-0\.5B-Instruct'.*HF_HUB_OFFLINE"):
        load_backbone(LLMConfig(pretrained="Qwen/Qwen2.5-0.5B-Instruct"))


def test_bad_configs_and_calls_raise():
    with pytest.raises(ValueError, match="architecture"):
        ScratchConfig(architecture="bert")
    with pytest.raises(ValueError, match="quantization"):
        LLMConfig(quantization="3bit")
    with pytest.raises(ValueError, match="train_base=false"):
        LLMConfig(quantization="4bit")
    with pytest.raises(ValueError, match="multiples of 64"):
        LLMConfig(scratch=replace(QUANTIZABLE, intermediate_size=344), quantization="4bit")
    with pytest.raises(ValueError, match="needs texts"):
        load_backbone(LLMConfig())
    with pytest.raises(ValueError, match="non-empty text"):
        train_bpe_tokenizer(["", "  "], 300)


def test_stage_metadata_rejects_reserved_keys_and_missing_folders(tmp_path):
    model, tokenizer, _ = load_backbone(LLMConfig(scratch=SMALL), TEXTS, codebook_size=4)
    with pytest.raises(ValueError, match="reserved"):
        save_stage(model, tokenizer, tmp_path, {"codebook_size": 8})
    with pytest.raises(FileNotFoundError, match="not a stage folder"):
        read_stage_metadata(tmp_path / "nowhere")
    with pytest.raises(ValueError, match="already has motion tokens"):
        add_motion_tokens(model.get_base_model(), tokenizer, 4)
    save_stage(model, tokenizer, tmp_path, {"note": "x"})
    metadata = json.loads((tmp_path / "metadata.json").read_text())
    assert metadata["motion_vocabulary"] == {
        "codebook_size": 4,
        "first_id": metadata["text_vocab_size"],
        "start_id": metadata["text_vocab_size"] + 4,
        "end_id": metadata["text_vocab_size"] + 5,
    }


def test_motion_vocabulary_text_and_ids_agree():
    tokenizer = train_bpe_tokenizer(TEXTS, 300)
    model = _plain_tiny_llama(tokenizer)
    rows_before = model.get_input_embeddings().weight.detach().clone()
    vocabulary = add_motion_tokens(model, tokenizer, 10)
    codes = [9, 0, 4, 4]
    ids = tokenizer.encode(" walks " + vocabulary.as_text(codes), add_special_tokens=False)
    assert ids[-6:] == vocabulary.as_ids(codes)
    assert vocabulary.tokens_to_codes(ids) == codes
    weight = model.get_input_embeddings().weight.detach()
    assert torch.equal(weight[: len(rows_before)], rows_before)
    assert torch.allclose(weight[vocabulary.first_id :], rows_before.mean(dim=0).expand(12, -1))
    with pytest.raises(ValueError, match="outside the codebook"):
        vocabulary.as_text([10])
    with pytest.raises(ValueError, match="contiguous"):
        MotionVocabulary(10, 100, 111, 112)
