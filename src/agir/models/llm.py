"""The LLM backbone: a pretrained or from-scratch causal LM, the motion vocabulary, LoRA/QLoRA, and stage folders.

`load_backbone` gives a peft model whose trainable weights are the LoRA adapters and the new motion-token rows
(and, for a scratch base, the base itself). A stage folder written by `save_stage` holds only trainable weights plus
what is needed to rebuild the rest:

    adapter/        peft adapter: LoRA weights and the new token rows
    tokenizer/      the extended tokenizer
    base/           scratch backbones only: the base weights. A scratch base is on no hub, and re-deriving its
                    random init from a seed would tie the checkpoint to one torch version, so it is saved.
    metadata.json   base model, codebook size, motion ids, tokenizer hash, prompt version, the caller's entries

New embedding rows start at the exact mean of the existing rows, recomputed identically when a stage is loaded, so a
pretrained base is rebuilt bitwise and the adapter's token rows land on the same model.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Iterable
from dataclasses import asdict
from pathlib import Path
from typing import Any

import torch
from huggingface_hub import constants as hub_constants
from peft import LoraConfig as PeftLoraConfig
from peft import PeftModel, get_base_model_state_dict, get_peft_model, prepare_model_for_kbit_training
from safetensors.torch import save_file, save_model
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import (
    AddedToken,
    AutoConfig,
    AutoModelForCausalLM,
    AutoTokenizer,
    BitsAndBytesConfig,
    PretrainedConfig,
    PreTrainedModel,
    PreTrainedTokenizerBase,
    PreTrainedTokenizerFast,
)

from agir.models.llm_config import (
    BPE_SPECIAL_TOKENS,
    DTYPE_NAMES,
    MIN_BPE_VOCAB,
    LLMConfig,
    LoRAConfig,
    ScratchConfig,
)
from agir.text.motion_vocab import MOTION_END, MOTION_START, MotionVocabulary, motion_token
from agir.text.prompts import PROMPT_VERSION

# Attention and MLP projections per model_type; other architectures get peft's "all-linear".
LORA_TARGETS = {
    **dict.fromkeys(
        ("llama", "mistral", "qwen2", "qwen3", "gemma", "gemma2", "gemma3_text"),
        ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"],
    ),
    "gpt2": ["c_attn", "c_proj", "c_fc"],
    "phi3": ["qkv_proj", "o_proj", "gate_up_proj", "down_proj"],
}
DTYPES = {name: getattr(torch, name) for name in DTYPE_NAMES}
STAGE_FORMAT = 1


def train_bpe_tokenizer(texts: Iterable[str], vocab_size: int) -> PreTrainedTokenizerBase:
    """Byte-level BPE trained on `texts`, with distinct <pad>, <bos>, <eos> and <unk> special tokens."""
    if vocab_size < MIN_BPE_VOCAB:
        raise ValueError(f"a byte-level BPE vocabulary needs at least {MIN_BPE_VOCAB} tokens, got {vocab_size}")
    texts = [text for text in texts if text.strip()]
    if not texts:
        raise ValueError("train_bpe_tokenizer needs at least one non-empty text")
    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=list(BPE_SPECIAL_TOKENS.values()),
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    bpe.train_from_iterator(texts, trainer)
    return PreTrainedTokenizerFast(tokenizer_object=bpe, **BPE_SPECIAL_TOKENS)


def tokenizer_fingerprint(tokenizer: PreTrainedTokenizerBase) -> str:
    """A hash of the vocabulary, special tokens and chat template: the key for token caches and stage checks."""
    content = {
        "vocab": sorted(tokenizer.get_vocab().items()),
        "special": tokenizer.special_tokens_map,
        "chat_template": tokenizer.chat_template,
    }
    return hashlib.sha256(json.dumps(content, sort_keys=True, default=str).encode()).hexdigest()[:16]


def resize_embeddings(model: PreTrainedModel, size: int) -> None:
    """Resize the input and output embeddings to `size` rows; new rows are the mean of the rows kept."""
    kept = min(size, model.get_input_embeddings().num_embeddings)
    # mean_resizing=False: transformers samples new rows at random; an exact mean rebuilds identically on reload.
    model.resize_token_embeddings(size, mean_resizing=False)
    with torch.no_grad():
        for weight in {id(w): w for w in _embedding_weights(model)}.values():
            weight[kept:] = weight[:kept].float().mean(dim=0).to(weight.dtype)


def add_motion_tokens(
    model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase, codebook_size: int
) -> MotionVocabulary:
    """Add `<motion_0>`..`<motion_{K-1}>`, `<motion_start>`, `<motion_end>` as contiguous ids and resize the model."""
    if codebook_size < 1:
        raise ValueError(f"codebook_size must be at least 1, got {codebook_size}")
    if tokenizer.convert_tokens_to_ids(MOTION_START) not in (None, tokenizer.unk_token_id):
        raise ValueError("the tokenizer already has motion tokens")
    # Spare rows of a padded vocabulary (ids the tokenizer never emits) must not become motion tokens.
    resize_embeddings(model, len(tokenizer))
    first_id = len(tokenizer)
    names = [motion_token(code) for code in range(codebook_size)] + [MOTION_START, MOTION_END]
    tokenizer.add_tokens([AddedToken(name, special=False, normalized=False) for name in names])
    vocabulary = MotionVocabulary(codebook_size, first_id, first_id + codebook_size, first_id + codebook_size + 1)
    if tokenizer.convert_tokens_to_ids(names) != vocabulary.token_ids:
        raise ValueError("the tokenizer did not give the motion tokens contiguous new ids")
    resize_embeddings(model, len(tokenizer))
    return vocabulary


def motion_vocabulary_of(tokenizer: PreTrainedTokenizerBase) -> MotionVocabulary | None:
    """The motion vocabulary an extended tokenizer holds, or None for a text-only tokenizer."""
    start_id = tokenizer.convert_tokens_to_ids(MOTION_START)
    if start_id in (None, tokenizer.unk_token_id):
        return None
    first_id = tokenizer.convert_tokens_to_ids(motion_token(0))
    return MotionVocabulary(start_id - first_id, first_id, start_id, tokenizer.convert_tokens_to_ids(MOTION_END))


def load_backbone(
    config: LLMConfig,
    texts: Iterable[str] | None = None,
    device: str | torch.device = "cpu",
    codebook_size: int | None = None,
) -> tuple[PeftModel, PreTrainedTokenizerBase, MotionVocabulary | None]:
    """Model, tokenizer and motion vocabulary, ready to train: motion tokens added, then LoRA (QLoRA if quantized).

    `texts` train the tokenizer of a scratch backbone and are ignored by a pretrained one."""
    if config.pretrained is None:
        if texts is None:
            raise ValueError("a scratch backbone (llm.pretrained unset) needs texts to train its tokenizer on")
        tokenizer = train_bpe_tokenizer(texts, config.scratch.text_vocab_size)
        with tempfile.TemporaryDirectory() as directory:
            # bitsandbytes quantizes while loading, so a scratch base takes the same path as a pretrained one.
            _save_scratch(_scratch_model(config.scratch, tokenizer), directory)
            model = _from_pretrained(directory, config, device)
        model.config.name_or_path = ""  # no hub id: save_stage must keep its weights
    else:
        tokenizer = _load_tokenizer(config.pretrained, config.trust_remote_code)
        model = _from_pretrained(config.pretrained, config, device)
    _use_pad_token(model, tokenizer)
    if codebook_size is None:
        vocabulary = None
        resize_embeddings(model, len(tokenizer))
    else:
        vocabulary = add_motion_tokens(model, tokenizer, codebook_size)
    model = apply_lora(model, config, vocabulary.token_ids if vocabulary else [])
    return model.train(), tokenizer, vocabulary


def apply_lora(model: PreTrainedModel, config: LLMConfig, new_token_ids: list[int]) -> PeftModel:
    """Freeze the base, add LoRA adapters and make the `new_token_ids` rows trainable (and saved with the adapter).

    A scratch base with `train_base` is unfrozen again after wrapping."""
    _prepare_for_training(model, config)
    model = get_peft_model(model, _peft_config(model, config.lora, config.new_token_training, new_token_ids))
    _unfreeze_scratch_base(model, config)
    return model


def save_stage(
    model: PeftModel, tokenizer: PreTrainedTokenizerBase, directory: str | Path, metadata: dict[str, Any]
) -> None:
    """Write a stage folder: adapter with new token rows, tokenizer, scratch base weights, metadata.json."""
    if not isinstance(model, PeftModel):
        raise TypeError(f"save_stage needs the peft model from load_backbone or load_stage, got {type(model).__name__}")
    base = model.get_base_model()
    vocabulary = motion_vocabulary_of(tokenizer)
    own = {
        "format": STAGE_FORMAT,
        "base_model": base.config.name_or_path or None,  # None: scratch, weights under base/
        "architecture": base.config.model_type,
        "quantization": _quantization_of(base),
        "text_vocab_size": vocabulary.first_id if vocabulary else len(tokenizer),
        "codebook_size": vocabulary.codebook_size if vocabulary else None,
        "motion_vocabulary": asdict(vocabulary) if vocabulary else None,
        "tokenizer_hash": tokenizer_fingerprint(tokenizer),
        "prompt_version": PROMPT_VERSION,
    }
    clash = sorted(set(own) & set(metadata))
    if clash:
        raise ValueError(f"save_stage metadata keys {', '.join(clash)} are reserved; rename them")
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    # The new rows are in the adapter; the rest of the embeddings is rebuilt from the base, so never save it whole.
    model.save_pretrained(directory / "adapter", save_embedding_layers=False)
    tokenizer.save_pretrained(directory / "tokenizer")
    if own["base_model"] is None:
        (directory / "base").mkdir(exist_ok=True)
        base.config.save_pretrained(directory / "base")
        save_file(
            _untied(get_base_model_state_dict(model)),
            directory / "base" / "model.safetensors",
            metadata={"format": "pt"},
        )
    # metadata.json last, through a rename: its presence means the folder is complete.
    partial = directory / "metadata.json.partial"
    partial.write_text(json.dumps({**own, **metadata}, indent=2, default=str))
    os.replace(partial, directory / "metadata.json")


def read_stage_metadata(directory: str | Path) -> dict[str, Any]:
    path = Path(directory) / "metadata.json"
    if not path.is_file():
        raise FileNotFoundError(f"{directory}: not a stage folder (no metadata.json)")
    metadata = json.loads(path.read_text())
    if metadata.get("format") != STAGE_FORMAT:
        raise ValueError(f"{path}: stage format {metadata.get('format')!r}, this version reads {STAGE_FORMAT}")
    return metadata


def load_stage(
    directory: str | Path, config: LLMConfig, device: str | torch.device = "cpu", is_trainable: bool = False
) -> tuple[PeftModel, PreTrainedTokenizerBase, MotionVocabulary | None, dict[str, Any]]:
    """Rebuild the base (pretrained id, or scratch weights from base/), resize it to the saved tokenizer, load the
    adapter. `config` gives quantization, dtype and training options; its backbone must be the stage's."""
    directory = Path(directory)
    metadata = read_stage_metadata(directory)
    stage_base = metadata["base_model"]
    if config.pretrained != stage_base:
        raise ValueError(
            f"{directory} was trained on {stage_base or 'a scratch backbone'}, but llm.pretrained is "
            f"{config.pretrained!r}; use the same backbone"
        )
    tokenizer = AutoTokenizer.from_pretrained(directory / "tokenizer", trust_remote_code=config.trust_remote_code)
    if tokenizer_fingerprint(tokenizer) != metadata["tokenizer_hash"]:
        raise ValueError(f"{directory / 'tokenizer'} does not match the tokenizer hash in metadata.json")
    model = _from_pretrained(stage_base or str(directory / "base"), config, device)
    if stage_base is None:
        model.config.name_or_path = ""  # a stage's base/ is no stable home: saving again must copy the weights
    _use_pad_token(model, tokenizer)
    # The same two resizes as at training time (fit to the text vocabulary, then grow), hence the same rows.
    resize_embeddings(model, metadata["text_vocab_size"])
    resize_embeddings(model, len(tokenizer))
    if is_trainable:
        _prepare_for_training(model, config)
    model = PeftModel.from_pretrained(model, directory / "adapter", is_trainable=is_trainable)
    if is_trainable:
        _unfreeze_scratch_base(model, config)
    vocabulary = MotionVocabulary(**metadata["motion_vocabulary"]) if metadata["motion_vocabulary"] else None
    return model.train(is_trainable), tokenizer, vocabulary, metadata


