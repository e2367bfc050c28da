"""The Lightning logger `trainer.logger` names, for one stage.

csv is always there. tensorboard, wandb and mlflow are optional extras (`pip install 'agir[wandb]'`), and none of
them reaches the network by default: wandb runs offline unless `WANDB_MODE` is set, mlflow writes a file store under
the run folder unless `MLFLOW_TRACKING_URI` is set.
"""

from __future__ import annotations

import os
from importlib.util import find_spec
from pathlib import Path

from lightning.pytorch.loggers import CSVLogger, Logger, MLFlowLogger, TensorBoardLogger, WandbLogger

# The modules each optional logger needs; any one of them will do.
NEEDS = {"tensorboard": ("tensorboard", "tensorboardX"), "wandb": ("wandb",), "mlflow": ("mlflow",)}


def missing_extra(name: str) -> str | None:
    """Why logger `name` cannot be built here, naming the extra to install; None when it can."""
    if name in NEEDS and not any(find_spec(module) for module in NEEDS[name]):
        return f"trainer.logger={name} needs its package: pip install 'agir[{name}]'"
    return None


def make_logger(name: str, stage_dir: Path, run_name: str, run_folder: Path) -> Logger:
    """Logger `name` for the stage in `stage_dir`; each stage is its own run, named by its folder, so stages and
    cross-validation folds do not mix."""
    if name == "tensorboard":
        return TensorBoardLogger(stage_dir, name="logs", version="")
    if name == "wandb":
        return WandbLogger(
            project="agir",
            group=run_name,
            name=str(stage_dir),
            save_dir=str(stage_dir),
            offline="WANDB_MODE" not in os.environ,
        )
    if name == "mlflow":
        return MLFlowLogger(
            experiment_name=run_name,
            run_name=str(stage_dir),
            tracking_uri=os.environ.get("MLFLOW_TRACKING_URI", (run_folder / "mlruns").resolve().as_uri()),
        )
    return CSVLogger(stage_dir, name="logs", version="")
