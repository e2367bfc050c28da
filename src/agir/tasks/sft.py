"""SFTModule: what both LLM stages share.

Teacher-forced next-token loss on the supervised answer tokens only (labels -100 elsewhere), perplexity and token
accuracy, per task; AdamW with warm-up and cosine decay over the trainable weights (LoRA, new token rows, a scratch
base); Lightning checkpoints that hold only the trainable weights, so a frozen multi-GB base is never copied into
`last.ckpt` (resume loads them non-strictly over the rebuilt base).
"""

from __future__ import annotations

import lightning as L
import torch
import torch.nn.functional as F
from torch import nn
from torchmetrics import MeanMetric

from agir.config import SFTStageConfig
from agir.models.llm import LLMConfig
from agir.tasks.schedule import adamw_with_warmup_cosine
from agir.text.motion_vocab import MotionVocabulary
from agir.text.prompts import IGNORE_INDEX


def token_losses(logits: torch.Tensor, labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Per-example sums over supervised positions of next-token cross-entropy and of hits, and the token counts."""
    logits, labels = logits[:, :-1].float(), labels[:, 1:]
    supervised = labels != IGNORE_INDEX
    losses = F.cross_entropy(logits.transpose(1, 2), labels.clamp_min(0), reduction="none") * supervised
    hits = (logits.argmax(-1) == labels) & supervised
    return losses.sum(1), hits.sum(1).float(), supervised.sum(1).float()


class SFTModule(L.LightningModule):
    @staticmethod
    def task_shares(config: SFTStageConfig) -> dict[str, float]:
        """The tasks of this stage and the share of each in training (subclasses name theirs)."""
        raise NotImplementedError

    def __init__(self, model, tokenizer, vocabulary: MotionVocabulary, config: SFTStageConfig, llm: LLMConfig):
        super().__init__()
        self.model = model
        self.tokenizer = tokenizer
        self.vocabulary = vocabulary
        self.config = config
        self.llm = llm
        # Checkpoints carry only trainable weights; the rest is rebuilt from the backbone before they load.
        self.strict_loading = False
        # Every rank evaluates every task with a share (each holds items of each), so all ranks compute the same
        # metrics and none waits alone in a collective.
        self.eval_tasks = tuple(task for task, share in self.task_shares(config).items() if share > 0)
        self.eval_loss = nn.ModuleDict({task: MeanMetric() for task in self.eval_tasks})
        self.eval_accuracy = nn.ModuleDict({task: MeanMetric() for task in self.eval_tasks})
        # The step of the last validation, so a stage that just validated at its final step need not again.
        self.validated_step: int | None = None

    def _forward(self, batch: dict) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        logits = self.model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits
        return token_losses(logits, batch["labels"])

    def training_step(self, batch: dict, batch_idx: int) -> torch.Tensor:
        losses, hits, counts = self._forward(batch)
        loss = losses.sum() / counts.sum()
        size = len(counts)
        self.log("train/loss", loss, prog_bar=True, batch_size=size)
        self.log("train/perplexity", loss.detach().exp(), batch_size=size)
        self.log("train/token_accuracy", hits.sum() / counts.sum(), batch_size=size)
        return loss

    def evaluate_batch(self, batch: dict, batch_idx: int) -> None:
        """One validation or test batch; subclasses add what they measure by generating."""
        self._evaluate_teacher_forced(batch)

    def log_evaluation(self, prefix: str) -> None:
        """The end of a validation or test epoch; subclasses add their own metrics."""
        self._log_teacher_forced(prefix)

    def validation_step(self, batch: dict, batch_idx: int) -> None:
        self.evaluate_batch(batch, batch_idx)

    def test_step(self, batch: dict, batch_idx: int) -> None:
        self.evaluate_batch(batch, batch_idx)

    def on_validation_epoch_end(self) -> None:
        self.log_evaluation("val")
        self.validated_step = self.global_step

    def on_test_epoch_end(self) -> None:
        self.log_evaluation("test")

    def _evaluate_teacher_forced(self, batch: dict) -> None:
        losses, hits, counts = self._forward(batch)
        for task in set(batch["tasks"]):
            rows = torch.tensor([t == task for t in batch["tasks"]], device=counts.device)
            tokens = counts[rows].sum()
            self.eval_loss[task].update(losses[rows].sum() / tokens, weight=tokens)
            self.eval_accuracy[task].update(hits[rows].sum() / tokens, weight=tokens)

    def _log_teacher_forced(self, prefix: str) -> dict[str, float]:
        logged = {}
        for task in self.eval_tasks:
            loss = self.eval_loss[task].compute()
            logged |= {
                f"{prefix}/{task}/loss": loss,
                f"{prefix}/{task}/perplexity": loss.exp(),
                f"{prefix}/{task}/token_accuracy": self.eval_accuracy[task].compute(),
            }
            self.eval_loss[task].reset()
            self.eval_accuracy[task].reset()
        self.log_dict(logged)
        return {key: float(value) for key, value in logged.items()}

    def on_save_checkpoint(self, checkpoint: dict) -> None:
        trainable = {f"model.{name}" for name, parameter in self.model.named_parameters() if parameter.requires_grad}
        checkpoint["state_dict"] = {k: v for k, v in checkpoint["state_dict"].items() if k in trainable}

    def configure_optimizers(self) -> dict:
        return adamw_with_warmup_cosine([p for p in self.model.parameters() if p.requires_grad], self.config)