def resolve_dtype(name: str, device: torch.device) -> torch.dtype:
    if name != "auto":
        return DTYPES[name]
    cuda_bf16 = device.type == "cuda" and torch.cuda.is_bf16_supported()
    return torch.bfloat16 if cuda_bf16 else torch.float32


def _scratch_model(scratch: ScratchConfig, tokenizer: PreTrainedTokenizerBase) -> PreTrainedModel:
    ids = {
        "vocab_size": len(tokenizer),
        "bos_token_id": tokenizer.bos_token_id,
        "eos_token_id": tokenizer.eos_token_id,
        "pad_token_id": tokenizer.pad_token_id,
    }
    if scratch.architecture == "gpt2":
        sizes = {
            "n_embd": scratch.hidden_size,
            "n_layer": scratch.num_layers,
            "n_head": scratch.num_heads,
            "n_inner": scratch.intermediate_size,
            "n_positions": scratch.max_positions,
        }
    else:
        sizes = {
            "hidden_size": scratch.hidden_size,
            "num_hidden_layers": scratch.num_layers,
            "num_attention_heads": scratch.num_heads,
            "num_key_value_heads": scratch.num_heads,
            "head_dim": scratch.hidden_size // scratch.num_heads,
            "intermediate_size": scratch.intermediate_size,
            "max_position_embeddings": scratch.max_positions,
        }
    model_config: PretrainedConfig = AutoConfig.for_model(scratch.architecture, **ids, **sizes)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(scratch.seed)
        return AutoModelForCausalLM.from_config(model_config)


