"""Grounded numbers: while a rationale is generated, the numbers it cites are the measured ones.

A small model reading motion codes can only estimate a stride length or an arm-swing angle; the measurement
(`agir.motion.gait_parameters`) knows it. So during greedy generation, whenever the model starts a number that the words
before it tie to a measured parameter (`agir.text.claims.pending_claim_keys`, the same reading the faithfulness
check applies), the tokens of that parameter's measured value as texts write it, unit included
(`agir.text.rationale.format_value`), are forced. The model still chooses which findings to report, in what
words, how to grade them, and its score, which it now reasons towards from measured values: a retrieval-style
copy, the numbers a clinician can check against the parameter table.

A number that no label pins to one measured parameter is left to the model (and counted by the faithfulness
check). Where a label names several (`arm swing` before `on the left`, `the turn takes 1.5 s and 3 steps`), the
first not yet cited in the text, in `FORMATS` order, is taken, as the rationales are written.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import torch
from transformers import LogitsProcessor

from agir.models.vocab_masks import token_mask
from agir.text.claims import SIDES, extract_claims, pending_claim_keys, sentence_start
from agir.text.rationale import FORMATS, format_value, measured_values

_NUMBER_START_RE = re.compile(r"\s*[-−]?\d")
# What may follow a grounded value within its last token: nothing, a space or punctuation, never more of a word or
# a number (`s` of `m/s` must not become `steps`).
_CLOSES_VALUE_RE = re.compile(r"$|[\s)\],;:!?]|\.(?!\d)")


def grounded_text(text: str, number_start: int, parameters: Mapping) -> str | None:
    """What the number begun at `number_start` at the end of `text` should read, from its first digit on: the
    measured value of the parameter it is about, with its unit (and side, where only a side after it tells which
    arm or step it is). None where no label ties it to one measured parameter."""
    measured = measured_values(parameters)
    pending = pending_claim_keys(text, number_start)
    candidates = [key for key in FORMATS if key in pending and key in measured]
    if not candidates:
        return None
    if len(candidates) > 1:
        cited = {claim.key for claim in extract_claims(text[:number_start])}
        candidates = [key for key in candidates if key not in cited] or candidates
    key = candidates[0]
    written = format_value(key, measured[key])
    start = sentence_start(text, number_start)
    for completion in (written, f"{written} on the {SIDES.get(key)}"):
        claims = extract_claims(text[start:number_start] + completion)
        if claims and claims[-1].key == key and claims[-1].span[0] == number_start - start:
            return completion
    return None


class GroundedNumbers(LogitsProcessor):
    """Forces the measured values into greedy generation, one row of the batch per parameters mapping.

    Each step, a row whose greedy next token starts a number is looked at (`grounded_text`); if it is to be
    grounded, the tokens that write the measured value there are queued and forced one per step. The last one may
    be any token that begins with its text and goes on with punctuation (`%),` for `%`): the model keeps the merges
    it learned, so a closing bracket or comma it writes together with the unit is not lost. `prompt_length` is the
    padded prompt width, where the generated tokens begin."""

    def __init__(self, tokenizer, parameters: Sequence[Mapping], prompt_length: int):
        self.tokenizer, self.parameters, self.prompt_length = tokenizer, list(parameters), prompt_length
        self.starts_number = token_mask(tokenizer, "number start", _NUMBER_START_RE.match)
        self.queued: list[list[int]] = [[] for _ in self.parameters]

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        greedy = scores.argmax(dim=-1).cpu()
        idle = torch.tensor([not queue for queue in self.queued])
        for row in torch.nonzero(idle & self.starts_number[greedy], as_tuple=True)[0].tolist():
            self.queued[row] = self._forced_tokens(row, input_ids[row, self.prompt_length :], int(greedy[row]))
        for row, queue in enumerate(self.queued):
            if not queue:
                continue
            token = queue.pop(0)
            if queue:
                scores[row] = float("-inf")
                scores[row, token] = 0.0
            else:
                scores[row] = scores[row].masked_fill(~self._ending_with(token).to(scores.device), float("-inf"))
        return scores

    def _ending_with(self, token: int) -> torch.Tensor:
        """The tokens that write `token`'s text and then, if anything, punctuation or a space."""
        ending = self.tokenizer.decode([token])
        return token_mask(
            self.tokenizer,
            f"ends a grounded value with {ending!r}",
            lambda text: text.startswith(ending) and _CLOSES_VALUE_RE.match(text, len(ending)),
        )

    def _forced_tokens(self, row: int, generated: torch.Tensor, token: int) -> list[int]:
        text = self.tokenizer.decode(generated, skip_special_tokens=True)
        token_text = self.tokenizer.decode([token])
        spaces = token_text[: len(token_text) - len(token_text.lstrip())]
        number_start = len(text) + len(spaces)
        completion = grounded_text(text + token_text, number_start, self.parameters[row])
        if completion is None:
            return []
        return _continuation_ids(self.tokenizer, text, spaces + completion)


def _continuation_ids(tokenizer, text: str, continuation: str) -> list[int]:
    """The tokens that write `continuation` after `text`, as the tokenizer splits the whole."""
    before = tokenizer.encode(text, add_special_tokens=False)
    whole = tokenizer.encode(text + continuation, add_special_tokens=False)
    if whole[: len(before)] == before:
        return whole[len(before) :]
    return tokenizer.encode(continuation, add_special_tokens=False)
