"""Reasoning-stage training throughput: AGIR's Lightning loop beside a plain Hugging Face `Trainer`.

Both train the identical model (same backbone config and seed), on the identical SFT samples (the DataModule's
reasoning view), with the same batch size, optimizer and learning rate, for the same number of steps. Throughput is
non-padding tokens per second over the steps after a warm-up, by the wall clock and by the process's CPU time. Each
runs in a fresh process (kernel caches warmed by one would flatter the other); the ratio AGIR / Trainer is printed
last.

    python benchmarks/sft.py [--run checkpoints/demo] [--steps 30] [--batch-size 16]

`--run` names a run whose motion tokenizer and corpus to use (default: checkpoints/demo, as `make demo` leaves it).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import lightning as L
import torch
from omegaconf import OmegaConf
from transformers import Trainer, TrainerCallback, TrainingArguments

from agir.config import load_config
from agir.data.datamodule import GaitDataModule
from agir.data.sft_samples import collate_samples
from agir.models.llm import load_backbone
from agir.models.motion_tokenizer import MotionTokenizer
from agir.pipeline.llm_stage import tokenizer_texts
from agir.tasks.reasoning import ReasoningSFTModule


class TokenClock:
    """Counts samples, non-padding tokens, wall time and CPU time from the end of the warm-up step on."""

    def __init__(self, warmup: int):
        self.warmup, self.steps, self.tokens, self.samples, self.started = warmup, 0, 0, 0, (0.0, 0.0)
        self.flops_per_token = 0.0

    def step(self, tokens: int, samples: int) -> None:
        self.steps += 1
        if self.steps == self.warmup:
            self.started = (time.perf_counter(), time.process_time())
        elif self.steps > self.warmup:
            self.tokens += tokens
            self.samples += samples

    def rates(self) -> dict[str, float]:
        """Tokens and samples per wall-clock second and per CPU second, and model FLOP/s by the wall clock."""
        wall, cpu = time.perf_counter() - self.started[0], time.process_time() - self.started[1]
        return {
            "tokens_wall": self.tokens / wall,
            "tokens_cpu": self.tokens / cpu,
            "samples_wall": self.samples / wall,
            "samples_cpu": self.samples / cpu,
            "flops_wall": self.tokens * self.flops_per_token / wall,
        }


def training_flops_per_token(model, mean_length: float) -> float:
    """6 x the weights every token multiplies (each linear layer, the output head included, the embedding lookup
    not), plus causal attention's 6 x layers x width x mean context: the usual estimate (PaLM, appendix B)."""
    linear = sum(m.weight.numel() for m in model.modules() if isinstance(m, torch.nn.Linear))
    config = model.config
    return 6 * linear + 6 * config.num_hidden_layers * config.hidden_size * mean_length


def peak_flops(size: int = 1024, repeats: int = 20) -> float:
    """The CPU's peak float32 FLOP/s as torch reaches it here: the best of `repeats` square matmuls of `size`, with
    the threads the loops get."""
    a, b = torch.randn(size, size), torch.randn(size, size)
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        torch.mm(a, b)
        best = min(best, time.perf_counter() - started)
    return 2 * size**3 / best


class LightningClock(L.Callback):
    def __init__(self, clock: TokenClock):
        self.clock = clock

    def on_train_batch_end(self, trainer, module, outputs, batch, batch_idx) -> None:
        self.clock.step(int(batch["attention_mask"].sum()), len(batch["item_ids"]))


class HFClock(TrainerCallback):
    def __init__(self, clock: TokenClock, tokens: list[int]):
        self.clock, self.tokens = clock, tokens

    def on_step_end(self, args, state, control, **kwargs):
        self.clock.step(self.tokens.pop(0), args.per_device_train_batch_size)


def build(config, datamodule, motion_tokenizer, batch_size: int, batching: str = "padded"):
    torch.manual_seed(0)
    llm = OmegaConf.to_object(config.llm)
    stage = OmegaConf.to_object(config.reasoning)
    model, tokenizer, vocabulary = load_backbone(
        llm, tokenizer_texts(datamodule, stage.evidence), codebook_size=motion_tokenizer.codebook_size
    )
    stage.batch_size = batch_size
    stage.batching = batching
    datamodule.connect(motion_tokenizer, ReasoningSFTModule.sft_view(stage, llm, tokenizer, vocabulary))
    return model, tokenizer, vocabulary, stage, llm


