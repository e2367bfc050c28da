"""GenerativeSFTModule, stage 1 of the LLM: motion -> analytic gait description and description -> motion.

Validation reports loss, perplexity and token accuracy per direction, and generates a few samples of each direction
from the first validation batch: they are written to `<stage>/samples/step_<N>.md` (and to TensorBoard when that
logger is in use), so the progress of what the model writes can be read during training.
"""

from __future__ import annotations

from pathlib import Path

from agir.config import GenerativeStageConfig
from agir.models.generate import generate_texts
from agir.tasks.sft import SFTModule


class GenerativeSFTModule(SFTModule):
    @staticmethod
    def task_shares(config: GenerativeStageConfig) -> dict[str, float]:
        share = config.description_to_motion
        return {"motion_to_description": 1 - share, "description_to_motion": share}

    @staticmethod
    def stage_options(stage_dir: Path) -> dict:
        return {"samples_dir": stage_dir / "samples"}

    def __init__(self, *args, samples_dir: str | Path | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.samples_dir = Path(samples_dir) if samples_dir else None
        self._samples: list[str] = []

    def evaluate_batch(self, batch: dict, batch_idx: int) -> None:
        super().evaluate_batch(batch, batch_idx)
        if batch_idx == 0 and not self.trainer.testing and self.config.samples_per_validation > 0:
            self._samples = self._generate_samples(batch)

    def _generate_samples(self, batch: dict) -> list[str]:
        picked = [
            i
            for task in self.eval_tasks
            for i in [j for j, t in enumerate(batch["tasks"]) if t == task][: self.config.samples_per_validation]
        ]
        texts = generate_texts(
            self.model,
            self.tokenizer,
            [batch["prompt_ids"][i] for i in picked],
            self.config.max_new_tokens,
            self.config.generation_batch_size,
        )
        samples = []
        for i, text in zip(picked, texts, strict=True):
            if batch["tasks"][i] == "description_to_motion":
                codes = self.vocabulary.tokens_to_codes(self.tokenizer.encode(text, add_special_tokens=False))
                target = self.vocabulary.tokens_to_codes(
                    self.tokenizer.encode(batch["answers"][i], add_special_tokens=False)
                )
                text = f"{len(codes)} motion codes generated (reference: {len(target)}): {text[:200]}"
            samples.append(
                f"### {batch['item_ids'][i]} ({batch['tasks'][i]})\n\n**prompt**: "
                f"{batch['prompts'][i][:300]}\n\n**generated**: {text}\n\n**reference**: "
                f"{batch['answers'][i][:300]}\n"
            )
        return samples

    def log_evaluation(self, prefix: str) -> None:
        super().log_evaluation(prefix)
        if prefix != "val" or not self._samples or not self.trainer.is_global_zero:
            return
        text = f"# Samples at step {self.global_step}\n\n" + "\n".join(self._samples)
        if self.samples_dir is not None:
            self.samples_dir.mkdir(parents=True, exist_ok=True)
            (self.samples_dir / f"step_{self.global_step:06d}.md").write_text(text)
        experiment = getattr(self.logger, "experiment", None)
        if hasattr(experiment, "add_text"):
            experiment.add_text("val/samples", text, self.global_step)
