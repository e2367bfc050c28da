"""Encode throughput of the motion tokenizer (sequences/s and frames/s) at batch sizes 1 and 64.

    python benchmarks/tokenizer.py [--tokenizer checkpoints/<run>/tokenizer] [--frames 240] [--threads 2]

Without --tokenizer, a freshly initialised VQ-VAE of the size in configs/tokenizer.yaml is timed (same cost).
"""

from __future__ import annotations

import argparse
import time

import torch

from agir.config import load_config
from agir.models.motion_tokenizer import MotionTokenizer
from agir.models.vqvae import MotionVQVAE
from agir.models.vqvae_config import VQVAEConfig
from agir.motion.features import FEATURE_DIM


def load_model(tokenizer_dir: str | None) -> MotionVQVAE:
    if tokenizer_dir:
        return MotionTokenizer.from_pretrained(tokenizer_dir).model
    sizes = load_config("configs/tokenizer.yaml").tokenizer.model
    return MotionVQVAE(VQVAEConfig(**{**sizes, "input_dim": FEATURE_DIM})).eval()


@torch.no_grad()
def throughput(model: MotionVQVAE, batch: int, frames: int, seconds: float = 3.0) -> tuple[float, float]:
    x = torch.randn(batch, frames, model.config.input_dim)
    model.encode(x)  # warm-up
    runs, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        model.encode(x)
        runs += 1
    elapsed = time.perf_counter() - started
    return runs * batch / elapsed, runs * batch * frames / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tokenizer", help="a trained tokenizer directory")
    parser.add_argument("--frames", type=int, default=240, help="frames per sequence (240 = 8 s at 30 fps)")
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    model = load_model(args.tokenizer)
    params = sum(p.numel() for p in model.parameters()) / 1e6
    print(f"VQ-VAE {params:.2f}M parameters, {args.frames} frames per sequence, {args.threads} threads")
    print(f"{'batch':>5} {'sequences/s':>12} {'frames/s':>12}")
    for batch in (1, 64):
        sequences, frames = throughput(model, batch, args.frames)
        print(f"{batch:>5} {sequences:>12.1f} {frames:>12.0f}")


if __name__ == "__main__":
    main()
