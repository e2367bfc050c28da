"""One LLM stage of `agir.fit`: backbone (or the previous stage) + the DataModule's SFT view + module + Trainer.

A stage folder (`<run>/generative/`, `<run>/reasoning/`) holds the stage as `agir.models.llm.save_stage` writes it
(adapter with the new token rows, extended tokenizer, scratch base weights, metadata.json), plus `metrics.json`,
`config.yaml`, the CSV logs, `checkpoints/last.ckpt` and, for the reasoning stage, `predictions_{val,test}.jsonl`
and `reliability_{val,test}.png`. Its metadata records the motion tokenizer's hash and codebook size, the prompt
version and evidence mode, and a stage that continues another refuses one trained against something else. The
reasoning stage's metadata also holds the `temperature` of its score probabilities, fitted on its final validation's
predictions (agir.models.calibration): the one place it is fitted, and what assessment and evaluation apply.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import torch
from omegaconf import DictConfig, OmegaConf

from agir.config import SFTStageConfig
from agir.data.datamodule import GaitDataModule
from agir.models.llm import LLMConfig, load_backbone, load_stage, save_stage
from agir.models.motion_tokenizer import MotionTokenizer
from agir.pipeline.runs import StageError, make_trainer, resume_checkpoint, run_dir, stop_if_requeued, write_json
from agir.tasks.generative import GenerativeSFTModule
from agir.tasks.reasoning import ReasoningSFTModule
from agir.tasks.sft import SFTModule
from agir.text.prompts import INSTRUCTIONS, PROMPT_VERSION, evidence_line

# What a stage records of the prompts cut to fit llm.max_length: training examples (each epoch) and, for a stage that
# generates, the held-out prompts cut before generating.
TRUNCATION_KEYS = ("truncated_prompts", "train_examples")
MODULES: dict[str, type[SFTModule]] = {"generative": GenerativeSFTModule, "reasoning": ReasoningSFTModule}


def backbone_device(config: DictConfig) -> torch.device:
    """Where this process builds its backbone: its own GPU under DDP (never device_map='auto'), else the CPU."""
    if config.trainer.accelerator in ("gpu", "cuda") or (
        config.trainer.accelerator == "auto" and torch.cuda.is_available()
    ):
        return torch.device("cuda", int(os.environ.get("LOCAL_RANK", 0)))
    return torch.device("cpu")


def tokenizer_texts(datamodule: GaitDataModule, evidence: str) -> list[str]:
    """What a scratch backbone's BPE learns from: the training items' texts, every instruction phrasing and the
    measurements the stage's `evidence` mode adds to their prompts (with the reasons of nulls, which no text says)."""
    items = datamodule.items["train"]
    lines = [evidence_line(item.parameters, evidence) for item in items]
    return (
        [item.description for item in items]
        + [item.rationale for item in items]
        + [phrasing for phrasings in INSTRUCTIONS.values() for phrasing in phrasings]
        + [line for line in lines if line is not None]
    )


def check_continuation(
    metadata: dict, init_dir: Path, motion_tokenizer_dir: Path, motion_hash: str, codebook_size: int
) -> None:
    """Refuse a previous stage trained against another motion tokenizer, codebook or prompt set."""
    problems = []
    if metadata.get("motion_tokenizer_hash") != motion_hash:
        problems.append(
            f"its motion tokenizer hash is {str(metadata.get('motion_tokenizer_hash'))[:12]}, but "
            f"{motion_tokenizer_dir} has {motion_hash[:12]}"
        )
    if metadata.get("codebook_size") != codebook_size:
        problems.append(f"its codebook has {metadata.get('codebook_size')} codes, the motion tokenizer {codebook_size}")
    if metadata.get("prompt_version") != PROMPT_VERSION:
        problems.append(f"its prompts are version {metadata.get('prompt_version')}, this code's {PROMPT_VERSION}")
    if problems:
        raise StageError(
            f"{init_dir} does not fit this run: {'; '.join(problems)}. Retrain it with this code and "
            "motion tokenizer, or point the stage at the matching one"
        )


def _backbone(
    config: DictConfig,
    stage: str,
    module_class: type[SFTModule],
    stage_config: SFTStageConfig,
    llm: LLMConfig,
    motion_tokenizer: MotionTokenizer,
    motion_hash: str,
    datamodule: GaitDataModule,
):
    device = backbone_device(config)
    init_from = module_class.continues(stage_config)
    if init_from is None:
        texts = tokenizer_texts(datamodule, stage_config.evidence)
        model, tokenizer, vocabulary = load_backbone(llm, texts, device, codebook_size=motion_tokenizer.codebook_size)
        return model, tokenizer, vocabulary
    init_dir = Path(init_from)
    if not (init_dir / "metadata.json").is_file():
        raise StageError(
            f"{init_dir}: no finished stage to continue (no metadata.json); train the generative stage "
            f"first or set {stage}.init_from=null"
        )
    try:
        model, tokenizer, vocabulary, metadata = load_stage(init_dir, llm, device, is_trainable=True)
    except ValueError as error:
        raise StageError(str(error)) from None
    check_continuation(
        metadata, init_dir, Path(stage_config.motion_tokenizer), motion_hash, motion_tokenizer.codebook_size
    )
    return model, tokenizer, vocabulary


