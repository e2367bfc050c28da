"""ReasoningSFTModule, stage 2 of the LLM: motion -> chain-of-thought rationale -> `Score: N`.

Validation and test generate a rationale for every sample of their (rank's shard of the) split, exactly as
`agir.assess` does for a file (`agir.models.generate.rationales_and_probabilities`), parse its last strict `Score:`
line (an unparseable output is invalid, never mapped to a class) and read the score probabilities from the model
given its own reasoning. A prediction is judged as an assessment is (`agir.text.assessment.build_prediction`): a
looping output or thin evidence (under `reasoning.min_coverage`) has no score, which counts as invalid. Metrics come
from one confusion matrix reduced across ranks (`agir.tasks.score_metrics`); the per-item predictions are gathered
on every rank as `predictions`. A repeat that pads a rank's shard is neither counted nor predicted
(`agir.tasks.sft.counted_rows`).
"""

from __future__ import annotations

import json
from pathlib import Path

from agir.config import ReasoningStageConfig
from agir.models.generate import GenerationSettings, prompt_cuts, rationales_and_probabilities
from agir.tasks.score_metrics import ScoreConfusion
from agir.tasks.sft import SFTModule, gather_from_ranks
from agir.text.assessment import Prediction, build_prediction, is_truncated


class ReasoningSFTModule(SFTModule):
    @staticmethod
    def task_shares(config: ReasoningStageConfig) -> dict[str, float]:
        return {"motion_to_rationale": 1.0}

    @staticmethod
    def continues(config: ReasoningStageConfig) -> str | None:
        return config.init_from

    @staticmethod
    def generation_metadata(config: ReasoningStageConfig) -> dict:
        return {
            "grounded_numbers": config.grounded_numbers,
            "grounded_grades": config.grounded_grades,
            "min_coverage": config.min_coverage,
        }

    def save_evaluation(self, stage_dir: Path, part: str) -> None:
        """`predictions_<part>.jsonl`: one line per sample (`id`, `target`, `score`, `rationale`, ...)."""
        lines = [json.dumps(prediction) for prediction in self.predictions]
        (stage_dir / f"predictions_{part}.jsonl").write_text("\n".join(lines) + "\n")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.confusion = ScoreConfusion()
        self._predictions: list[dict] = []
        # Gathered on rank 0 after each validation or test epoch: one Prediction.to_json() per sample.
        self.predictions: list[dict] = []

    def truncated_generations(self) -> int:
        return sum(is_truncated(prediction) for prediction in self.predictions)

    def predict_batch(self, batch: dict) -> list[Prediction]:
        """The prediction of every sample of `batch`: rationale, score (withheld without a verdict or on thin
        evidence), probabilities, evidence and faithfulness (agir.text.assessment.build_prediction)."""
        settings = GenerationSettings(
            max_new_tokens=self.config.max_new_tokens,
            max_length=self.llm.max_length,
            use_chat_template=self.llm.use_chat_template,
            batch_size=self.config.generation_batch_size,
            grounded_numbers=self.config.grounded_numbers,
            grounded_grades=self.config.grounded_grades,
        )
        rationales, probabilities = rationales_and_probabilities(
            self.model, self.tokenizer, batch["prompts"], settings=settings, parameters=batch["parameters"]
        )
        cuts = prompt_cuts(self.tokenizer, batch["prompts"], settings)
        return [
            build_prediction(item_id, target, text, row, reference, parameters, self.config.min_coverage, cut)
            for item_id, target, text, row, reference, parameters, cut in zip(
                batch["item_ids"],
                batch["scores"],
                rationales,
                probabilities,
                batch["answers"],
                batch["parameters"],
                cuts,
                strict=True,
            )
        ]

    def evaluate_batch(self, batch: dict, batch_idx: int) -> None:
        super().evaluate_batch(batch, batch_idx)
        predictions = self.predict_batch(batch)
        self.confusion.update(batch["scores"], [p.score for p in predictions])
        self._predictions += [p.to_json() for p in predictions]

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
