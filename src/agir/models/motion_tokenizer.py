"""MotionTokenizer: the trained VQ-VAE as later stages and inference use it (joints in, codes out, and back).

A tokenizer directory holds `model.safetensors` (VQ-VAE weights and EMA buffers), `tokenizer.json` (model config,
feature fps and normalization statistics) and `tokenizer.hash`, the fingerprint that LLM stages record so a motion
vocabulary is never paired with another codebook.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import load_file, save_file

from agir.models.vqvae import MotionVQVAE
from agir.models.vqvae_config import VQVAEConfig
from agir.motion.features import features_to_joints, joints_to_features

WEIGHTS = "model.safetensors"
META = "tokenizer.json"
HASH = "tokenizer.hash"
# Sequences are encoded padded to a multiple of this many frames (a multiple of every frames_per_code in use).
LENGTH_BUCKET = 128


class MotionTokenizer:
    def __init__(self, model: MotionVQVAE, mean: np.ndarray, std: np.ndarray, fps: float):
        self.model = model.eval()
        self.mean = np.asarray(mean, dtype=np.float32)
        self.std = np.asarray(std, dtype=np.float32)
        self.fps = fps

    @property
    def codebook_size(self) -> int:
        return self.model.config.codebook_size

    @property
    def frames_per_code(self) -> int:
        return 2**self.model.config.down_t

    @property
    def device(self) -> torch.device:
        return next(self.model.parameters()).device

    def to(self, device: str | torch.device) -> MotionTokenizer:
        self.model.to(device)
        return self

    @torch.no_grad()
    def encode_features(self, features: list[np.ndarray], batch_size: int = 64) -> list[np.ndarray]:
        """Codes of each (frames, FEATURE_DIM) sequence, ceil(frames / frames_per_code) of them.

        Each sequence is padded at the end, by repeating its last frame, to a multiple of LENGTH_BUCKET frames and
        its codes cut back: the result does not depend on what else is encoded with it (up to floating-point ties
        between two codes: on the demo corpus 1 code in 474k differed between encoding each walk alone and all of
        them together), and a handful of convolution shapes serves every length (a CPU builds its convolution
        kernels anew for each new shape, which made encoding a corpus of varied lengths 30x slower)."""
        codes: list[np.ndarray | None] = [None] * len(features)
        by_bucket: dict[int, list[int]] = {}
        for i, sequence in enumerate(features):
            by_bucket.setdefault(-(-len(sequence) // LENGTH_BUCKET) * LENGTH_BUCKET, []).append(i)
        for frames, indices in by_bucket.items():
            for start in range(0, len(indices), batch_size):
                chunk = indices[start : start + batch_size]
                batch = np.stack(
                    [
                        np.concatenate([features[i], np.repeat(features[i][-1:], frames - len(features[i]), axis=0)])
                        for i in chunk
                    ]
                )
                batch = ((batch - self.mean) / self.std).astype(np.float32)
                out = self.model.encode(torch.from_numpy(batch).to(self.device)).cpu().numpy()
                for row, i in enumerate(chunk):
                    codes[i] = out[row, : -(-len(features[i]) // self.frames_per_code)]
        return codes

    def encode(self, joints: np.ndarray) -> np.ndarray:
        """(frames, 22, 3) canonical joints at the tokenizer's fps -> (ceil(frames / 4),) int64 codes."""
        return self.encode_features([joints_to_features(joints, self.fps)])[0]

    @torch.no_grad()
    def decode(self, codes: np.ndarray | list[int], length: int | None = None) -> np.ndarray:
        """Codes -> (frames, 22, 3) joints, root-normalized (start at the origin facing +z, floor at y=0)."""
        codes = torch.as_tensor(np.asarray(codes, dtype=np.int64), device=self.device)[None]
        features = self.model.decode(codes, length=length)[0].cpu().numpy()
        return features_to_joints(features * self.std + self.mean)

    def save(self, directory: str | Path) -> str:
        """Write the tokenizer directory; returns its hash."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        state = {k: v.detach().cpu().contiguous() for k, v in self.model.state_dict().items()}
        save_file(state, directory / WEIGHTS)
        meta = {
            "model": dataclasses.asdict(self.model.config),
            "fps": self.fps,
            "mean": self.mean.tolist(),
            "std": self.std.tolist(),
        }
        (directory / META).write_text(json.dumps(meta) + "\n")
        digest = hashlib.sha256((directory / WEIGHTS).read_bytes() + (directory / META).read_bytes()).hexdigest()
        (directory / HASH).write_text(digest + "\n")
        return digest

    @classmethod
    def from_pretrained(cls, directory: str | Path, device: str | torch.device = "cpu") -> MotionTokenizer:
        directory = Path(directory)
        for name in (WEIGHTS, META):
            if not (directory / name).is_file():
                raise FileNotFoundError(f"{directory}: not a motion tokenizer directory (no {name})")
        meta = json.loads((directory / META).read_text())
        model = MotionVQVAE(VQVAEConfig(**meta["model"]))
        model.load_state_dict(load_file(directory / WEIGHTS, device="cpu"))
        return cls(model, np.array(meta["mean"]), np.array(meta["std"]), meta["fps"]).to(device)

    @staticmethod
    def hash_of(directory: str | Path) -> str:
        return (Path(directory) / HASH).read_text().strip()
