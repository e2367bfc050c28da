"""Grounding: while a rationale is generated, the numbers it cites are the measured ones, a parameter that was not
measured is said to be so, and (optionally) each grade word is the measured value's grade.

A small model reading motion codes can only estimate a stride length or an arm-swing angle; the measurement
(`agir.motion.gait_parameters`) knows it. So during greedy generation, whenever the model starts a number that the words
before it tie to a measured parameter (`agir.text.claims.pending_claim_keys`, the same reading the faithfulness
check applies), the tokens of that parameter's measured value as texts write it, unit included
(`agir.text.rationale.format_value`), are forced. The model still chooses which findings to report, in what
words, how to grade them, and its score, which it now reasons towards from measured values: a retrieval-style
copy, the numbers a clinician can check against the parameter table.

A number that no label pins to one measured parameter is left to the model (and counted by the faithfulness
check). Where a label names several (`arm swing` before `on the left`, `the turn takes 1.5 s and 3 steps`), the
first not yet cited in the text, in `FORMATS` order, is taken, as the rationales are written. Where the label ties
the number to parameters that were measured as null, the text's own phrasing for it, `not measurable`
(`agir.text.rationale.NOT_MEASURABLE`), is forced instead of any number.

Grounded grades (`grades=True`): whenever the model starts a word that may begin a grade phrase
(`agir.text.grades.FIRST_WORDS`) where the phrase would grade known parameters (`pending_grade_keys`: the numbers or
names since the previous phrase, as the grade check reads them), the text is held to the phrases of the measured
value's grade that begin as the model began (else to any phrase of that grade); where one of those parameters was
not measured, no grade phrase may begin there. Among the phrases allowed, the model picks its own words token by
token: forcing one fixed phrase (`within the typical range` where the model was writing `within reference limits`)
fed it text it had not chosen, and that turned its verdicts (README, "Grounded grades"). A word that only begins like
a grade phrase (`with` of `within`) may end there instead: `with independent walking` grades nothing. Texts put every
grade after what it grades, so every graded finding of theirs is grounded this way.

`No freezing` is a numeric claim without a digit (a count of 0). Where freezing was seen or not measured, a `No` that
can only begin that claim (a sentence's first word, or after `there is`) begins the measured statement instead
(`Freezing of gait is observed (1 freezing episode)`, `Freezing is not measurable`); a word that would complete the
claim elsewhere (`without freezing`) is masked. Only masking the `no` had the model write `There is observed.` and
loop on it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import torch
from transformers import LogitsProcessor

from agir.models.vocab_masks import token_mask
from agir.text.claims import (
    FREEZING_KEY,
    NO_FREEZING_LAST_WORDS,
    NO_FREEZING_LEAD,
    SIDES,
    claims_no_freezing,
    extract_claims,
    no_freezing_lead,
    pending_claim_keys,
    sentence_start,
)
from agir.text.grades import FIRST_WORDS, pending_grade_keys
from agir.text.norms import NORMS, grade
from agir.text.rationale import (
    FORMATS,
    GRADE_PHRASES,
    KEY_GRADE_PHRASES,
    NOT_MEASURABLE,
    format_value,
    freezing_statement,
    measured_values,
)

_NUMBER_START_RE = re.compile(r"\s*[-−]?\d")
# What may follow a grounded value within its last token: nothing, a space or punctuation, never more of a word or
# a number (`s` of `m/s` must not become `steps`), nor a closing bracket (one open before the value is closed as part
# of it).
_CLOSES_VALUE_RE = re.compile(r"$|[\s,;:!?]|\.(?!\d)")
_WORD_RE = re.compile(r"\s*([A-Za-z]+)")
# In a sequence of allowed tokens: any token that ends the word begun (a space or punctuation first), which releases
# the text from the sequences.
WORD_END = -1
# What ends a clause that has said its parameter is not measurable, where the model would go on with a number.
CLAUSE_END = "."
# A `no freezing` claim refused where no statement can replace it, the model's next choices are looked at up to
# this many times.
_FREEZING_RETRIES = 5


def unmeasured(parameters: Mapping, keys) -> list[str]:
    """The keys measured as null (present in `parameters` with no value): a text must not give them a value."""
    return [key for key in keys if key in parameters and parameters[key] is None]


def grounded_text(text: str, number_start: int, parameters: Mapping) -> str | None:
    """What the number begun at `number_start` at the end of `text` should read, from its first digit on: the
    measured value of the parameter it is about, with its unit (and side, where only a side after it tells which
    arm or step it is). None where no label ties it to one measured parameter."""
    measured = measured_values(parameters)
    pending = pending_claim_keys(text, number_start)
    candidates = [key for key in FORMATS if key in pending and key in measured]
    if not candidates:
        written = [key for key in FORMATS if key in pending]
        if not written or len(unmeasured(parameters, written)) != len(written):
            return None
        # Said already: a number after it ends the clause instead.
        return CLAUSE_END if text[:number_start].rstrip().endswith(NOT_MEASURABLE) else NOT_MEASURABLE
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


def grounded_grade(text: str, word: str, parameters: Mapping) -> tuple[str, ...] | None:
    """The phrases a grade phrase begun at the end of `text` with `word` (or its start) may read: those of the
    measured grade of the parameters it would grade that begin with `word`, else all of that grade's; () where one
    of those parameters was not measured (no grade may begin there); None where it would grade none (or `word`
    begins no grade phrase)."""
    word = word.lower()
    if not grounded_word(word):
        return None
    keys = [key for key in pending_grade_keys(text) if key in NORMS]
    if not keys:
        return None
    if unmeasured(parameters, keys):
        return ()
    values = measured_values(parameters)
    if keys[0] not in values:
        return None
    measured_grade = grade(keys[0], values[keys[0]])
    phrases = GRADE_PHRASES[measured_grade] + KEY_GRADE_PHRASES.get((keys[0], measured_grade), ())
    return tuple(phrase for phrase in phrases if phrase.startswith(word)) or phrases


def _may_start_grade(text: str) -> bool:
    """Whether a token's text is the start of a word that may begin a grade phrase (` mark`, `typical`)."""
    word = _WORD_RE.match(text)
    return bool(word) and word.start(1) == len(text) - len(text.lstrip()) and grounded_word(word.group(1))


