"""The motion vocabulary: VQ-VAE codes as contiguous `<motion_i>` tokens followed by two boundary tokens.

Pure Python on purpose: prompt formatting and data views use it without importing torch or transformers.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

MOTION_START = "<motion_start>"
MOTION_END = "<motion_end>"


def motion_token(code: int) -> str:
    return f"<motion_{code}>"


@dataclass(frozen=True)
class MotionVocabulary:
    """Code i is token id `first_id + i`; `<motion_start>` and `<motion_end>` follow the last code."""

    codebook_size: int
    first_id: int
    start_id: int
    end_id: int

    def __post_init__(self) -> None:
        if self.codebook_size < 1 or self.first_id < 0:
            raise ValueError(f"MotionVocabulary needs codebook_size >= 1 and first_id >= 0, got {self}")
        if (self.start_id, self.end_id) != (self.first_id + self.codebook_size, self.first_id + self.codebook_size + 1):
            raise ValueError(f"MotionVocabulary ids must be contiguous: codes, then start, then end; got {self}")

    @property
    def token_ids(self) -> list[int]:
        """Every id this vocabulary added to the tokenizer: the codes and both boundaries."""
        return list(range(self.first_id, self.end_id + 1))

    def code_to_token(self, code: int) -> int:
        return self.first_id + self._checked(code)

    def as_ids(self, codes: Iterable[int]) -> list[int]:
        """`<motion_start>`, one token per code, `<motion_end>`."""
        return [self.start_id, *(self.code_to_token(code) for code in codes), self.end_id]

    def as_text(self, codes: Iterable[int]) -> str:
        """The same span as text, e.g. `<motion_start><motion_3><motion_7><motion_end>`."""
        return MOTION_START + "".join(motion_token(self._checked(code)) for code in codes) + MOTION_END

    def tokens_to_codes(self, ids: Iterable[int]) -> list[int]:
        """The codes of the motion-code tokens among `ids`, in order; boundaries and text tokens are skipped."""
        return [int(i) - self.first_id for i in ids if self.first_id <= int(i) < self.start_id]

    def _checked(self, code: int) -> int:
        code = int(code)
        if not 0 <= code < self.codebook_size:
            raise ValueError(f"motion code {code} is outside the codebook [0, {self.codebook_size})")
        return code
