"""How the motion tokenizer's temporal downsampling and the motion frame rate trade reconstruction for prompt length.

Variants, each a motion tokenizer trained with `configs/tokenizer.yaml` on the same reduced synthetic cohort:
x4 at 30 fps (today: down_t=2), x8 at 30 fps (down_t=3) and x4 at 15 fps (data.fps=15, 8 frames of 30 fps a code).
For each: time per training step; MPJPE on held-out test walks, whole walks encoded and decoded, the decoded walk
brought back to 30 fps (cubic spline) and compared with the 30 fps walk with pelvis and facing aligned in every
frame (the pose error, free of the heading drift that integrating a whole walk's root rotation accumulates), in mm,
beside the stage's own windowed, root-aligned test MPJPE at its frame rate; the motion span of a prompt in tokens
(codes + 2 boundaries), mean and max over every walk of the cohort; and, with the tiny backbone's tokenizer, the
longest text part of a reasoning prompt (every phrasing, with and without measured parameters).

    python benchmarks/downsampling.py [--subjects 60] [--steps 300] [--out checkpoints/downsampling]
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402
from omegaconf import OmegaConf  # noqa: E402

from agir.config import load_config  # noqa: E402
from agir.data.corpus import load_item_motion, read_manifest  # noqa: E402
from agir.data.splits import SubjectSplit  # noqa: E402
from agir.models.llm import load_backbone  # noqa: E402
from agir.models.motion_tokenizer import MotionTokenizer  # noqa: E402
from agir.motion.features import FEATURE_DIM, features_to_joints, joints_to_features  # noqa: E402
from agir.motion.io import resample  # noqa: E402
from agir.motion.skeleton import LEFT_HIP, PELVIS, RIGHT_HIP  # noqa: E402
from agir.pipeline.training import fit  # noqa: E402
from agir.tasks.tokenizer import MotionTokenizerModule, mpjpe_mm  # noqa: E402
from agir.text.prompts import INSTRUCTIONS, build_prompt, encode_prompt  # noqa: E402
from agir.text.rationale import measurements  # noqa: E402

VARIANTS = {"x4, 30 fps": (2, 30.0), "x8, 30 fps": (3, 30.0), "x4, 15 fps": (2, 15.0)}


def train_variant(out: Path, name: str, down_t: int, fps: float, subjects: int, steps: int) -> Path:
    """Train one variant's tokenizer (its own corpus folder per frame rate); returns its run folder."""
    run = out / name.replace(", ", "_").replace(" ", "")
    overrides = [
        f"run.out_dir={run}",
        f"data.corpus_dir={out}/corpus_{fps:g}fps",
        f"data.fps={fps}",
        f"data.synthetic.n_subjects={subjects}",
        "data.synthetic.missing_share=0.1",
        f"tokenizer.model.down_t={down_t}",
        f"tokenizer.max_steps={steps}",
        f"tokenizer.val_check_interval={steps}",
        "trainer.enable_progress_bar=false",
    ]
    if not (run / "tokenizer" / "metrics.json").is_file():
        config = load_config("configs/tokenizer.yaml", overrides)
        fit(config, ["configs/tokenizer.yaml"], overrides)
    return run


def step_ms(down_ts: list[int], rounds: int = 3, steps: int = 10) -> dict[int, float]:
    """Milliseconds of one training step (forward, backward, AdamW) of the configs/tokenizer.yaml VQ-VAE at each
    `down_t`, on random batches of the config's shape; the variants take turns, best round each, so load that
    others put on a shared machine weighs on all alike."""
    config = load_config("configs/tokenizer.yaml")
    modules = {}
    for down_t in down_ts:
        stage = OmegaConf.to_object(config.tokenizer)
        stage.model.down_t = down_t
        modules[down_t] = MotionTokenizerModule(stage)
    batch = torch.randn(config.data.batch_size, config.data.window, FEATURE_DIM)
    best = dict.fromkeys(down_ts, float("inf"))
    for _ in range(rounds):
        for down_t, module in modules.items():
            optimizer = torch.optim.AdamW(module.parameters(), lr=1e-4)
            started = time.perf_counter()
            for _ in range(steps):
                module._losses(batch)[0]["loss"].backward()
                optimizer.step()
                optimizer.zero_grad()
            best[down_t] = min(best[down_t], 1e3 * (time.perf_counter() - started) / steps)
    return best


def facing_aligned(joints: np.ndarray) -> np.ndarray:
    """(frames, 22, 3) joints with the pelvis at the origin and the hips across x in every frame (y up)."""
    joints = joints - joints[:, PELVIS : PELVIS + 1]
    across = joints[:, LEFT_HIP] - joints[:, RIGHT_HIP]
    yaw = np.arctan2(across[:, 2], across[:, 0])
    cos, sin = np.cos(yaw)[:, None], np.sin(yaw)[:, None]
    x, z = joints[..., 0], joints[..., 2]
    return np.stack([cos * x + sin * z, joints[..., 1], -sin * x + cos * z], axis=-1)


