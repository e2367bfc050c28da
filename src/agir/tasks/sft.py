"""SFTModule: what both LLM stages share.

Teacher-forced next-token loss on the supervised answer tokens only (labels -100 elsewhere), perplexity and token
accuracy, per task; AdamW with warm-up and cosine decay over the trainable weights (LoRA, new token rows, a scratch
base); Lightning checkpoints that hold only the trainable weights, so a frozen multi-GB base is never copied into
`last.ckpt` (resume loads them non-strictly over the rebuilt base).

Under DDP each rank evaluates its shard of the split; the repeats that pad a short shard are dropped before anything
is measured (`counted_rows`). The teacher-forced metrics are kept per (item, task) and gathered from every rank, then
summed exactly (math.fsum), so they are the same numbers whatever the number of ranks.
"""

from __future__ import annotations

import math
from pathlib import Path

import lightning as L
import torch
import torch.distributed as dist
import torch.nn.functional as F

from agir.config import SFTStageConfig
from agir.data.sft_samples import SFTView
from agir.models.llm import LLMConfig
from agir.tasks.schedule import adamw_with_warmup_cosine
from agir.text.motion_vocab import MotionVocabulary
from agir.text.prompts import IGNORE_INDEX


def token_terms(logits: torch.Tensor, labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Per position of next-token prediction: cross-entropy, hit, and whether it is supervised (0 and False where
    not); each (batch, length - 1)."""
    logits, labels = logits[:, :-1].float(), labels[:, 1:]
    supervised = labels != IGNORE_INDEX
    losses = F.cross_entropy(logits.transpose(1, 2), labels.clamp_min(0), reduction="none") * supervised
    hits = (logits.argmax(-1) == labels) & supervised
    return losses, hits, supervised


def token_losses(logits: torch.Tensor, labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Per-example sums over supervised positions of next-token cross-entropy and of hits, and the token counts."""
    losses, hits, supervised = token_terms(logits, labels)
    return losses.sum(1), hits.sum(1).float(), supervised.sum(1).float()


def batch_logits(model, batch: dict) -> torch.Tensor:
    """The logits of a padded or packed (agir.data.batching) training batch."""
    if "position_ids" in batch:
        # Packed rows: the restarting positions keep each sample's attention to itself, which transformers applies
        # only without a 2D mask and without a cache.
        inputs = {"position_ids": batch["position_ids"]}
    else:
        inputs = {"attention_mask": batch["attention_mask"]}
    return model(input_ids=batch["input_ids"], use_cache=False, **inputs).logits


def counted_rows(batch: dict) -> dict:
    """The rows of an evaluation batch that count: the repeats padding this rank's shard (agir.data.sampling) go."""
    rows = [i for i, counted in enumerate(batch["counted"].tolist()) if counted]
    if len(rows) == len(batch["counted"]):
        return batch
    return {
        key: value[rows] if isinstance(value, torch.Tensor) else [value[i] for i in rows]
        for key, value in batch.items()
    }


def gather_from_ranks(values: list) -> list:
    """Every rank's `values`, concatenated in rank order, on every rank (this rank's alone without a process group)."""
    if not (dist.is_available() and dist.is_initialized()):
        return list(values)
    gathered: list = [None] * dist.get_world_size()
    dist.all_gather_object(gathered, values)
    return [value for part in gathered for value in part]


class SFTModule(L.LightningModule):
    """One LLM stage. What differs between stages is in the methods below, which the stages override."""

    @staticmethod
    def task_shares(config: SFTStageConfig) -> dict[str, float]:
        """The tasks of this stage and the share of each in training (subclasses name theirs)."""
        raise NotImplementedError

    @staticmethod
    def continues(config: SFTStageConfig) -> str | None:
        """The stage folder this stage starts from; None starts from the bare backbone."""
        return None

    @staticmethod
    def generation_metadata(config: SFTStageConfig) -> dict:
        """How the texts this stage generates when evaluated are grounded in the measured values, and when their
        verdict is withheld: recorded in the stage's metadata, so the stage is assessed as it was validated."""
        return {"grounded_numbers": False, "grounded_grades": False, "min_coverage": None, "min_confidence": None}

    def generation_counts(self) -> dict[str, int]:
        """What the last evaluation's generations count, by name (`truncated_prompts`: prompts cut to fit before
        generating; `redecoded_outputs`: texts decoded again where they began to repeat themselves); empty for a
        stage whose evaluation generates no predictions."""
        return {}

    @staticmethod
    def stage_options(stage_dir: Path) -> dict:
        """Keyword arguments of the module when it trains into `stage_dir`."""
        return {}

    @classmethod
    def sft_view(cls, config: SFTStageConfig, llm: LLMConfig, tokenizer, vocabulary: MotionVocabulary) -> SFTView:
        """The DataModule view this stage trains and evaluates on (`agir.evaluate` rebuilds it from the stage's
        config)."""
        return SFTView(
            cls.task_shares(config),
            tokenizer,
            vocabulary,
            llm.max_length,
            llm.use_chat_template,
            config.batch_size,
            config.code_offsets,
            config.evidence,
            config.batching,
        )

    def save_evaluation(self, stage_dir: Path, part: str) -> None:
        """Write what the last evaluation of `part` (val, test) produced beyond its metrics; nothing by default."""

    def calibrate(self, fit: bool) -> dict[str, float]:
        """Calibrate what the last evaluation predicted, fitting the calibration on it first if `fit` (the stage's
        final validation), and return its metrics; nothing by default."""
        return {}

    def fitted_metadata(self) -> dict:
        """What the stage fitted besides its weights (calibration), for its metadata.json; nothing by default."""
        return {}

    def __init__(self, model, tokenizer, vocabulary: MotionVocabulary, config: SFTStageConfig, llm: LLMConfig):
        super().__init__()
        self.model = model
        self.tokenizer = tokenizer
        self.vocabulary = vocabulary
        self.config = config
        self.llm = llm
        # Checkpoints carry only trainable weights; the rest is rebuilt from the backbone before they load.
        self.strict_loading = False
        # Every task with a share is evaluated and logged on every rank, so all ranks log the same metrics.
        self.eval_tasks = tuple(task for task, share in self.task_shares(config).items() if share > 0)
        # (task, loss sum, hits, supervised tokens) of each sample evaluated on this rank in this epoch.
        self._teacher_forced: list[tuple[str, float, float, float]] = []
        # The step of the last validation, so a stage that just validated at its final step need not again.
        self.validated_step: int | None = None

    def _forward(self, batch: dict) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Per-row sums of loss and hits and supervised token counts (a packed row holds several samples)."""
        return token_losses(batch_logits(self.model, batch), batch["labels"])

    def token_weights(self, batch: dict) -> torch.Tensor | None:
        """How much each token's loss counts in training, shaped like the labels; None: all alike."""
        return None

    def training_step(self, batch: dict, batch_idx: int) -> torch.Tensor:
        losses, hits, supervised = token_terms(batch_logits(self.model, batch), batch["labels"])
        count = supervised.sum()
        loss = losses.sum() / count
        size = len(batch["item_ids"])
        # train/loss stays the plain mean per token, comparable with the validation losses.
        self.log("train/loss", loss, prog_bar=True, batch_size=size)
        self.log("train/perplexity", loss.detach().exp(), batch_size=size)
        self.log("train/token_accuracy", hits.sum() / count, batch_size=size)
        weights = self.token_weights(batch)
        if weights is None:
            return loss
        weights = weights[:, 1:] * supervised
        objective = (losses * weights).sum() / weights.sum()
        self.log("train/weighted_loss", objective, batch_size=size)
        return objective

    def evaluate_batch(self, batch: dict, batch_idx: int) -> None:
        """One validation or test batch; subclasses add what they measure by generating."""
        self._evaluate_teacher_forced(batch)

    def log_evaluation(self, prefix: str) -> None:
        """The end of a validation or test epoch; subclasses add their own metrics."""
        self._log_teacher_forced(prefix)

    def validation_step(self, batch: dict, batch_idx: int) -> None:
        batch = counted_rows(batch)
        if batch["item_ids"]:
            self.evaluate_batch(batch, batch_idx)

    def test_step(self, batch: dict, batch_idx: int) -> None:
        batch = counted_rows(batch)
        if batch["item_ids"]:
            self.evaluate_batch(batch, batch_idx)

    def on_validation_epoch_end(self) -> None:
        self.log_evaluation("val")
        self.validated_step = self.global_step

    def on_test_epoch_end(self) -> None:
        self.log_evaluation("test")

    def _evaluate_teacher_forced(self, batch: dict) -> None:
        losses, hits, counts = self._forward(batch)
        self._teacher_forced += zip(batch["tasks"], losses.tolist(), hits.tolist(), counts.tolist(), strict=True)

    def _log_teacher_forced(self, prefix: str) -> dict[str, float]:
        samples = gather_from_ranks(self._teacher_forced)
        self._teacher_forced = []
        logged = {}
        for task in self.eval_tasks:
            tokens = math.fsum(sample[3] for sample in samples if sample[0] == task)
            if tokens == 0:
                continue  # nothing of this task was supervised: no number rather than a made-up one
            loss = math.fsum(sample[1] for sample in samples if sample[0] == task) / tokens
            logged |= {
                f"{prefix}/{task}/loss": loss,
                f"{prefix}/{task}/perplexity": math.exp(loss),
                f"{prefix}/{task}/token_accuracy": math.fsum(s[2] for s in samples if s[0] == task) / tokens,
            }
        self.log_dict(logged)
        return logged

    def on_save_checkpoint(self, checkpoint: dict) -> None:
        trainable = {f"model.{name}" for name, parameter in self.model.named_parameters() if parameter.requires_grad}
        checkpoint["state_dict"] = {k: v for k, v in checkpoint["state_dict"].items() if k in trainable}

    def configure_optimizers(self) -> dict:
        return adamw_with_warmup_cosine([p for p in self.model.parameters() if p.requires_grad], self.config)
