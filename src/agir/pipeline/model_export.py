"""`agir.export`'s work: a run's reasoning stage merged into its base and written as a plain model folder, with its
tokenizer, motion tokenizer and metadata (the folder layout is in `agir.export`)."""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

import torch

from agir.models.llm import LLMConfig, load_stage, read_stage_metadata
from agir.models.motion_tokenizer import HASH, META, WEIGHTS, MotionTokenizer
from agir.pipeline.inference import stage_llm_config

STAGE = "reasoning"


class ExportError(ValueError):
    """A run that cannot be exported as it is (unfinished, or its motion tokenizer changed since)."""


def unquantized_llm_config(metadata: dict, dtype: str) -> LLMConfig:
    """The stage's backbone config with quantization off and weights in `dtype`."""
    return dataclasses.replace(stage_llm_config(metadata), quantization=None, dtype=dtype)


def export_run(run_dir: str | Path, out_dir: str | Path, dtype: str = "bfloat16") -> Path:
    """Write the export folder of `run_dir`'s reasoning stage into `out_dir` (which must be empty or absent)."""
    run_dir, out_dir = Path(run_dir), Path(out_dir)
    stage_dir = run_dir / STAGE
    if not (stage_dir / "metadata.json").is_file():
        raise ExportError(f"{stage_dir}: no finished {STAGE} stage (no metadata.json); train it first")
    if out_dir.exists() and any(out_dir.iterdir()):
        raise ExportError(f"{out_dir} is not empty; choose a new folder")
    metadata = read_stage_metadata(stage_dir)
    motion_dir = Path(metadata["motion_tokenizer"])
    if MotionTokenizer.hash_of(motion_dir) != metadata["motion_tokenizer_hash"]:
        raise ExportError(f"{motion_dir} is not the motion tokenizer {stage_dir} was trained with (hash mismatch)")

    model, tokenizer, _, _ = load_stage(stage_dir, unquantized_llm_config(metadata, dtype))
    # Weights a QLoRA stage kept in float32 (norms, embeddings, the token rows) come out in `dtype` too.
    merged = model.merge_and_unload().to(getattr(torch, dtype))
    merged.save_pretrained(out_dir / "model")
    tokenizer.save_pretrained(out_dir / "tokenizer")
    (out_dir / "motion_tokenizer").mkdir()
    for name in (WEIGHTS, META, HASH):
        shutil.copy2(motion_dir / name, out_dir / "motion_tokenizer" / name)
    (out_dir / "agir.json").write_text(
        json.dumps({**metadata, "merged": True, "exported_from": str(run_dir)}, indent=2) + "\n"
    )
    return out_dir