def walk_mpjpe_at_30fps(tokenizer: MotionTokenizer, corpus: Path, items: list) -> float:
    """MPJPE (mm) of whole held-out walks, decoded and brought back to 30 fps, against the 30 fps walk, pelvis and
    facing aligned per frame."""
    errors = []
    for item in items:
        truth = load_item_motion(corpus, item, target_fps=30.0).joints
        target = features_to_joints(joints_to_features(truth, 30.0))  # the same normalization decode applies
        joints = truth if tokenizer.fps == 30.0 else resample(truth, 30.0, tokenizer.fps)
        decoded = tokenizer.decode(tokenizer.encode(joints), length=len(joints))
        if tokenizer.fps != 30.0:
            decoded = resample(decoded, tokenizer.fps, 30.0)
        frames = min(len(decoded), len(target))
        aligned = facing_aligned(decoded[:frames]), facing_aligned(target[:frames])
        errors.append(float(mpjpe_mm(aligned[0][None], aligned[1][None])[0]))
    return float(np.mean(errors))


def span_lengths(tokenizer: MotionTokenizer, corpus: Path, items: list) -> np.ndarray:
    """Motion-span tokens of each walk's prompt: its codes at offset 0 and the two boundary tokens."""
    features = [
        joints_to_features(load_item_motion(corpus, item, target_fps=tokenizer.fps).joints, tokenizer.fps)
        for item in items
    ]
    return np.array([len(codes) + 2 for codes in tokenizer.encode_features(features)])


def longest_text_part(items: list) -> int:
    """Prompt tokens besides the motion span, the most over every reasoning phrasing, with measured parameters and
    without, under the tiny backbone's tokenizer (scratch BPE learnt from the cohort's texts)."""
    llm = load_config(["configs/demo.yaml"]).llm
    texts = [item.rationale for item in items] + [item.description for item in items]
    texts += [phrasing for phrasings in INSTRUCTIONS.values() for phrasing in phrasings]
    _, tokenizer, vocabulary = load_backbone(llm, texts, torch.device("cpu"), codebook_size=512)
    empty_span = vocabulary.as_text([])
    longest = 0
    for phrasing in range(len(INSTRUCTIONS["motion_to_rationale"])):
        rng = _Fixed(phrasing)
        for item in items:
            for grounded in (False, True):
                prompt = build_prompt(
                    "motion_to_rationale",
                    rng,
                    motion=empty_span,
                    measurements=measurements(item.parameters) if grounded else None,
                )
                ids = encode_prompt(tokenizer, prompt, llm.use_chat_template)
                longest = max(longest, len(ids) - 2)
    return longest


class _Fixed:
    """A stand-in for random.Random whose choice is always the phrasing at one index."""

    def __init__(self, index: int):
        self.index = index

    def choice(self, options: list):
        return options[self.index]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--subjects", type=int, default=60)
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--out", type=Path, default=Path("checkpoints/downsampling"))
    args = parser.parse_args()
    rows = {}
    for name, (down_t, fps) in VARIANTS.items():
        started = time.perf_counter()
        run = train_variant(args.out, name, down_t, fps, args.subjects, args.steps)
        metrics = json.loads((run / "tokenizer" / "metrics.json").read_text())
        tokenizer = MotionTokenizer.from_pretrained(run / "tokenizer")
        corpus = args.out / f"corpus_{fps:g}fps"
        items = read_manifest(corpus)
        split = SubjectSplit.load(run / "splits.json")
        test = [item for item in items if item.subject in split.test]
        spans = span_lengths(tokenizer, corpus, items)
        rows[name] = {
            "frames_per_code_at_30fps": int(tokenizer.frames_per_code * 30 / fps),
            "ms_per_step_in_run": round(1e3 * metrics["train_seconds"] / metrics["steps"], 1),
            "stage_test_mpjpe_mm": round(metrics["test_mpjpe_mm"], 1),
            "walk_mpjpe_30fps_mm": round(walk_mpjpe_at_30fps(tokenizer, corpus, test), 1),
            "span_mean": round(float(spans.mean()), 1),
            "span_max": int(spans.max()),
            "test_walks": len(test),
            "walks": len(items),
            "seconds": round(time.perf_counter() - started),
        }
        print(name, rows[name], flush=True)
    timed = step_ms(sorted({down_t for down_t, _ in VARIANTS.values()}))
    for name, (down_t, _) in VARIANTS.items():
        rows[name]["ms_per_step"] = round(timed[down_t], 1)
    text = longest_text_part(read_manifest(args.out / "corpus_30fps"))
    figures = {"subjects": args.subjects, "steps": args.steps, "longest_text_part_tiny": text, "variants": rows}
    (args.out / "downsampling.json").write_text(json.dumps(figures, indent=1) + "\n")
    print(f"longest text part of a reasoning prompt (tiny tokenizer): {text} tokens")
    print(
        "| variant | frames a code (30 fps) | ms a step | test MPJPE, windows | pose MPJPE, walks at 30 fps "
        "| span mean | span max |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for name, row in rows.items():
        print(
            f"| {name} | {row['frames_per_code_at_30fps']} | {row['ms_per_step']} | {row['stage_test_mpjpe_mm']} mm | "
            f"{row['walk_mpjpe_30fps_mm']} mm | {row['span_mean']} | {row['span_max']} |"
        )


if __name__ == "__main__":
    main()
