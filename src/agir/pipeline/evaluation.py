"""`agir.evaluate`'s work: the reasoning stage's metrics on a split, with faithfulness, BLEU, ROUGE-L, the
confusion matrix, and the calibration of the score probabilities under the stage's temperature (ECE and NLL before
and after, a reliability diagram), written to `<run>/evaluation/<split>/`."""

from __future__ import annotations

import json
from pathlib import Path

import lightning as L
from omegaconf import DictConfig, OmegaConf
from torchmetrics.text import BLEUScore, ROUGEScore

from agir.config import load_config
from agir.data.datamodule import GaitDataModule
from agir.pipeline.inference import (
    Assessor,
    load_assessor,
    stage_abstention,
    stage_temperature,
    validated_grade_grounding,
    validated_grounding,
)
from agir.pipeline.runs import write_json
from agir.tasks.reasoning import ReasoningSFTModule
from agir.tasks.score_metrics import ScoreConfusion
from agir.text.faithfulness import summarize_faithfulness
from agir.text.prompts import stage_evidence
from agir.viz.confusion import confusion_png

SPLITS = ("val", "test")


def text_metrics(rationales: list[str], references: list[str]) -> dict[str, float]:
    """Corpus BLEU-4 and mean ROUGE-L F1 of the generated rationales against the references."""
    bleu = BLEUScore()(rationales, [[reference] for reference in references])
    rouge = ROUGEScore(rouge_keys=("rougeL",))(rationales, references)
    return {"bleu": float(bleu), "rouge_l": float(rouge["rougeL_fmeasure"])}


def judging_module(
    assessor: Assessor,
    config: DictConfig,
    grounded: bool | None,
    grounded_grades: bool | None,
    min_coverage: float | None,
    min_confidence: float | None,
    datamodule: GaitDataModule,
) -> ReasoningSFTModule:
    """The stage's evaluation module under `evaluate_run`'s judging options, with `datamodule` connected to the
    stage's prompts (the evidence its metadata records, whatever its saved config calls it)."""
    stage_config = OmegaConf.to_object(config.reasoning)
    stage_config.evidence = stage_evidence(assessor.metadata)
    stage_config.grounded_numbers = validated_grounding(assessor.metadata) if grounded is None else grounded
    stage_config.grounded_grades = (
        validated_grade_grounding(assessor.metadata) if grounded_grades is None else grounded_grades
    )
    rule = stage_abstention(assessor.metadata, min_coverage, min_confidence)
    stage_config.min_coverage, stage_config.min_confidence = rule.min_coverage, rule.min_confidence
    datamodule.connect(
        assessor.motion_tokenizer,
        ReasoningSFTModule.sft_view(stage_config, assessor.llm, assessor.tokenizer, assessor.vocabulary),
    )
    return ReasoningSFTModule(
        assessor.model,
        assessor.tokenizer,
        assessor.vocabulary,
        stage_config,
        assessor.llm,
        temperature=stage_temperature(assessor.metadata),
    )


def evaluation_trainer(assessor: Assessor, config: DictConfig) -> L.Trainer:
    """A one-device Trainer that only evaluates: no logger, no checkpoints, on the assessor's device."""
    return L.Trainer(
        accelerator="cuda" if assessor.model.device.type == "cuda" else "cpu",
        devices=1,
        logger=False,
        enable_checkpointing=False,
        use_distributed_sampler=False,
        enable_progress_bar=config.trainer.enable_progress_bar,
        enable_model_summary=False,
    )


def evaluate_run(
    run: str | Path,
    split: str = "test",
    device: str = "cpu",
    grounded: bool | None = None,
    min_coverage: float | None = None,
    grounded_grades: bool | None = None,
    min_confidence: float | None = None,
) -> dict:
    """Evaluate `<run>/reasoning` on `split`; writes and returns the metrics. `grounded` says whether the rationales
    cite the measured values (None: as the stage was validated); free-number results go to `<split>_free_numbers/`,
    beside the others; `grounded_grades` the same for grade words (`<split>_free_grades/`). Below `min_coverage` of
    the score-relevant parameters measured, or with the calibrated probability of its score below `min_confidence`, a
    prediction has no score (None: the stage's own setting)."""
    if split not in SPLITS:
        raise ValueError(f"split must be one of {', '.join(SPLITS)}, not {split!r}")
    run = Path(run)
    assessor = load_assessor(run, device)
    config = load_config(run / "reasoning" / "config.yaml")
    datamodule = GaitDataModule(config.data, config.seed, split_file=run / "splits.json")
    datamodule.setup()
    module = judging_module(assessor, config, grounded, grounded_grades, min_coverage, min_confidence, datamodule)
    stage_config = module.config
    trainer = evaluation_trainer(assessor, config)
    evaluate = trainer.validate if split == "val" else trainer.test
    logged = {
        key.replace("/", "_"): float(value)
        for key, value in evaluate(module, datamodule=datamodule, verbose=False)[0].items()
    }
    calibration = {f"{split}_{key}": value for key, value in module.calibrate(fit=False).items()}
    predictions = module.predictions
    confusion = ScoreConfusion()
    confusion.update([p["target"] for p in predictions], [p["score"] for p in predictions])
    metrics = (
        logged
        | calibration
        | {f"{split}_{name}": value for name, value in confusion.compute().items()}
        | {
            f"{split}_{name}": value
            for name, value in summarize_faithfulness([p["faithfulness"] for p in predictions]).items()
        }
        | {
            f"{split}_{name}": value
            for name, value in text_metrics(
                [p["rationale"] for p in predictions], [p["reference"] for p in predictions]
            ).items()
        }
    )
    metrics[f"{split}_grounded_numbers"] = stage_config.grounded_numbers
    metrics[f"{split}_grounded_grades"] = stage_config.grounded_grades
    metrics[f"{split}_min_coverage"] = stage_config.min_coverage
    metrics[f"{split}_min_confidence"] = stage_config.min_confidence
    metrics[f"{split}_abstention_rate"] = sum(p["abstained"] is not None for p in predictions) / len(predictions)
    metrics[f"{split}_items"] = len(predictions)
    metrics |= {f"{split}_{name}": count for name, count in module.generation_counts().items()}
    folder = split + ("" if stage_config.grounded_numbers else "_free_numbers")
    out = run / "evaluation" / (folder + ("" if stage_config.grounded_grades else "_free_grades"))
    out.mkdir(parents=True, exist_ok=True)
    write_json(out / "metrics.json", metrics)
    (out / "predictions.jsonl").write_text("".join(json.dumps(p) + "\n" for p in predictions))
    (out / "confusion.png").write_bytes(confusion_png(confusion.counts, f"{run.name}: {split}, n={len(predictions)}"))
    (out / "reliability.png").write_bytes(module.reliability_diagram(f"{run.name}: {split}"))
    return metrics
