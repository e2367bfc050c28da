"""Score probabilities read while a rationale is generated: the model's next-token distribution right after it
writes its last `Score:`, over the four score tokens.

That is P(score | prompt, the model's own reasoning) with the reasoning exactly as the model tokenized it, and it
costs no pass of its own. `agir.models.generate.score_probabilities` (a teacher-forced pass over the body completed
with `Score:`) answers where it cannot be read here: no `Score:` written, or the answer cut right after it.
"""

from __future__ import annotations

import weakref

import torch
from transformers import LogitsProcessor

from agir.models.vocab_masks import token_mask
from agir.text.score import SCORE_PREFIX, SCORES, with_score

_SCORE_IDS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def score_token_ids(tokenizer) -> list[int] | None:
    """The token that writes each score 0-3 after `Score:` as the training targets end, where every score is one
    token after a shared prefix; None otherwise (then scores cannot be read off one next-token distribution)."""
    if tokenizer not in _SCORE_IDS:
        prefix = tokenizer.encode(f"x\n{SCORE_PREFIX}", add_special_tokens=False)
        ids: list[int] | None = []
        for score in SCORES:
            whole = tokenizer.encode(with_score("x", score), add_special_tokens=False)
            if len(whole) != len(prefix) + 1 or whole[:-1] != prefix:
                ids = None
                break
            ids.append(whole[-1])
        _SCORE_IDS[tokenizer] = ids if ids is not None and len(set(ids)) == len(SCORES) else None
    return _SCORE_IDS[tokenizer]


class ScoreReader(LogitsProcessor):
    """Keeps, per row, the log-probabilities of the score tokens (renormalized over them) at the latest step that
    followed a written `Score:`, and the length of the decoded text there (`read_at`), so a caller can tell that
    it was the last `Score:` of the answer. Changes no scores; it goes first, so it sees the model's own logits."""

    def __init__(self, tokenizer, rows: int, prompt_length: int, score_ids: list[int]):
        self.tokenizer, self.prompt_length, self.score_ids = tokenizer, prompt_length, score_ids
        self.ends_with_colon = token_mask(tokenizer, "ends with colon", lambda text: text.endswith(":"))
        self.log_probabilities: list[torch.Tensor | None] = [None] * rows
        self.read_at: list[int | None] = [None] * rows

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        if input_ids.shape[1] <= self.prompt_length:
            return scores
        for row in torch.nonzero(self.ends_with_colon[input_ids[:, -1].cpu()], as_tuple=True)[0].tolist():
            text = self.tokenizer.decode(input_ids[row, self.prompt_length :], skip_special_tokens=True)
            if text.endswith(SCORE_PREFIX):
                picked = scores[row, self.score_ids].float()
                self.log_probabilities[row] = torch.log_softmax(picked, dim=-1).double().cpu()
                self.read_at[row] = len(text)
        return scores
