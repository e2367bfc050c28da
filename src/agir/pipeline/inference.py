"""Assessing motion files with a trained model: a run's reasoning stage, or a model exported by `agir.export`.

`load_assessor(path, device)` reads either a run directory (`<run>/reasoning/` rebuilt as base + adapter, merged
unless the base is quantized, with the motion tokenizer of `<run>/tokenizer/`) or an exported one:

    model/              a plain Hugging Face model directory, merged weights, vocabulary already extended
    tokenizer/          the extended tokenizer
    motion_tokenizer/   the MotionTokenizer directory
    agir.json           the reasoning stage's metadata.json, plus "merged": true

`assess_files` turns each file into one `Assessment` (agir.text.assessment; `python -m agir.assess --format jsonl`
prints its `to_json()`). A
file meets exactly the prompt its corpus item met in the evaluated split: canonical phrasing, codes of the whole
motion at the tokenizer's frame rate, the measured parameters as the stage's evidence mode gives them, the same
generation path as the stage's validation, and the score probabilities scaled by the stage's temperature. A file
that cannot be used yields an assessment with `error` set.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import torch
from omegaconf import OmegaConf
from tqdm import tqdm
from transformers import AutoModelForCausalLM, AutoTokenizer, PreTrainedModel, PreTrainedTokenizerBase

from agir.models.calibration import apply_temperature
from agir.models.generate import GenerationSettings, prompt_cuts, rationales_and_probabilities
from agir.models.llm import (
    LLMConfig,
    load_stage,
    motion_vocabulary_of,
    read_stage_metadata,
    resolve_dtype,
    tokenizer_fingerprint,
)
from agir.models.motion_tokenizer import MotionTokenizer
from agir.motion.features import joints_to_features
from agir.motion.gait_parameters import extract_gait_parameters
from agir.motion.io import Motion, MotionFileError
from agir.motion.load_options import LoadOptions
from agir.text.assessment import (
    DEFAULT_MIN_COVERAGE,
    Abstention,
    Assessment,
    build_assessment,
    failed_assessment,
)
from agir.text.motion_vocab import MotionVocabulary
from agir.text.prompts import stage_evidence, task_prompt

EXPORT_METADATA = "agir.json"
# `--numbers` of agir.assess and agir.evaluate: whether rationales cite the measured values (agir.models.grounding).
NUMBER_MODES = {"grounded": True, "free": False}
NUMBER_MODES_HELP = (
    "grounded: rationales cite the measured values; free: the model writes its own numbers "
    "(default: as the reasoning stage was validated)"
)
# `--grades`: whether grade words are the measured values' grades (agir.models.grounding).
GRADE_MODES = {"grounded": True, "free": False}
GRADE_MODES_HELP = (
    "grounded: grade words are the measured values' grades; free: the model chooses them "
    "(default: as the reasoning stage was validated)"
)
TASK = "motion_to_rationale"


def add_judging_arguments(parser: argparse.ArgumentParser) -> None:
    """The options agir.assess and agir.evaluate share: how rationales are grounded and when a score is withheld."""
    parser.add_argument("--numbers", choices=NUMBER_MODES, help=NUMBER_MODES_HELP)
    parser.add_argument("--grades", choices=GRADE_MODES, help=GRADE_MODES_HELP)
    parser.add_argument(
        "--min-coverage",
        type=float,
        help="withhold the score below this share of the score-relevant parameters measured (0-1; default: the "
        "stage's reasoning.min_coverage)",
    )
    parser.add_argument(
        "--min-confidence",
        type=float,
        help="withhold the score when its calibrated probability is below this (0-1; default: the stage's "
        "reasoning.min_confidence)",
    )


def judging_options(args: argparse.Namespace) -> dict:
    """`add_judging_arguments`' options as keyword arguments of `assess_files` and `evaluate_run` (None: as the
    stage was validated)."""
    return {
        "grounded": NUMBER_MODES.get(args.numbers),
        "grounded_grades": GRADE_MODES.get(args.grades),
        "min_coverage": args.min_coverage,
        "min_confidence": args.min_confidence,
    }


@dataclass
class Assessor:
    model: PreTrainedModel
    tokenizer: PreTrainedTokenizerBase
    vocabulary: MotionVocabulary
    motion_tokenizer: MotionTokenizer
    metadata: dict  # the reasoning stage's metadata.json
    llm: LLMConfig


def validated_grounding(metadata: dict) -> bool:
    """Whether the stage was validated with grounded numbers; one saved before grounding existed was not."""
    return metadata.get("grounded_numbers", False)


def validated_grade_grounding(metadata: dict) -> bool:
    """Whether the stage was validated with grounded grade words; one saved before they existed was not."""
    return metadata.get("grounded_grades", False)


def stage_abstention(
    metadata: dict, min_coverage: float | None = None, min_confidence: float | None = None
) -> Abstention:
    """When the stage withholds a score, with the given thresholds in place of its own: a stage saved before
    abstention existed gets the default evidence threshold, one saved before confidence counted none (as it was
    validated)."""
    return Abstention(
        metadata.get("min_coverage", DEFAULT_MIN_COVERAGE) if min_coverage is None else min_coverage,
        metadata.get("min_confidence", 0.0) if min_confidence is None else min_confidence,
    )


def stage_temperature(metadata: dict) -> float:
    """The temperature of the stage's score probabilities, fitted on its validation split; one saved before
    calibration existed keeps its probabilities as they are (1)."""
    return metadata.get("temperature", 1.0)


def stage_llm_config(metadata: dict) -> LLMConfig:
    """The LLMConfig a stage was trained with, as its metadata records it."""
    return OmegaConf.to_object(OmegaConf.merge(OmegaConf.structured(LLMConfig), metadata["llm"]))


def _motion_tokenizer(directory: Path, metadata: dict, device: torch.device) -> MotionTokenizer:
    found = MotionTokenizer.hash_of(directory) if (directory / "tokenizer.hash").is_file() else None
    if found != metadata["motion_tokenizer_hash"]:
        raise ValueError(
            f"{directory}: not the motion tokenizer the model was trained with (hash "
            f"{str(found)[:12]}, the model's {metadata['motion_tokenizer_hash'][:12]})"
        )
    return MotionTokenizer.from_pretrained(directory, device)


def _load_run(run: Path, device: torch.device) -> Assessor:
    stage_dir = run / "reasoning"
    metadata = read_stage_metadata(stage_dir)
    llm = stage_llm_config(metadata)
    model, tokenizer, vocabulary, metadata = load_stage(stage_dir, llm, device)
    if llm.quantization is None:
        # The same function with no adapter layers left to run: a decoding step about twice as fast on the CPU.
        # A quantized base keeps its adapter, since merging into it would round the update away.
        model = model.merge_and_unload().eval()
    return Assessor(model, tokenizer, vocabulary, _motion_tokenizer(run / "tokenizer", metadata, device), metadata, llm)


def _load_exported(directory: Path, device: torch.device) -> Assessor:
    metadata = json.loads((directory / EXPORT_METADATA).read_text())
    llm = stage_llm_config(metadata)
    tokenizer = AutoTokenizer.from_pretrained(directory / "tokenizer")
    if tokenizer_fingerprint(tokenizer) != metadata["tokenizer_hash"]:
        raise ValueError(f"{directory / 'tokenizer'} does not match the tokenizer hash in {EXPORT_METADATA}")
    vocabulary = motion_vocabulary_of(tokenizer)
    if vocabulary is None:
        raise ValueError(f"{directory / 'tokenizer'}: no motion tokens")
    model = AutoModelForCausalLM.from_pretrained(
        directory / "model", dtype=resolve_dtype(llm.dtype, device), device_map={"": device}
    ).eval()
    return Assessor(
        model, tokenizer, vocabulary, _motion_tokenizer(directory / "motion_tokenizer", metadata, device), metadata, llm
    )


def load_assessor(path: str | Path, device: str | torch.device = "cpu") -> Assessor:
    """The model, tokenizers and metadata of a run (`<run>/reasoning/`) or of an exported model directory."""
    path, device = Path(path), torch.device(device)
    if device.type == "cuda" and device.index is None:
        device = torch.device("cuda", torch.cuda.current_device())
    if (path / EXPORT_METADATA).is_file():
        return _load_exported(path, device)
    if not (path / "reasoning" / "metadata.json").is_file():
        raise FileNotFoundError(
            f"{path}: neither a run with a finished reasoning stage (no reasoning/metadata.json) "
            f"nor an exported model (no {EXPORT_METADATA})"
        )
    return _load_run(path, device)


def load_for_assessment(assessor: Assessor, path: str | Path, options: LoadOptions | None = None) -> Motion:
    """The file as the model reads it: canonical joints at the motion tokenizer's frame rate, read with `options`
    (flags filling what the file does not state: agir.motion.load_options)."""
    return (options or LoadOptions()).load(path, target_fps=assessor.motion_tokenizer.fps)


def measure(assessor: Assessor, path: str, options: LoadOptions | None = None) -> tuple[dict, np.ndarray, list[str]]:
    """The file's measured gait parameters, its motion features and the notes of reading it; MotionFileError or
    ValueError if unusable."""
    motion = load_for_assessment(assessor, path, options)
    parameters = extract_gait_parameters(motion.joints, motion.fps, measured=motion.measured).to_dict()
    return parameters, joints_to_features(motion.joints, assessor.motion_tokenizer.fps), motion.notes


def assessment_prompt(assessor: Assessor, codes: np.ndarray, parameters: dict) -> str:
    """The prompt of a file with these motion `codes` and measured `parameters` (with their `reasons`): the canonical
    phrasing and what the stage's evidence mode gives, as its corpus item's prompt in the evaluated split."""
    motion = assessor.vocabulary.as_text(codes.tolist())
    return task_prompt(TASK, None, {"motion": motion}, parameters, stage_evidence(assessor.metadata))


def _assess_batch(
    assessor: Assessor,
    paths: Sequence[str],
    options: LoadOptions | None,
    settings: GenerationSettings,
    rule: Abstention,
) -> list[Assessment]:
    results: dict[int, Assessment] = {}
    measured: list[tuple[int, dict, np.ndarray, list[str]]] = []
    for index, path in enumerate(paths):
        try:
            measured.append((index, *measure(assessor, path, options)))
        except MotionFileError as error:  # its message starts with the path
            results[index] = failed_assessment(path, str(error))
        except ValueError as error:
            results[index] = failed_assessment(path, f"{path}: {error}")
    # One encoding pass for the batch; each file's codes do not depend on the others (padding per length bucket).
    codes = assessor.motion_tokenizer.encode_features([features for _, _, features, _ in measured])
    ready = [
        (index, assessment_prompt(assessor, file_codes, parameters), parameters, notes)
        for (index, parameters, _, notes), file_codes in zip(measured, codes, strict=True)
    ]
    if ready:
        prompts = [prompt for _, prompt, _, _ in ready]
        rationales, probabilities, redecoded = rationales_and_probabilities(
            assessor.model,
            assessor.tokenizer,
            prompts,
            settings=replace(settings, batch_size=len(ready)),
            parameters=[parameters for _, _, parameters, _ in ready],
        )
        probabilities = apply_temperature(probabilities, stage_temperature(assessor.metadata))
        cuts = prompt_cuts(assessor.tokenizer, prompts, settings)
        for (index, _, parameters, notes), rationale, row, cut, again in zip(
            ready, rationales, probabilities, cuts, redecoded, strict=True
        ):
            results[index] = build_assessment(paths[index], rationale, row, parameters, rule, notes, cut, again)
    return [results[index] for index in range(len(paths))]


def assess_files(
    assessor: Assessor,
    paths: Sequence[str | Path],
    batch_size: int = 32,
    progress: bool = False,
    options: LoadOptions | None = None,
    grounded: bool | None = None,
    min_coverage: float | None = None,
    grounded_grades: bool | None = None,
    min_confidence: float | None = None,
) -> list[Assessment]:
    """One assessment per file, in order (agir.text.assessment.Assessment; a file that could not be used has its
    `error` set, and `notes` say what reading each file did: gaps filled, marker set or up axis chosen, ...).
    `options` are the reading flags (a bare .npy has no frame rate: agir.motion.load_options). `grounded` says
    whether the rationales cite the measured values (agir.models.grounding); None keeps what the stage was validated
    with; `grounded_grades` the same for grade words. Below `min_coverage` of the score-relevant parameters measured,
    or with the calibrated probability of its score below `min_confidence`, there is no score (None: the stage's own
    setting)."""
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}")
    if grounded is None:
        grounded = validated_grounding(assessor.metadata)
    if grounded_grades is None:
        grounded_grades = validated_grade_grounding(assessor.metadata)
    rule = stage_abstention(assessor.metadata, min_coverage, min_confidence)
    settings = GenerationSettings(
        max_new_tokens=assessor.metadata["max_new_tokens"],
        max_length=assessor.llm.max_length,
        use_chat_template=assessor.llm.use_chat_template,
        batch_size=batch_size,
        grounded_numbers=grounded,
        grounded_grades=grounded_grades,
    )
    paths = [str(path) for path in paths]
    assessments: list[Assessment] = []
    with tqdm(total=len(paths), unit="file", file=sys.stderr, disable=not progress) as bar:
        for start in range(0, len(paths), batch_size):
            batch = paths[start : start + batch_size]
            assessments += _assess_batch(assessor, batch, options, settings, rule)
            bar.update(len(batch))
    return assessments
