"""Two DDP processes on the CPU (gloo), launched as `agir.fit` runs with the ddp trainer preset: the ranks end the
tokenizer and reasoning stages (LoRA, and QLoRA on a 4-bit base) with identical weights and identical metrics, and
what rank 0 writes covers every rank's share of the data.

Each rank reports what it holds through `run.rank_fingerprints` (`<stage>/ranks/rank<N>.json`). The runs are
subprocesses: plain `ddp` re-launches the command it runs in, which must not be pytest (ENVIRONMENT.md).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from helpers import BACKBONES, TOKENIZER_MODEL, run_fit
from helpers import DATA as TINY_DATA

from agir.config import load_config
from agir.data.datamodule import GaitDataModule

pytestmark = pytest.mark.slow

# Two trials per subject: the one validation subject still gives each rank a sample to evaluate.
DATA = [*TINY_DATA, "data.synthetic.trials_per_subject=2", "run.rank_fingerprints=true"]
TWO_RANKS = ["--config", "configs/trainer/ddp.yaml", "trainer.accelerator=cpu", "trainer.devices=2"]
# Five steps with validation at three: the last EMA update is not followed by a forward pass in which DDP would
# broadcast rank 0's buffers over the others, so only the all-reduce in the quantizer keeps the codebooks equal.
TOKENIZER = [*TOKENIZER_MODEL, "tokenizer.max_steps=5", "tokenizer.val_check_interval=3"]
REASONING = [
    "reasoning.init_from=null",
    "reasoning.max_steps=3",
    "reasoning.val_check_interval=2",
    "reasoning.batch_size=2",
    "reasoning.max_new_tokens=8",
    "reasoning.warmup_steps=1",
]


def rank_records(stage_dir: Path) -> list[dict]:
    records = [json.loads((stage_dir / "ranks" / f"rank{rank}.json").read_text()) for rank in range(2)]
    assert all(record["world_size"] == 2 for record in records)
    return records


def assert_ranks_agree(records: list[dict]) -> None:
    first, second = records
    different = sorted(
        name for name, digest in first["fit"]["tensors"].items() if second["fit"]["tensors"].get(name) != digest
    )
    assert not different, f"ranks hold different {different}"
    assert first["fit"]["tensors"].keys() == second["fit"]["tensors"].keys()
    for stage in ("validate", "test"):
        # json text: NaN metrics (no valid score yet) compare equal too.
        assert json.dumps(first[stage], sort_keys=True) == json.dumps(second[stage], sort_keys=True), stage


@pytest.fixture(scope="module")
def tokenizer_run(tmp_path_factory) -> Path:
    run = tmp_path_factory.mktemp("ddp")
    run_fit("--config", "configs/tokenizer.yaml", *TWO_RANKS, *DATA, *TOKENIZER, f"run.out_dir={run}")
    return run


def test_tokenizer_ranks_share_one_codebook_and_report_every_ranks_codes(tokenizer_run):
    stage = tokenizer_run / "tokenizer"
    records = rank_records(stage)
    assert_ranks_agree(records)
    assert {"vqvae.quantizer.codebook", "vqvae.quantizer.ema_count"} <= records[0]["fit"]["tensors"].keys()
    assert records[0]["fit"]["global_step"] == 5
    metrics = json.loads((stage / "metrics.json").read_text())
    assert metrics["steps"] == 5
    assert metrics["val_mpjpe_mm"] == pytest.approx(records[1]["validate"]["val/mpjpe_mm"])
    assert metrics["test_codebook_usage_pct"] == pytest.approx(records[1]["test"]["test/codebook_usage_pct"])

    # The code histogram rank 0 saved counts the codes of every test window, not only its own shard's.
    config = load_config("configs/tokenizer.yaml", [*DATA, *TOKENIZER, f"run.out_dir={tokenizer_run}"])
    datamodule = GaitDataModule(config.data, config.seed, split_file=tokenizer_run / "splits.json")
    datamodule.setup()
    codes_per_window = config.data.window // 2**config.tokenizer.model.down_t
    counts = json.loads((stage / "codebook_usage.json").read_text())["counts"]
    assert sum(counts) == len(datamodule.test_dataloader().dataset) * codes_per_window


@pytest.mark.parametrize("backbone", sorted(BACKBONES))
def test_reasoning_ranks_share_adapters_metrics_and_predictions(tokenizer_run, tmp_path, backbone):
    run = tmp_path / "run"
    run_fit(
        "--config",
        "configs/reasoning.yaml",
        *TWO_RANKS,
        *DATA,
        *REASONING,
        *BACKBONES[backbone],
        f"run.out_dir={run}",
        f"data.corpus_dir={tokenizer_run}/corpus",
        f"reasoning.motion_tokenizer={tokenizer_run}/tokenizer",
    )
    stage = run / "reasoning"
    records = rank_records(stage)
    assert_ranks_agree(records)
    tensors = records[0]["fit"]["tensors"]
    assert any("lora_A" in name for name in tensors) and any("token_adapter" in name for name in tensors)
    metadata = json.loads((stage / "metadata.json").read_text())
    assert metadata["steps"] == 3
    assert metadata["quantization"] == ("4bit" if backbone == "qlora-4bit" else None)
    if backbone == "qlora-4bit":
        # The checkpoint rank 0 wrote carries the adapters and new token rows, not the frozen 4-bit base.
        state = torch.load(stage / "checkpoints" / "last.ckpt", map_location="cpu", weights_only=True)["state_dict"]
        assert state and all("lora_" in name or "token_adapter" in name for name in state)

    # Generation ran on both ranks' shards and was gathered: one prediction per held-out trial, each once.
    split = json.loads((run / "splits.json").read_text())
    for part in ("val", "test"):
        lines = (stage / f"predictions_{part}.jsonl").read_text().splitlines()
        ids = [json.loads(line)["id"] for line in lines]
        assert len(ids) == len(set(ids)) == 2 * len(split[part])
    metrics = json.loads((stage / "metrics.json").read_text())
    assert metrics["val_motion_to_rationale_loss"] == pytest.approx(
        records[1]["validate"]["val/motion_to_rationale/loss"]
    )
