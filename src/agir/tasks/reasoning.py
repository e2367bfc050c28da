"""ReasoningSFTModule, stage 2 of the LLM: motion -> chain-of-thought rationale -> `Score: N`.

Validation and test generate a rationale for every sample of their (rank's shard of the) split, exactly as
`agir.assess` does for a file (`agir.models.generate.rationales_and_probabilities`), parse its last strict `Score:`
line (an unparseable output is invalid, never mapped to a class) and read the score probabilities from the model
given its own reasoning. A prediction is judged as an assessment is (`agir.text.assessment.build_prediction`): a
looping output, thin evidence (under `reasoning.min_coverage`) or low confidence (the probability of its score,
under the module's temperature, below `reasoning.min_confidence`) has no score, which counts as invalid. Metrics come
from one confusion matrix reduced across ranks (`agir.tasks.score_metrics`); the per-item predictions are gathered
on every rank as `predictions`. A repeat that pads a rank's shard is neither counted nor predicted
(`agir.tasks.sft.counted_rows`).

The predictions' probabilities are temperature-scaled after each evaluation (`calibrate`): the stage fits its
temperature on its final validation's predictions and applies it to them and to the test split's; `agir.evaluate`
applies the saved one. Confidence is judged under the temperature held while predicting: the fitted one for the
test split and `agir.evaluate`, the one before fitting (1) for the validation it is fitted on. The ECE before and
after, and a reliability diagram, go with them.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch

from agir.config import ReasoningStageConfig
from agir.models.calibration import apply_temperature, calibration_metrics, fit_temperature
from agir.models.generate import GenerationSettings, prompt_cuts, rationales_and_probabilities
from agir.tasks.score_metrics import ScoreConfusion
from agir.tasks.sft import SFTModule, gather_from_ranks
from agir.text.assessment import Prediction, build_prediction, is_redecoded, is_truncated, probability_map
from agir.text.score import SCORES
from agir.viz.reliability import reliability_png


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
            "min_confidence": config.min_confidence,
        }

    def save_evaluation(self, stage_dir: Path, part: str) -> None:
        """`predictions_<part>.jsonl`: one line per sample (`id`, `target`, `score`, `rationale`, ...), and the
        reliability diagram of their probabilities, `reliability_<part>.png`."""
        lines = [json.dumps(prediction) for prediction in self.predictions]
        (stage_dir / f"predictions_{part}.jsonl").write_text("\n".join(lines) + "\n")
        diagram = self.reliability_diagram(f"{stage_dir.parent.name}: {part}")
        (stage_dir / f"reliability_{part}.png").write_bytes(diagram)

    def fitted_metadata(self) -> dict:
        return {"temperature": self.temperature}

    def __init__(self, *args, temperature: float = 1.0, **kwargs):
        super().__init__(*args, **kwargs)
        self.confusion = ScoreConfusion()
        self._predictions: list[tuple[dict, list[float]]] = []
        # Gathered on every rank after each validation or test epoch: one Prediction.to_json() per sample, in id
        # order, and the model's own score probabilities of each (the predictions' are calibrated by `calibrate`).
        self.predictions: list[dict] = []
        self.raw_probabilities = torch.zeros(0, len(SCORES), dtype=torch.float64)
        # Divides the score logits of the predictions (agir.models.calibration); `calibrate` fits it on validation.
        self.temperature = temperature

    def token_weights(self, batch: dict) -> torch.Tensor | None:
        """`reasoning.decision_weight` on the rationale's decision (its `Overall:` part: agir.data.sft_samples), 1 on
        the findings before it."""
        if self.config.decision_weight == 1:
            return None
        return 1 + (self.config.decision_weight - 1) * batch["decision_mask"].float()

    def generation_counts(self) -> dict[str, int]:
        return {
            "truncated_prompts": sum(is_truncated(prediction) for prediction in self.predictions),
            "redecoded_outputs": sum(is_redecoded(prediction) for prediction in self.predictions),
        }

    def predict_batch(self, batch: dict) -> tuple[list[Prediction], torch.Tensor]:
        """The prediction of every sample of `batch`: rationale, score (withheld without a verdict, on thin evidence
        or low confidence), probabilities, evidence and faithfulness (agir.text.assessment.build_prediction), and the
        (N, 4) probabilities it holds, before any temperature."""
        settings = GenerationSettings(
            max_new_tokens=self.config.max_new_tokens,
            max_length=self.llm.max_length,
            use_chat_template=self.llm.use_chat_template,
            batch_size=self.config.generation_batch_size,
            grounded_numbers=self.config.grounded_numbers,
            grounded_grades=self.config.grounded_grades,
        )
        rationales, probabilities, redecoded = rationales_and_probabilities(
            self.model, self.tokenizer, batch["prompts"], settings=settings, parameters=batch["parameters"]
        )
        cuts = prompt_cuts(self.tokenizer, batch["prompts"], settings)
        # Judged under the current temperature, as an assessment is; `calibrate` refits it from the raw ones.
        calibrated = apply_temperature(probabilities, self.temperature)
        rule = self.config.abstention()
        return [
            build_prediction(item_id, target, text, row, reference, parameters, rule, cut, again)
            for item_id, target, text, row, reference, parameters, cut, again in zip(
                batch["item_ids"],
                batch["scores"],
                rationales,
                calibrated.tolist(),
                batch["answers"],
                batch["parameters"],
                cuts,
                redecoded,
                strict=True,
            )
        ], probabilities

    def evaluate_batch(self, batch: dict, batch_idx: int) -> None:
        super().evaluate_batch(batch, batch_idx)
        predictions, probabilities = self.predict_batch(batch)
        self.confusion.update(batch["scores"], [p.score for p in predictions])
        self._predictions += [(p.to_json(), row) for p, row in zip(predictions, probabilities.tolist(), strict=True)]

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
        gathered = sorted(gather_from_ranks(self._predictions), key=lambda pair: pair[0]["id"])
        self._predictions = []
        self.predictions = [prediction for prediction, _ in gathered]
        self.raw_probabilities = torch.tensor([row for _, row in gathered], dtype=torch.float64).view(-1, len(SCORES))

    def calibrate(self, fit: bool) -> dict[str, float]:
        """Temperature-scale the probabilities of the last evaluation's predictions, after fitting the temperature on
        them if `fit` (the stage's final validation); returns the ECE and NLL before and after."""
        if not self.predictions:
            return {}
        targets = torch.tensor([p["target"] for p in self.predictions])
        if fit:
            self.temperature = fit_temperature(self.raw_probabilities, targets)
        calibrated = apply_temperature(self.raw_probabilities, self.temperature)
        for prediction, row in zip(self.predictions, calibrated, strict=True):
            prediction["probabilities"] = probability_map(row)
        return calibration_metrics(self.raw_probabilities, calibrated, targets, self.temperature)

    def reliability_diagram(self, title: str) -> bytes:
        """The reliability diagram of the last evaluation's probabilities, before and after the temperature."""
        targets = torch.tensor([p["target"] for p in self.predictions])
        calibrated = apply_temperature(self.raw_probabilities, self.temperature)
        return reliability_png(self.raw_probabilities, calibrated, targets, self.temperature, title)