def fit_llm_stage(config: DictConfig, stage: str) -> dict:
    """Train the generative or reasoning stage into `<run>/<stage>/`; returns its metrics."""
    stage_config: SFTStageConfig = OmegaConf.to_object(config[stage])
    llm: LLMConfig = OmegaConf.to_object(config.llm)
    stage_dir = run_dir(config) / stage
    motion_dir = Path(stage_config.motion_tokenizer)
    if not (motion_dir / "tokenizer.hash").is_file():
        raise StageError(f"{motion_dir}: no motion tokenizer; train it first (stage=tokenizer)")
    motion_tokenizer = MotionTokenizer.from_pretrained(motion_dir)
    motion_hash = MotionTokenizer.hash_of(motion_dir)
    datamodule = GaitDataModule(config.data, config.seed, split_file=run_dir(config) / "splits.json")
    datamodule.prepare_data()
    datamodule.setup()
    module_class = MODULES[stage]
    model, tokenizer, vocabulary = _backbone(
        config, stage, module_class, stage_config, llm, motion_tokenizer, motion_hash, datamodule
    )
    try:
        datamodule.connect(motion_tokenizer, module_class.sft_view(stage_config, llm, tokenizer, vocabulary))
    except ValueError as error:
        raise StageError(str(error)) from None
    module = module_class(model, tokenizer, vocabulary, stage_config, llm, **module_class.stage_options(stage_dir))
    trainer = make_trainer(config, stage_dir, stage_config)
    truncated, examples = datamodule.truncated_prompts("train")
    if trainer.is_global_zero:
        trainer.logger.log_metrics({"train/truncated_prompts": truncated}, step=trainer.global_step)
        if truncated:
            print(
                f"[{stage}] warning: {truncated} of {examples} training prompts are cut to fit "
                f"llm.max_length={llm.max_length}, the end of their motion span first"
            )
    started = time.perf_counter()
    trainer.fit(module, datamodule=datamodule, ckpt_path=resume_checkpoint(config, stage_dir), weights_only=True)
    stop_if_requeued(trainer)
    seconds = time.perf_counter() - started
    metrics: dict = {
        "steps": trainer.global_step,
        "train_seconds": round(seconds, 1),
        "train_truncated_prompts": truncated,
        "train_examples": examples,
    }
    for part in ("val", "test"):
        if part == "val" and module.validated_step == trainer.global_step:
            # Validated at its final step already: the same weights would give the same numbers.
            logged = {k: v for k, v in trainer.callback_metrics.items() if k.startswith("val/")}
        else:
            logged = (trainer.validate if part == "val" else trainer.test)(
                module, datamodule=datamodule, verbose=False
            )[0]
        metrics |= {key.replace("/", "_"): float(value) for key, value in logged.items()}
        metrics |= {f"{part}_{name}": count for name, count in module.generation_counts().items()}
        # Every rank holds the gathered predictions, so every rank fits the same temperature on validation.
        metrics |= {f"{part}_{key}": value for key, value in module.calibrate(fit=part == "val").items()}
        if trainer.is_global_zero:
            module.save_evaluation(stage_dir, part)
    if trainer.is_global_zero:
        save_stage(
            module.model,
            tokenizer,
            stage_dir,
            {
                "stage": stage,
                "motion_tokenizer_hash": motion_hash,
                "motion_tokenizer": str(motion_dir),
                "fps": motion_tokenizer.fps,
                "frames_per_code": motion_tokenizer.frames_per_code,
                "init_from": module_class.continues(stage_config),
                "steps": trainer.global_step,
                "evidence": stage_config.evidence,
                "max_new_tokens": stage_config.max_new_tokens,
                "truncated_prompts": {k: v for k, v in metrics.items() if k.endswith(TRUNCATION_KEYS)},
                **module_class.generation_metadata(stage_config),
                **module.fitted_metadata(),
                "llm": OmegaConf.to_container(config.llm),
            },
        )
        OmegaConf.save(config, stage_dir / "config.yaml", resolve=True)
        write_json(stage_dir / "metrics.json", metrics)
    return metrics
