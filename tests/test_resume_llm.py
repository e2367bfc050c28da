"""A reasoning-stage run killed with SIGKILL after its first `last.ckpt` and resumed with `run.resume=true` ends with
the same weights and metrics as an uninterrupted run (`trainer.deterministic=true`, CPU, tiny config).

Every run is its own process, as in real use; the checkpoint it resumes from holds only the trainable weights."""

from __future__ import annotations

import json

import pytest
import torch
from helpers import BACKBONES, TOKENIZER_MODEL, fit_command, kill_after_first_checkpoint, run_fit
from helpers import DATA as TINY_DATA
from safetensors.torch import load_file

pytestmark = pytest.mark.slow

DATA = [*TINY_DATA, "data.synthetic.trials_per_subject=1", "trainer.deterministic=true"]
TOKENIZER = [*TOKENIZER_MODEL, "tokenizer.max_steps=4", "tokenizer.val_check_interval=4"]
# LoRA dropout on, so a resume that lost the RNG state would draw other masks and end elsewhere.
REASONING = [
    "reasoning.init_from=null",
    "reasoning.max_steps=30",
    "reasoning.val_check_interval=30",
    "reasoning.batch_size=2",
    "reasoning.max_new_tokens=8",
    "reasoning.warmup_steps=5",
    "run.checkpoint_every_n_steps=5",
    *BACKBONES["lora"],
    "llm.lora.dropout=0.1",
]


def reasoning_args(base, run, *extra: str) -> list[str]:
    return [
        "--config",
        "configs/reasoning.yaml",
        *DATA,
        *REASONING,
        f"run.out_dir={run}",
        f"data.corpus_dir={base}/corpus",
        f"reasoning.motion_tokenizer={base}/tokenizer",
        *extra,
    ]


def test_a_killed_reasoning_run_resumes_to_the_same_weights_and_metrics(tmp_path):
    base = tmp_path / "base"
    run_fit("--config", "configs/tokenizer.yaml", *DATA, *TOKENIZER, f"run.out_dir={base}")
    straight = tmp_path / "straight"
    run_fit(*reasoning_args(base, straight))

    killed = tmp_path / "killed"
    checkpoint = killed / "reasoning" / "checkpoints" / "last.ckpt"
    kill_after_first_checkpoint(fit_command(*reasoning_args(base, killed)), checkpoint)
    assert checkpoint.exists() and not (killed / "reasoning" / "metrics.json").exists(), "run was not interrupted"
    run_fit(*reasoning_args(base, killed, "run.resume=true"))

    for weights in ("adapter/adapter_model.safetensors", "base/model.safetensors"):
        a, b = (load_file(run / "reasoning" / weights) for run in (straight, killed))
        assert a.keys() == b.keys(), weights
        for name in a:
            torch.testing.assert_close(a[name], b[name], rtol=0, atol=0, msg=f"{weights}: {name}")
    expected, resumed = (json.loads((run / "reasoning" / "metrics.json").read_text()) for run in (straight, killed))
    expected.pop("train_seconds"), resumed.pop("train_seconds")
    assert resumed["steps"] == 30
    # json text: NaN metrics (no valid score yet) compare equal too.
    assert json.dumps(resumed, sort_keys=True) == json.dumps(expected, sort_keys=True)
    for part in ("val", "test"):
        assert (killed / "reasoning" / f"predictions_{part}.jsonl").read_text() == (
            straight / "reasoning" / f"predictions_{part}.jsonl"
        ).read_text()