def run_agir(config, datamodule, motion_tokenizer, args) -> TokenClock:
    model, tokenizer, vocabulary, stage, llm = build(
        config, datamodule, motion_tokenizer, args.batch_size, args.framework.removeprefix("agir-")
    )
    stage.max_steps = args.steps
    clock = TokenClock(args.warmup)
    clock.flops_per_token = training_flops_per_token(model, mean_sample_length(datamodule))
    trainer = L.Trainer(
        accelerator="cpu",
        devices=1,
        max_steps=args.steps,
        limit_val_batches=0,
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        use_distributed_sampler=False,
        callbacks=[LightningClock(clock)],
    )
    trainer.fit(
        ReasoningSFTModule(model, tokenizer, vocabulary, stage, llm), train_dataloaders=datamodule.train_dataloader()
    )
    return clock


def run_hf(config, datamodule, motion_tokenizer, args) -> TokenClock:
    model, tokenizer, _, stage, _ = build(config, datamodule, motion_tokenizer, args.batch_size)
    dataset = datamodule.train_dataloader().dataset
    samples = [dataset[i] for i in range(len(dataset))]
    tokens: list[int] = []

    def collate(features):
        batch = collate_samples(features, tokenizer.pad_token_id)
        tokens.append(int(batch["attention_mask"].sum()))
        return {key: batch[key] for key in ("input_ids", "attention_mask", "labels")}

    clock = TokenClock(args.warmup)
    clock.flops_per_token = training_flops_per_token(model, mean_sample_length(datamodule))
    arguments = TrainingArguments(
        output_dir="/tmp/agir-bench-hf",
        per_device_train_batch_size=args.batch_size,
        max_steps=args.steps,
        learning_rate=stage.lr,
        weight_decay=stage.weight_decay,
        lr_scheduler_type="cosine",
        warmup_steps=stage.warmup_steps,
        report_to=[],
        save_strategy="no",
        logging_strategy="no",
        use_cpu=True,
        dataloader_drop_last=True,
        remove_unused_columns=False,
        disable_tqdm=True,
    )
    Trainer(
        model=model, args=arguments, train_dataset=samples, data_collator=collate, callbacks=[HFClock(clock, tokens)]
    ).train()
    return clock


def mean_sample_length(datamodule) -> float:
    lengths = datamodule.train_dataloader().dataset.lengths()
    return sum(lengths) / len(lengths)


def measure(framework: str, args) -> dict[str, float]:
    """Throughput of one framework, in this process."""
    config = load_config("configs/demo.yaml", [f"run.out_dir={args.run}"])
    motion_tokenizer = MotionTokenizer.from_pretrained(f"{args.run}/tokenizer")
    datamodule = GaitDataModule(config.data, config.seed, split_file=f"{args.run}/splits.json")
    datamodule.setup()
    run = run_hf if framework == "hf" else run_agir
    return run(config, datamodule, motion_tokenizer, args).rates()


FRAMEWORKS = {
    "agir-padded": "AGIR padded",
    "agir-bucketed": "AGIR bucketed",
    "agir-packed": "AGIR packed",
    "hf": "Hugging Face Trainer",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--run", default="checkpoints/demo")
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--framework", choices=tuple(FRAMEWORKS), help=argparse.SUPPRESS)  # one child's measurement
    args = parser.parse_args()
    if args.framework:
        print(json.dumps(measure(args.framework, args)))
        return
    peak = peak_flops()
    rates = {}
    for framework in FRAMEWORKS:
        child = subprocess.run(
            [sys.executable, __file__, *sys.argv[1:], "--framework", framework],
            check=True,
            capture_output=True,
            text=True,
        )
        rates[framework] = json.loads(child.stdout.strip().splitlines()[-1])
    print(
        f"reasoning stage, batch {args.batch_size}, {args.steps - args.warmup} timed steps, "
        f"{torch.get_num_threads()} threads; peak {peak / 1e9:.1f} GFLOP/s (best float32 1024x1024 matmul here)"
    )
    print(f"{'':24}{'tokens/s':>10}{'tokens/CPU-s':>14}{'samples/s':>11}{'samples/CPU-s':>15}{'of peak':>9}")
    for framework, name in FRAMEWORKS.items():
        r = rates[framework]
        print(
            f"{name:24}{r['tokens_wall']:10.0f}{r['tokens_cpu']:14.0f}{r['samples_wall']:11.2f}"
            f"{r['samples_cpu']:15.3f}{r['flops_wall'] / peak:9.1%}"
        )
    hf = rates["hf"]
    for framework in ("agir-padded", "agir-bucketed", "agir-packed"):
        r = rates[framework]
        print(
            f"ratio {FRAMEWORKS[framework]} / Trainer: {r['samples_wall'] / hf['samples_wall']:.2f} samples/s, "
            f"{r['samples_cpu'] / hf['samples_cpu']:.2f} samples/CPU-s, {r['tokens_cpu'] / hf['tokens_cpu']:.2f} "
            "tokens/CPU-s"
        )


if __name__ == "__main__":
    main()