def _save_scratch(model: PreTrainedModel, directory: str) -> None:
    """`model` in `directory` as save_pretrained lays it out, written by this process whatever its rank: once a
    process group exists, save_pretrained writes on global rank 0 only, and every rank loads its own scratch base."""
    model.config.save_pretrained(directory)
    model.generation_config.save_pretrained(directory)
    save_model(model, os.path.join(directory, "model.safetensors"), metadata={"format": "pt"})


def _load_tokenizer(name: str, trust_remote_code: bool) -> PreTrainedTokenizerBase:
    try:
        return AutoTokenizer.from_pretrained(name, trust_remote_code=trust_remote_code)
    except OSError as error:
        raise OSError(_load_error(name, error)) from None


def _from_pretrained(source: str, config: LLMConfig, device: str | torch.device) -> PreTrainedModel:
    device = torch.device(device)
    if device.type == "cuda" and device.index is None:
        device = torch.device("cuda", torch.cuda.current_device())
    dtype = resolve_dtype(config.dtype, device)
    quantization = {
        None: None,
        "4bit": BitsAndBytesConfig(
            load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_use_double_quant=True, bnb_4bit_compute_dtype=dtype
        ),
        "8bit": BitsAndBytesConfig(load_in_8bit=True),
    }[config.quantization]
    try:
        # One device per process (never "auto"): under DDP each rank holds its whole model on its own device.
        # An explicit quantization_config=None would load a checkpoint saved quantized as a plain model, with its
        # packed weights re-initialized; left out, such a checkpoint loads as it was saved.
        options = {"quantization_config": quantization} if quantization else {}
        model = AutoModelForCausalLM.from_pretrained(
            source, dtype=dtype, device_map={"": device}, trust_remote_code=config.trust_remote_code, **options
        )
    except OSError as error:
        raise OSError(_load_error(source, error)) from None
    if config.quantization is None and getattr(model, "is_quantized", False):
        # The base/ of a quantized scratch stage holds only its 4-bit weights; unquantized then means their
        # dequantized values (what agir.export merges the adapter into).
        model = model.dequantize(dtype=dtype)
    return model


