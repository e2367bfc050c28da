"""Evaluation splits with fewer items than ranks, under DDP: the reasoning stage of a tiny trained run validated on
one and on three items by 2 gloo ranks (`ddp_notebook`, forked inside the test) and by one process. Every rank gets
batches (its shard padded with repeats), each item counts once, and the metrics and gathered predictions are exactly
the single process's.

Batches of one sample, and generation one prompt at a time, make each item's numbers independent of which items
share its batch, so any difference would come from how the ranks split, pad and reduce.
"""

from __future__ import annotations

import json
from pathlib import Path

import lightning as L
import pytest
import torch.distributed as dist
from helpers import trained_run
from lightning.pytorch.callbacks import Callback
from omegaconf import OmegaConf

from agir.config import load_config
from agir.data.datamodule import GaitDataModule
from agir.data.splits import SubjectSplit
from agir.models.llm import load_stage
from agir.models.motion_tokenizer import MotionTokenizer
from agir.tasks.rank_fingerprint import RankFingerprint
from agir.tasks.reasoning import ReasoningSFTModule


class RankPredictions(Callback):
    """Each rank writes the predictions it holds after validation, then the ranks leave the process group together."""

    def __init__(self, out: Path):
        self.out = out

    def teardown(self, trainer: L.Trainer, pl_module: L.LightningModule, stage: str) -> None:
        (self.out / f"predictions_rank{trainer.global_rank}.json").write_text(json.dumps(pl_module.predictions))
        if dist.is_initialized():
            dist.barrier()
            dist.destroy_process_group()


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> Path:
    return trained_run(tmp_path_factory)


def validate(run: Path, subjects: list[str], devices: int, out: Path) -> tuple[list[dict], list[list[dict]]]:
    """Each rank's validation metrics and predictions, validating the run's reasoning stage on `subjects`."""
    out.mkdir()
    config = load_config(str(run / "config.yaml"), ["reasoning.batch_size=1", "reasoning.generation_batch_size=1"])
    split = SubjectSplit.load(run / "splits.json")
    rest = tuple(s for s in split.train if s not in subjects)
    SubjectSplit("holdout", 0, rest, tuple(subjects), tuple(subjects)).save(out / "splits.json")
    datamodule = GaitDataModule(config.data, config.seed, split_file=out / "splits.json")
    datamodule.setup()
    stage = OmegaConf.to_object(config.reasoning)
    llm = OmegaConf.to_object(config.llm)
    model, tokenizer, vocabulary, _ = load_stage(run / "reasoning", llm)
    datamodule.connect(
        MotionTokenizer.from_pretrained(run / "tokenizer"),
        ReasoningSFTModule.sft_view(stage, llm, tokenizer, vocabulary),
    )
    trainer = L.Trainer(
        accelerator="cpu",
        devices=devices,
        strategy="ddp_notebook" if devices > 1 else "auto",
        use_distributed_sampler=False,
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        callbacks=[RankFingerprint(out), RankPredictions(out)],
    )
    trainer.validate(ReasoningSFTModule(model, tokenizer, vocabulary, stage, llm), datamodule=datamodule, verbose=False)
    metrics = [json.loads((out / "ranks" / f"rank{rank}.json").read_text())["validate"] for rank in range(devices)]
    predictions = [json.loads((out / f"predictions_rank{rank}.json").read_text()) for rank in range(devices)]
    return metrics, predictions


@pytest.mark.parametrize("items", [1, 3])
def test_two_ranks_validate_fewer_items_than_ranks_exactly_as_one_process(run, tmp_path, items):
    subjects = sorted(SubjectSplit.load(run / "splits.json").train)[:items]  # one trial each
    single_metrics, single_predictions = validate(run, subjects, 1, tmp_path / "single")
    ddp_metrics, ddp_predictions = validate(run, subjects, 2, tmp_path / "ddp")

    assert [p["id"] for p in single_predictions[0]] == sorted(f"{s}_T1" for s in subjects)
    for rank in range(2):
        # json text: a metric undefined on a split this small (NaN) compares equal too.
        assert json.dumps(ddp_metrics[rank], sort_keys=True) == json.dumps(single_metrics[0], sort_keys=True)
        assert ddp_predictions[rank] == single_predictions[0]
    assert {"val/accuracy", "val/motion_to_rationale/loss"} <= single_metrics[0].keys()
