"""Configuration of the LLM backbone (plain dataclasses: part of AGIR's structured config, free of heavy imports)."""

from __future__ import annotations

from dataclasses import dataclass, field

SCRATCH_ARCHITECTURES = ("llama", "qwen2", "gpt2", "phi3", "gemma")
BPE_SPECIAL_TOKENS = {"pad_token": "<pad>", "bos_token": "<bos>", "eos_token": "<eos>", "unk_token": "<unk>"}
# Byte-level BPE starts from all 256 bytes; the special tokens come on top.
MIN_BPE_VOCAB = 256 + len(BPE_SPECIAL_TOKENS)
DTYPE_NAMES = ("float32", "bfloat16", "float16")


@dataclass
class ScratchConfig:
    architecture: str = "llama"
    hidden_size: int = 128
    num_layers: int = 4
    num_heads: int = 4
    intermediate_size: int = 344
    max_positions: int = 1024
    text_vocab_size: int = 1500  # BPE vocabulary trained on the corpus text, special tokens included
    seed: int = 0  # the random init, so that one config and one corpus give one base
    # A random base has nothing to preserve, and LoRA alone cannot lift its frozen output scale (measured: the loss
    # of a memorisation task stalls near log(vocab)): train all its weights. They are saved under base/ anyway.
    train_base: bool = True

    def __post_init__(self) -> None:
        if self.architecture not in SCRATCH_ARCHITECTURES:
            raise ValueError(
                f"llm.scratch.architecture must be one of {', '.join(SCRATCH_ARCHITECTURES)}, not {self.architecture!r}"
            )
        for name in ("hidden_size", "num_layers", "num_heads", "intermediate_size", "max_positions"):
            if getattr(self, name) < 1:
                raise ValueError(f"llm.scratch.{name} must be at least 1, got {getattr(self, name)}")
        if self.hidden_size % self.num_heads:
            raise ValueError(
                f"llm.scratch.hidden_size ({self.hidden_size}) must be a multiple of num_heads ({self.num_heads})"
            )
        if self.text_vocab_size < MIN_BPE_VOCAB:
            raise ValueError(
                f"llm.scratch.text_vocab_size must be at least {MIN_BPE_VOCAB}, got {self.text_vocab_size}"
            )


@dataclass
class LoRAConfig:
    r: int = 16
    alpha: int = 32
    dropout: float = 0.05
    target_modules: list[str] | None = None  # None: per-architecture default; ["all-linear"]: every linear layer

    def __post_init__(self) -> None:
        if self.r < 1 or self.alpha < 1:
            raise ValueError(f"llm.lora.r and llm.lora.alpha must be at least 1, got {self.r} and {self.alpha}")
        if not 0 <= self.dropout < 1:
            raise ValueError(f"llm.lora.dropout must lie in [0, 1), got {self.dropout}")


@dataclass
class LLMConfig:
    pretrained: str | None = None  # hub id or local dir; None: a scratch model with a tokenizer trained on the corpus
    scratch: ScratchConfig = field(default_factory=ScratchConfig)
    quantization: str | None = None  # None | "4bit" (QLoRA: NF4 + double quantization) | "8bit"
    lora: LoRAConfig = field(default_factory=LoRAConfig)
    dtype: str = "auto"  # auto: bfloat16 on a CUDA device that supports it, else float32
    trust_remote_code: bool = False
    gradient_checkpointing: bool = False
    max_length: int = 512  # tokens per SFT example
    use_chat_template: bool = True  # when the tokenizer has one
    new_token_training: str = "trainable_token_indices"  # or "modules_to_save" (whole embedding and output layers)

    def __post_init__(self) -> None:
        if self.quantization not in (None, "4bit", "8bit"):
            raise ValueError(f"llm.quantization must be null, 4bit or 8bit, not {self.quantization!r}")
        if self.dtype != "auto" and self.dtype not in DTYPE_NAMES:
            raise ValueError(f"llm.dtype must be auto or one of {', '.join(DTYPE_NAMES)}, not {self.dtype!r}")
        if self.new_token_training not in ("trainable_token_indices", "modules_to_save"):
            raise ValueError(
                "llm.new_token_training must be trainable_token_indices or modules_to_save, "
                f"not {self.new_token_training!r}"
            )
        if self.max_length < 2:
            raise ValueError(f"llm.max_length must be at least 2, got {self.max_length}")
        if self.pretrained is None and self.quantization and self.scratch.train_base:
            raise ValueError("a quantized scratch base cannot be trained: set llm.scratch.train_base=false")
        if (
            self.pretrained is None
            and self.quantization
            and (self.scratch.hidden_size % 64 or self.scratch.intermediate_size % 64)
        ):
            # bitsandbytes' packed CPU inference kernels fail on other widths (bitsandbytes 0.50).
            raise ValueError(
                "a quantized scratch base needs llm.scratch.hidden_size and intermediate_size that are multiples of 64"
            )
        if self.pretrained is None and self.max_length > self.scratch.max_positions:
            raise ValueError(
                f"llm.max_length ({self.max_length}) exceeds llm.scratch.max_positions ({self.scratch.max_positions})"
            )
