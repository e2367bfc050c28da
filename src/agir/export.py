"""`python -m agir.export --run checkpoints/<run> --out DIR [--dtype bfloat16]`: a trained run as a plain model.

The reasoning stage's LoRA and its motion-token rows are merged into the base, which is rebuilt unquantized in
`--dtype`: a QLoRA stage merges into the 16-bit base, never into 4-bit weights that would round the update away.
DIR holds

    model/             `save_pretrained` of the merged model, vocabulary extended: AutoModelForCausalLM loads it
    tokenizer/         the extended tokenizer
    motion_tokenizer/  the run's MotionTokenizer (model.safetensors, tokenizer.json, tokenizer.hash)
    agir.json          the stage's metadata.json, plus "merged": true and "exported_from": the run folder

which is all `agir.assess` needs, with neither peft nor the training config.

dtype: bfloat16 by default (half the size, and CPU matmuls support it, unlike many float16 kernels); float32 keeps
the merged weights exact.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import shutil
import sys
from pathlib import Path

import torch
from omegaconf import OmegaConf

from agir.models.llm import LLMConfig, load_stage, read_stage_metadata
from agir.models.llm_config import DTYPE_NAMES
from agir.models.motion_tokenizer import HASH, META, WEIGHTS, MotionTokenizer

STAGE = "reasoning"


class ExportError(ValueError):
    """A run that cannot be exported as it is (unfinished, or its motion tokenizer changed since)."""


def stage_llm_config(metadata: dict) -> LLMConfig:
    """The backbone config a stage was trained with, from its metadata."""
    return OmegaConf.to_object(OmegaConf.merge(OmegaConf.structured(LLMConfig), metadata["llm"]))


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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m agir.export", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--run", required=True, help="a run folder, e.g. checkpoints/demo")
    parser.add_argument("--out", required=True, help="the export folder to write (new or empty)")
    parser.add_argument("--dtype", default="bfloat16", choices=DTYPE_NAMES, help="weights of the merged model")
    args = parser.parse_args(argv)
    try:
        out = export_run(args.run, args.out, args.dtype)
    except (ValueError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"exported {args.run} ({STAGE} stage, merged, {args.dtype}) to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