def _load_error(name: str, error: OSError) -> str:
    reason = str(error).splitlines()[0] if str(error) else type(error).__name__
    offline = (
        " (HF_HUB_OFFLINE is set: use a local directory or a model already in the cache)"
        if hub_constants.HF_HUB_OFFLINE
        else ""
    )
    return f"cannot load backbone {name!r}: {reason}{offline}"


def _use_pad_token(model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase) -> None:
    if tokenizer.eos_token_id is None:
        raise ValueError(f"tokenizer of {model.config.name_or_path or 'the scratch model'} has no EOS token")
    if tokenizer.pad_token is None:
        # Collation masks padding by position, so a pad equal to EOS never hides a supervised EOS.
        tokenizer.pad_token = tokenizer.eos_token
    model.config.pad_token_id = tokenizer.pad_token_id
    if model.generation_config is not None:
        model.generation_config.pad_token_id = tokenizer.pad_token_id


def _prepare_for_training(model: PreTrainedModel, config: LLMConfig) -> None:
    checkpointing = {"use_reentrant": False}
    if getattr(model, "is_quantized", False):
        # QLoRA as peft prescribes: freeze, upcast the non-quantized weights, enable input grads.
        prepare_model_for_kbit_training(
            model, use_gradient_checkpointing=config.gradient_checkpointing, gradient_checkpointing_kwargs=checkpointing
        )
    elif config.gradient_checkpointing:
        model.gradient_checkpointing_enable(gradient_checkpointing_kwargs=checkpointing)
    if config.gradient_checkpointing:
        model.config.use_cache = False