def _may_claim_no_freezing(token_text: str) -> bool:
    """Whether a token's first word may be (the start of) the first or last word of a `no freezing` claim."""
    word = _WORD_RE.match(token_text)
    words = (NO_FREEZING_LEAD, *NO_FREEZING_LAST_WORDS)
    return bool(word) and any(last.startswith(word.group(1).lower()) for last in words)


def _bracket_open(text: str) -> bool:
    """Whether the last line of `text` has opened a bracket it has not closed."""
    line = text[text.rfind("\n") + 1 :]
    return line.count("(") > line.count(")")


def grounded_word(word: str) -> bool:
    word = word.lower()
    return any(first.startswith(word) for first in FIRST_WORDS)


class Grounding(LogitsProcessor):
    """Holds greedy generation to the measured values (`numbers`) and their grades (`grades`), one row of the batch
    per parameters mapping.

    Each step, a row whose greedy next token starts a number is looked at (`grounded_text`), and with `grades` one
    whose greedy token starts a word that may begin a grade phrase (`grounded_grade`); the token sequences that may
    be written there (one for a number, one per allowed phrase for a grade) are kept, and each step only their next
    tokens are allowed, the model choosing among them, until one is written out. Written inside an open bracket, a
    value or grade closes it, as every bracket of AGIR's texts closes right after the one value or grade it holds
    (`(3.8%) is elevated`; left open, a small model went on `(3.8%, increased.` and its verdict was withheld as an
    output that lost its thread). The last token of a sequence may be any token that begins with its text and goes
    on with punctuation or a space, never a closing bracket (`%).` for `%)`): the model keeps the merges it learned,
    so a comma or full stop it writes together with the unit is not lost; and no bracket is closed that its line
    did not open. A grade that may not begin there (a
    parameter it would grade was not measured) has every grade-starting token masked for that step.
    `prompt_length` is the padded prompt width, where the generated tokens begin."""

    def __init__(
        self,
        tokenizer,
        parameters: Sequence[Mapping],
        prompt_length: int,
        numbers: bool = True,
        grades: bool = False,
    ):
        self.tokenizer, self.parameters, self.prompt_length = tokenizer, list(parameters), prompt_length
        self.numbers, self.grades = numbers, grades
        self.starts_number = token_mask(tokenizer, "number start", _NUMBER_START_RE.match)
        self.starts_grade = token_mask(tokenizer, "grade start", _may_start_grade)
        self.ends_word = token_mask(tokenizer, "ends a word", lambda text: not text[:1].isalnum())
        self.may_claim_no_freezing = token_mask(tokenizer, "may claim no freezing", _may_claim_no_freezing)
        self.closes_bracket = token_mask(tokenizer, "closes a bracket", lambda text: ")" in text)
        # Per row: the token sequences still allowed, each without the tokens already written ([] while free).
        self.pending: list[list[list[int]]] = [[] for _ in self.parameters]

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        for row, sequences in enumerate(self.pending):
            if sequences:
                self.pending[row] = self._advance(row, int(input_ids[row, -1]))
        greedy = scores.argmax(dim=-1).cpu()
        idle = torch.tensor([not sequences for sequences in self.pending])
        if self.numbers:
            for row in torch.nonzero(idle & self.may_claim_no_freezing[greedy], as_tuple=True)[0].tolist():
                greedy[row] = self._ground_freezing(row, input_ids[row, self.prompt_length :], scores)
            idle = torch.tensor([not sequences for sequences in self.pending])
        if self.numbers or self.grades:
            for row in torch.nonzero(idle & self.closes_bracket[greedy], as_tuple=True)[0].tolist():
                greedy[row] = self._refuse_unopened_bracket(row, input_ids[row, self.prompt_length :], scores)
        watched = (self.starts_number if self.numbers else torch.zeros_like(self.starts_number)) | (
            self.starts_grade if self.grades else torch.zeros_like(self.starts_grade)
        )
        for row in torch.nonzero(idle & watched[greedy], as_tuple=True)[0].tolist():
            token = int(greedy[row])
            generated = input_ids[row, self.prompt_length :]
            if self.numbers and self.starts_number[token]:
                self.pending[row] = self._allowed_sequences(row, generated, token, self._number_text)
                continue
            self.pending[row] = self._allowed_sequences(row, generated, token, self._grade_text)
            if self.pending[row] is None:  # no grade may begin here: the model's next choice, grounded
                scores[row] = scores[row].masked_fill(self.starts_grade.to(scores.device), float("-inf"))
                token = int(scores[row].argmax())
                grounds = self.numbers and self.starts_number[token]
                self.pending[row] = self._allowed_sequences(row, generated, token, self._number_text) if grounds else []
        for row, sequences in enumerate(self.pending):
            if sequences:
                allowed = self._next_tokens(row).to(scores.device)
                scores[row] = scores[row].masked_fill(~allowed, float("-inf"))
        return scores

    def _ground_freezing(self, row: int, generated: torch.Tensor, scores: torch.FloatTensor) -> int:
        """The row's next token where it would begin or complete a `no freezing` claim that the measurement does
        not bear out: a `No` that can only begin one starts the measured statement instead (`Freezing of gait is
        observed (1 freezing episode)`, `freezing is not measurable`), held as a sequence to write; a word that
        would complete one elsewhere (`without freezing`) is masked, the model taking its next choice."""
        parameters = self.parameters[row]
        if parameters.get(FREEZING_KEY) == 0:
            return int(scores[row].argmax())
        text = self.tokenizer.decode(generated, skip_special_tokens=True)
        token_text = self.tokenizer.decode([int(scores[row].argmax())])
        lead = no_freezing_lead(text, token_text)
        statement = freezing_statement(parameters, after_there_is=lead == "there is") if lead else None
        if statement:
            spaces = token_text[: len(token_text) - len(token_text.lstrip())]
            if token_text.lstrip()[:1].isupper():
                statement = statement[0].upper() + statement[1:]
            self.pending[row] = [_continuation_ids(self.tokenizer, text, spaces + statement)]
            return self.pending[row][0][0]
        for _ in range(_FREEZING_RETRIES):
            token = int(scores[row].argmax())
            if not claims_no_freezing(text, self.tokenizer.decode([token])):
                break
            scores[row, token] = float("-inf")
        return int(scores[row].argmax())

    def _refuse_unopened_bracket(self, row: int, generated: torch.Tensor, scores: torch.FloatTensor) -> int:
        """The row's next token where the greedy one would close a bracket its line never opened: AGIR's texts close
        only the bracket they open, and a value or grade written inside one closes it, after which a small model
        went on `(typical),) is slightly impaired` (6 of 256 held-out verdicts withheld). Such tokens are masked; the
        model takes its next choice."""
        if not _bracket_open(self.tokenizer.decode(generated, skip_special_tokens=True)):
            scores[row] = scores[row].masked_fill(self.closes_bracket.to(scores.device), float("-inf"))
        return int(scores[row].argmax())

    def _next_tokens(self, row: int) -> torch.Tensor:
        """The tokens that may come next in `row`: each sequence's next one (its last may carry punctuation)."""
        allowed = torch.zeros(len(self.starts_number), dtype=torch.bool)
        for sequence in self.pending[row]:
            if sequence[0] == WORD_END:
                allowed |= self.ends_word
            elif len(sequence) == 1:
                allowed |= self._ending_with(sequence[0])
            else:
                allowed[sequence[0]] = True
        return allowed

    def _advance(self, row: int, token: int) -> list[list[int]]:
        """What is left to write in `row` once `token` is written: [] when it ended a sequence."""
        left = []
        for sequence in self.pending[row]:
            if sequence[0] == WORD_END:
                if self.ends_word[token]:
                    return []
            elif len(sequence) == 1:
                if self._ending_with(sequence[0])[token]:
                    return []
            elif sequence[0] == token:
                left.append(sequence[1:])
        return left

    @staticmethod
    def _number_text(text: str, start: int, parameters: Mapping) -> tuple[str] | None:
        completion = grounded_text(text, start, parameters)
        return None if completion is None else (completion,)

    @staticmethod
    def _grade_text(text: str, start: int, parameters: Mapping) -> tuple[str, ...] | None:
        """`grounded_text`'s counterpart for a word begun at `start`, the end of `text` being that word's start."""
        before = text[:start]
        if before and before[-1].isalnum():  # inside a word, not the start of one
            return None
        return grounded_grade(before, _WORD_RE.match(text, start).group(1), parameters)

    def _ending_with(self, token: int) -> torch.Tensor:
        """The tokens that write `token`'s text and then, if anything, punctuation or a space, but no closing
        bracket (a bracket open before a value is closed as part of it)."""
        ending = self.tokenizer.decode([token])
        return token_mask(
            self.tokenizer,
            f"ends a grounded value with {ending!r}",
            lambda text: text.startswith(ending) and _CLOSES_VALUE_RE.match(text, len(ending)),
        )

    def _allowed_sequences(self, row: int, generated: torch.Tensor, token: int, ground) -> list[list[int]] | None:
        """The token sequences `ground` (_number_text or _grade_text) allows from `token` on; [] where it says
        nothing, None where it allows nothing (no grade may begin). A phrase that goes on from what `token` writes
        keeps `token`; where `token`'s word is no whole first word of one, that word may also end there."""
        text = self.tokenizer.decode(generated, skip_special_tokens=True)
        token_text = self.tokenizer.decode([token])
        spaces = token_text[: len(token_text) - len(token_text.lstrip())]
        start = len(text) + len(spaces)
        completions = ground(text + token_text, start, self.parameters[row])
        if completions is None:
            return []
        if not completions:
            return None
        closing = ")" if _bracket_open(text) else ""
        sequences = []
        for completion in completions:
            written = closing + completion if completion == CLAUSE_END else spaces + completion + closing
            if len(written) > len(token_text) and written.startswith(token_text):
                rest = _continuation_ids(self.tokenizer, text + token_text, written[len(token_text) :])
                sequences.append([token, *rest])
            else:
                sequences.append(_continuation_ids(self.tokenizer, text, written))
        word = _WORD_RE.match(token_text)
        if word and word.group(1).lower() not in FIRST_WORDS and any(s[0] == token for s in sequences):
            sequences.append([token, WORD_END])
        return sequences


def _continuation_ids(tokenizer, text: str, continuation: str) -> list[int]:
    """The tokens that write `continuation` after `text`, as the tokenizer splits the whole."""
    before = tokenizer.encode(text, add_special_tokens=False)
    whole = tokenizer.encode(text + continuation, add_special_tokens=False)
    if whole[: len(before)] == before:
        return whole[len(before) :]
    return tokenizer.encode(continuation, add_special_tokens=False)
