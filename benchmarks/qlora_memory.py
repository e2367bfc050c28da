"""Peak GPU memory and training throughput of QLoRA (4-bit NF4 base, double quantization, bfloat16 compute) beside
LoRA on a bfloat16 base, on one CUDA device, for a small llama built from config (no download).

Both train the same model (same scratch config and seed, LoRA r and targets, motion-token rows) with AdamW on the
same random token batches for the same number of steps, through `agir.models.llm.load_backbone` as the stages do.
Peak memory is `torch.cuda.max_memory_allocated` over load + training; throughput is tokens per second over the
steps after a warm-up.

    python benchmarks/qlora_memory.py [--hidden 2048 --layers 16 --intermediate 5632] [--batch-size 8]
        [--length 512] [--steps 20] [--gradient-checkpointing] [--out benchmarks/qlora_memory.json]

It needs a CUDA device and says so otherwise: bitsandbytes runs 4-bit layers on the CPU too, but neither its speed
nor CUDA memory figures mean anything there.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import torch

from agir.models.llm import load_backbone
from agir.models.llm_config import LLMConfig, LoRAConfig, ScratchConfig

MODES = {"bf16-lora": None, "4bit-qlora": "4bit"}
# What the scratch BPE learns its vocabulary from: the batches are random ids, so only the vocabulary size matters.
TEXTS = [f"step {i} stride {i * 7 % 113} cadence {i * 13 % 97} arm swing reduced, Score: {i % 4}" for i in range(400)]


def train_steps(quantization: str | None, args: argparse.Namespace) -> dict[str, float]:
    """Build the backbone in `quantization`, train `args.steps` steps; peak memory and tokens/s."""
    torch.cuda.empty_cache()
    torch.cuda.reset_peak_memory_stats()
    scratch = ScratchConfig(
        hidden_size=args.hidden,
        num_layers=args.layers,
        num_heads=args.heads,
        intermediate_size=args.intermediate,
        max_positions=args.length,
        text_vocab_size=args.vocab,
        train_base=False,
    )
    config = LLMConfig(
        scratch=scratch,
        quantization=quantization,
        dtype="bfloat16",
        lora=LoRAConfig(r=16, alpha=32),
        gradient_checkpointing=args.gradient_checkpointing,
        max_length=args.length,
    )
    model, tokenizer, _ = load_backbone(config, TEXTS, torch.device("cuda", 0), codebook_size=512)
    loaded = torch.cuda.max_memory_allocated()
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-4)
    generator = torch.Generator().manual_seed(0)
    started = None
    for step in range(args.steps):
        ids = torch.randint(len(tokenizer), (args.batch_size, args.length), generator=generator).cuda()
        with torch.autocast("cuda", dtype=torch.bfloat16):
            loss = model(input_ids=ids, labels=ids).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        if step == args.warmup - 1:
            torch.cuda.synchronize()
            started = time.perf_counter()
    torch.cuda.synchronize()
    seconds = time.perf_counter() - started
    result = {
        "parameters_m": round(sum(p.numel() for p in model.get_base_model().parameters()) / 1e6, 1),
        "trainable_m": round(sum(p.numel() for p in model.parameters() if p.requires_grad) / 1e6, 2),
        "loaded_gib": round(loaded / 2**30, 3),
        "peak_gib": round(torch.cuda.max_memory_allocated() / 2**30, 3),
        "tokens_per_s": round((args.steps - args.warmup) * args.batch_size * args.length / seconds),
    }
    del model, optimizer
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--hidden", type=int, default=2048)
    parser.add_argument("--layers", type=int, default=16)
    parser.add_argument("--heads", type=int, default=16)
    parser.add_argument("--intermediate", type=int, default=5632)
    parser.add_argument("--vocab", type=int, default=2000)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--length", type=int, default=512)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--gradient-checkpointing", action="store_true")
    parser.add_argument("--out", type=Path, help="also write the figures as JSON here")
    args = parser.parse_args(argv)
    if not torch.cuda.is_available():
        print("qlora_memory: no CUDA device here; this benchmark measures GPU memory and needs one", file=sys.stderr)
        return 2
    if args.steps <= args.warmup:
        parser.error("--steps must exceed --warmup")
    figures = {
        "device": torch.cuda.get_device_name(0),
        "settings": vars(args) | {"out": None},
        "modes": {mode: train_steps(quantization, args) for mode, quantization in MODES.items()},
    }
    print(
        f"{figures['device']}, batch {args.batch_size} x {args.length} tokens, "
        f"gradient checkpointing {'on' if args.gradient_checkpointing else 'off'}"
    )
    print(f"{'mode':<12}{'base M':>8}{'loaded GiB':>12}{'peak GiB':>10}{'tokens/s':>10}")
    for mode, row in figures["modes"].items():
        print(
            f"{mode:<12}{row['parameters_m']:>8}{row['loaded_gib']:>12}{row['peak_gib']:>10}{row['tokens_per_s']:>10}"
        )
    if args.out:
        args.out.write_text(json.dumps(figures, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
