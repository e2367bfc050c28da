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
import sys

from agir.models.llm_config import DTYPE_NAMES
from agir.pipeline.model_export import STAGE, export_run


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
