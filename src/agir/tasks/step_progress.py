"""A progress bar that counts a stage's optimizer steps against its step budget.

Stages are budgeted in steps (`max_steps`) with `max_epochs=-1`, so Lightning's own bars count batches of an epoch
and read `Epoch 1/-2`. This one reads `reasoning: step 120/400`, from the resumed step on a resumed run; the
validation and test bars stay Lightning's.
"""

from __future__ import annotations

import sys
from typing import Any

import lightning as L
from lightning.pytorch.callbacks import TQDMProgressBar
from lightning.pytorch.callbacks.progress.tqdm_progress import Tqdm

STEP_FORMAT = "{desc}step {n_fmt}/{total_fmt} |{bar}| [{elapsed}<{remaining}, {rate_noinv_fmt}{postfix}]"


class StepProgressBar(TQDMProgressBar):
    def __init__(self, stage: str, refresh_rate: int = 1):
        super().__init__(refresh_rate=refresh_rate)
        self.stage = stage

    def init_train_tqdm(self) -> Tqdm:
        return Tqdm(
            desc=f"{self.stage}: ",
            total=self.trainer.max_steps,
            # The rate and the time left count only the steps this process runs.
            initial=self.trainer.global_step,
            position=2 * self.process_position,
            disable=self.is_disabled,
            leave=True,
            dynamic_ncols=True,
            file=sys.stdout,
            smoothing=0,
            bar_format=STEP_FORMAT,
        )

    def on_train_epoch_start(self, trainer: L.Trainer, *_: Any) -> None:
        """One bar for the whole stage: epochs do not restart it."""

    def get_metrics(self, trainer: L.Trainer, pl_module: L.LightningModule) -> dict:
        metrics = super().get_metrics(trainer, pl_module)
        metrics.pop("v_num", None)  # the stage's logs have no versions
        return metrics

    def on_train_batch_end(self, trainer: L.Trainer, pl_module: L.LightningModule, *_: Any) -> None:
        bar = self.train_progress_bar
        step = trainer.global_step
        if step != bar.n and self._should_update(step, bar.total):
            bar.n = step
            bar.set_postfix(self.get_metrics(trainer, pl_module))
