"""Random-number-generator state carried in Lightning checkpoints, so a resumed run draws what an uninterrupted one
would have drawn (codebook resets, dropout). Lightning itself does not save it."""

from __future__ import annotations

import torch
from lightning.pytorch.callbacks import Callback


class RNGStateCheckpoint(Callback):
    def state_dict(self) -> dict[str, object]:
        state: dict[str, object] = {"torch": torch.get_rng_state()}
        if torch.cuda.is_available() and torch.cuda.is_initialized():
            state["cuda"] = torch.cuda.get_rng_state_all()
        return state

    def load_state_dict(self, state_dict: dict[str, object]) -> None:
        torch.set_rng_state(state_dict["torch"])
        if "cuda" in state_dict and torch.cuda.is_available():
            torch.cuda.set_rng_state_all(state_dict["cuda"])
