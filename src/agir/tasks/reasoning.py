"""ReasoningSFTModule, stage 2 of the LLM: motion -> chain-of-thought rationale -> `Score: N`.

Validation and test generate a rationale for every sample of their (rank's shard of the) split, exactly as
`agir.assess` does for a file (`agir.models.generate.rationales_and_probabilities`), parse its last strict `Score:`
line (an unparseable output is invalid, never mapped to a class) and read the score probabilities from the model
given its own reasoning. Metrics come from one confusion matrix reduced across ranks
(`agir.tasks.score_metrics`); the per-item predictions are gathered on every rank as `predictions`. A repeat that
pads a rank's shard is neither counted nor predicted (`agir.tasks.sft.counted_rows`).
"""

from __future__ import annotations

import json
from pathlib import Path

from agir.config import ReasoningStageConfig
from agir.models.generate import GenerationSettings, rationales_and_probabilities
from agir.tasks.score_metrics import ScoreConfusion
from agir.tasks.sft import SFTModule, gather_from_ranks
from agir.text.score import parse_score


class ReasoningSFTModule(SFTModule):
    @staticmethod
    def task_shares(config: ReasoningStageConfig) -> dict[str, float]:
        return {"motion_to_rationale": 1.0}

    @staticmethod
    def continues(config: ReasoningStageConfig) -> str | None:
        return config.init_from

    @staticmethod
    def grounds_numbers(config: ReasoningStageConfig) -> bool:
        return config.grounded_numbers

    def save_evaluation(self, stage_dir: Path, part: str) -> None:
        """`predictions_<part>.jsonl`: one line per sample (`id`, `target`, `score`, `rationale`, ...)."""
        lines = [json.dumps(prediction) for prediction in self.predictions]
        (stage_dir / f"predictions_{part}.jsonl").write_text("\n".join(lines) + "\n")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.confusion = ScoreConfusion()
        self._predictions: list[dict] = []
        # Gathered on rank 0 after each validation or test epoch: one dict per sample.
        self.predictions: list[dict] = []

    def predict_batch(self, batch: dict) -> list[dict]:
        """Rationale, parsed score and score probabilities for every sample of `batch`."""
        settings = GenerationSettings(
            max_new_tokens=self.config.max_new_tokens,
            max_length=self.llm.max_length,
            use_chat_template=self.llm.use_chat_template,
            batch_size=self.config.generation_batch_size,
            grounded=self.grounds_numbers(self.config),
        )
        rationales, probabilities = rationales_and_probabilities(
            self.model, self.tokenizer, batch["prompts"], settings=settings, parameters=batch["parameters"]
        )
        return [
            {
                "id": item_id,
                "target": int(target),
                "score": parse_score(text),
                "rationale": text,
                "probabilities": [round(float(p), 6) for p in row],
                "reference": reference,
            }
            for item_id, target, text, row, reference in zip(
                batch["item_ids"], batch["scores"], rationales, probabilities, batch["answers"], strict=True
            )
        ]

    def evaluate_batch(self, batch: dict, batch_idx: int) -> None:
        super().evaluate_batch(batch, batch_idx)
        predictions = self.predict_batch(batch)
        self.confusion.update(batch["scores"], [p["score"] for p in predictions])
        self._predictions += predictions

    def log_evaluation(self, prefix: str) -> None:
        super().log_evaluation(prefix)
        metrics = self.confusion.compute()
        self.confusion.reset()
        self.log_dict(
            {
                f"{prefix}/{name}": float(metrics[name])
                for name in ("accuracy", "macro_f1", "qwk", "mae", "invalid_rate")
            }
        )
        self.predictions = sorted(gather_from_ranks(self._predictions), key=lambda p: p["id"])
        self._predictions = []
