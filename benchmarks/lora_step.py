"""What LoRA costs a training step of a scratch backbone, by adapter setting, on this machine's CPU.

A scratch base trains all its weights (`llm.scratch.train_base`), so its adapter adds no capacity, only work: each
adapted linear layer runs a second, low-rank path, and with `llm.lora.dropout` > 0 a dropout over the layer's whole
input, forward and backward. This times one optimizer step (forward, backward, AdamW) of the backbone a config names,
motion tokens included, on random batches of the given shape, for each adapter setting and with the adapters switched
off; the settings take turns, so a machine's drift touches all alike. Prints the median seconds per step and the
ratio to the step without adapters.

    PYTHONPATH=src python benchmarks/lora_step.py [--config configs/demo.yaml] [--batch-size 16] [--length 300]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import statistics
import time
from dataclasses import replace

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import torch  # noqa: E402
from omegaconf import OmegaConf  # noqa: E402

from agir.config import load_config  # noqa: E402
from agir.models.llm import load_backbone  # noqa: E402
from agir.models.llm_config import LLMConfig  # noqa: E402
from agir.motion.parameters import WRITTEN  # noqa: E402
from agir.text.rationale import describe  # noqa: E402

# (label, LoRA target modules (None: the architecture's default), LoRA dropout); the config's own setting is added.
SETTINGS = (
    ("all projections, dropout 0.05", None, 0.05),
    ("all projections, dropout 0", None, 0.0),
    ("q and v only, dropout 0.05", ["q_proj", "v_proj"], 0.05),
)


def _texts() -> list[str]:
    """Enough gait descriptions for the scratch tokenizer to learn a vocabulary of the configured size."""
    rng = random.Random(0)
    texts = []
    for _ in range(400):
        parameters = {p.key: rng.uniform(0.1, 120.0) for p in WRITTEN}
        parameters["freezing_episodes"] = rng.randint(0, 2)
        parameters["turn_steps"] = rng.randint(2, 8)
        texts.append(describe(parameters, rng))
    return texts


def _step_seconds(model, batch: torch.Tensor, optimizer: torch.optim.Optimizer, adapters: bool) -> float:
    switched = contextlib.nullcontext() if adapters else model.disable_adapter()
    start = time.perf_counter()
    with switched:
        model(input_ids=batch, labels=batch).loss.backward()
    optimizer.step()
    optimizer.zero_grad(set_to_none=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default="configs/demo.yaml")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--length", type=int, default=300, help="tokens per sample (the demo's reasoning: ~300)")
    parser.add_argument("--rounds", type=int, default=8, help="timed steps per setting, after one warm-up each")
    args = parser.parse_args()

    config = load_config(args.config, [])
    base = OmegaConf.to_object(config.llm)
    if not isinstance(base, LLMConfig) or base.pretrained is not None:
        raise SystemExit(f"{args.config}: this benchmark times scratch backbones (llm.pretrained unset)")
    codebook = int(config.tokenizer.model.codebook_size)
    own_targets = base.lora.target_modules
    shown_targets = "default targets" if own_targets is None else ", ".join(own_targets)
    own_label = f"this config ({shown_targets}, dropout {base.lora.dropout:g})"
    texts = _texts()
    models = {}
    for label, targets, dropout in ((own_label, own_targets, base.lora.dropout), *SETTINGS):
        llm = replace(base, lora=replace(base.lora, target_modules=targets, dropout=dropout))
        model, tokenizer, _ = load_backbone(llm, texts, codebook_size=codebook)
        optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-4)
        models[label] = (model, optimizer)
    vocabulary = len(tokenizer)
    generator = torch.Generator().manual_seed(0)
    batches = [torch.randint(0, vocabulary, (args.batch_size, args.length), generator=generator) for _ in range(2)]

    times: dict[str, list[float]] = {label: [] for label in ("no adapters", *models)}
    for round_ in range(args.rounds + 1):
        batch = batches[round_ % 2]
        for label, (model, optimizer) in models.items():
            seconds = _step_seconds(model, batch, optimizer, adapters=True)
            if round_:
                times[label].append(seconds)
        model, optimizer = models[own_label]
        seconds = _step_seconds(model, batch, optimizer, adapters=False)
        if round_:
            times["no adapters"].append(seconds)

    reference = statistics.median(times["no adapters"])
    print(
        f"{args.config}: {base.scratch.architecture} {base.scratch.hidden_size}x{base.scratch.num_layers}, "
        f"batch {args.batch_size} x {args.length} tokens, {torch.get_num_threads()} threads, {args.rounds} steps each"
    )
    print(f"{'setting':<52} {'s/step':>7} {'x no adapters':>14}")
    for label, values in times.items():
        median = statistics.median(values)
        print(f"{label:<52} {median:>7.3f} {median / reference:>14.2f}")


if __name__ == "__main__":
    main()
