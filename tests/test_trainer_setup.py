"""The Trainer every stage gets (agir.pipeline.runs.make_trainer): its logger and its step progress bar, on real
tiny fits."""

from __future__ import annotations

import logging
from importlib.util import find_spec

import lightning as L
import pytest
import torch
from torch.utils.data import DataLoader, TensorDataset

from agir.config import load_config
from agir.pipeline.runs import StageError, make_trainer
from agir.tasks.step_progress import StepProgressBar


class Line(L.LightningModule):
    def __init__(self):
        super().__init__()
        self.layer = torch.nn.Linear(2, 1)

    def training_step(self, batch, batch_idx):
        loss = torch.nn.functional.mse_loss(self.layer(batch[0]), batch[1])
        self.log("train/loss", loss)
        return loss

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=0.1)


def points() -> DataLoader:
    # Three batches an epoch, so a 7-step budget crosses epochs: the bar must not restart with them.
    x = torch.randn(12, 2, generator=torch.Generator().manual_seed(0))
    return DataLoader(TensorDataset(x, x.sum(1, keepdim=True)), batch_size=4)


def fit(tmp_path, steps: int, resume: str | None = None, *overrides: str) -> L.Trainer:
    config = load_config(None, [f"run.out_dir={tmp_path}", "trainer.log_every_n_steps=1", *overrides])
    budget = config.reasoning
    budget.max_steps, budget.val_check_interval = steps, steps
    trainer = make_trainer(config, tmp_path / "reasoning", budget)
    trainer.fit(Line(), train_dataloaders=points(), ckpt_path=resume, weights_only=True)
    return trainer


def step_bar(trainer: L.Trainer) -> StepProgressBar:
    (bar,) = [callback for callback in trainer.callbacks if isinstance(callback, StepProgressBar)]
    return bar


def test_the_bar_counts_steps_against_the_budget_from_the_resumed_step(tmp_path, capsys):
    first = fit(tmp_path, 4)
    bar = step_bar(first).train_progress_bar
    assert (bar.total, bar.n, bar.initial) == (4, 4, 0)
    assert "reasoning: step 4/4" in capsys.readouterr().out
    assert (tmp_path / "reasoning" / "logs" / "metrics.csv").is_file()
    resumed = fit(tmp_path, 7, str(tmp_path / "reasoning" / "checkpoints" / "last.ckpt"))
    bar = step_bar(resumed).train_progress_bar
    assert (bar.total, bar.n, bar.initial) == (7, 7, 4)
    shown = capsys.readouterr().out
    assert "reasoning: step 4/7" in shown and "reasoning: step 7/7" in shown and "Epoch" not in shown


def test_no_cloud_logging_tip_at_trainer_start(tmp_path, caplog):
    with caplog.at_level(logging.INFO):
        fit(tmp_path, 1)
    assert "GPU available" in caplog.text  # Lightning's own start-up lines still come
    assert "litlogger" not in caplog.text


def test_no_bar_when_progress_bars_are_off(tmp_path):
    trainer = fit(tmp_path, 2, None, "trainer.enable_progress_bar=false")
    assert not [callback for callback in trainer.callbacks if isinstance(callback, StepProgressBar)]


@pytest.mark.parametrize("logger", [name for name in ("wandb", "mlflow", "tensorboard") if not find_spec(name)])
def test_a_logger_whose_extra_is_missing_is_refused_naming_the_install(tmp_path, logger):
    config = load_config(None, [f"run.out_dir={tmp_path}", f"trainer.logger={logger}"])
    message = rf"^trainer.logger={logger} needs its package: pip install 'agir\[{logger}\]'$"
    with pytest.raises(StageError, match=message):
        make_trainer(config, tmp_path / "reasoning", config.reasoning)