def _unfreeze_scratch_base(model: PeftModel, config: LLMConfig) -> None:
    if config.pretrained is None and config.scratch.train_base:
        for parameter in model.parameters():
            parameter.requires_grad_(True)


def _untied(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Drop the later names of tensors that share memory (a tied output layer): loading re-ties them."""
    kept: dict[str, torch.Tensor] = {}
    pointers = set()
    for name, tensor in state.items():
        if tensor.data_ptr() not in pointers:
            pointers.add(tensor.data_ptr())
            kept[name] = tensor.contiguous()
    return kept


def _quantization_of(model: PreTrainedModel) -> str | None:
    for bits in ("4bit", "8bit"):
        if getattr(model, f"is_loaded_in_{bits}", False):
            return bits
    return None


def _embedding_weights(model: PreTrainedModel) -> list[torch.Tensor]:
    output = model.get_output_embeddings()
    return [model.get_input_embeddings().weight] + ([] if output is None else [output.weight])


def _peft_config(
    model: PreTrainedModel, lora: LoRAConfig, new_token_training: str, new_token_ids: list[int]
) -> PeftLoraConfig:
    model_type = model.config.model_type
    targets = lora.target_modules if lora.target_modules is not None else LORA_TARGETS.get(model_type, ["all-linear"])
    names = {module: name.rsplit(".", 1)[-1] for name, module in model.named_modules()}
    input_name = names[model.get_input_embeddings()]
    output = model.get_output_embeddings()
    tied = output.weight is model.get_input_embeddings().weight
    token_layers = [input_name] if tied else [input_name, names[output]]
    options: dict[str, Any] = {}
    if new_token_ids and new_token_training == "trainable_token_indices":
        # A tied output layer follows its embedding; an untied one needs its own rows to emit the new tokens.
        options["trainable_token_indices"] = {name: list(new_token_ids) for name in token_layers}
    elif new_token_ids:
        options["modules_to_save"] = [input_name, names[output]]
        options["ensure_weight_tying"] = tied
    return PeftLoraConfig(
        r=lora.r,
        lora_alpha=lora.alpha,
        lora_dropout=lora.dropout,
        target_modules="all-linear" if targets == ["all-linear"] else list(targets),
        # GPT-2 stores its projections as Conv1D, whose weight is (in, out).
        fan_in_fan_out=model_type == "gpt2",
        task_type="CAUSAL_LM",
        **options,
    )
