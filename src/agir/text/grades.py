"""Reading a gait text's grade words back: which parameter each grade phrase is about, and whether it is the grade
the measured value has.

Grades are the closed vocabulary of `agir.text.norms` (typical; somewhat, plainly or markedly reduced or increased),
worded as `agir.text.rationale.GRADE_PHRASES` words them. Within one sentence a phrase grades:
- the parameters named right after it (`markedly reduced speed and stride length`, as reasoning names findings);
- else the numeric claims since the previous phrase (`speed (0.80 m/s) and stride length (0.91 m) are reduced`,
  `the turn takes 2.0 s (typical) and 6 steps (increased)`);
- else the parameters named since the previous phrase, without numbers (`speed and stride length (markedly
  reduced)`, `although speed is within the typical range`);
- else the number right after it, with no label or other phrase between them (`speed is reduced at 0.80 m/s`).
A phrase that grades none of these (`the findings are typical`) is not about one parameter and is left out, as is a
negated one (`not reduced`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from agir.text.claims import UNMAPPED, extract_claims, label_at, labels_in, last_label, sentence_start
from agir.text.norms import NORMS, grade
from agir.text.rationale import GRADE_PHRASES, KEY_GRADE_PHRASES, measured_values

FREEZING = "freezing_episodes"
# Phrase (lower case) -> (its grade, the only parameter it may grade or None).
_PHRASES: dict[str, tuple[str, str | None]] = {
    **{phrase: (word, None) for word, phrases in GRADE_PHRASES.items() for phrase in phrases},
    **{phrase: (word, key) for (key, word), phrases in KEY_GRADE_PHRASES.items() for phrase in phrases},
}
_PHRASE_RE = re.compile(
    r"\b(?:" + "|".join(re.escape(p) for p in sorted(_PHRASES, key=len, reverse=True)) + r")\b", re.IGNORECASE
)
# A phrase that grades only by what comes before it, to ask which parameters a phrase at some point would grade.
_PROBE = "typical"
# First words of the grade phrases: where a model may be starting one.
FIRST_WORDS = frozenset(phrase.split()[0] for phrase in _PHRASES)
_NEGATED_RE = re.compile(r"\b(?:not|no|never)\s+$", re.IGNORECASE)
_BEFORE_NAME_RE = re.compile(r"\s+(?:the\s+)?")
_NAME_SEPARATOR_RE = re.compile(r"\s*,\s*(?:and\s+)?|\s+and\s+")


@dataclass(frozen=True)
class GradeClaim:
    """`text` (the grade phrase, at `span`) says parameter `key` is `grade`."""

    key: str
    grade: str
    span: tuple[int, int]
    text: str


def _named_after(text: str, position: int) -> tuple[list[str], int]:
    """The parameters named in a list of labels right after `position` (`speed, cadence and stride length`), and
    where the list ends. The list ends at freezing, a count no grade word describes (`reduced speed and freezing
    episodes`)."""
    keys: list[str] = []
    gap, end = _BEFORE_NAME_RE.match(text, position), position
    while gap and (label := label_at(text, gap.end())) and FREEZING not in label[0]:
        names, end = label
        keys += sorted(names)
        gap = _NAME_SEPARATOR_RE.match(text, end)
    return keys, end


def _named_before(text: str, start: int, end: int) -> list[str]:
    """The parameters named within `text[start:end]` (freezing aside: no grade word describes a count)."""
    return [key for names in labels_in(text, start, end) if FREEZING not in names for key in sorted(names)]


def extract_grades(text: str) -> list[GradeClaim]:
    """Every grade phrase in `text` that grades a parameter, once per parameter it grades, in order."""
    if not isinstance(text, str):
        raise ValueError(f"text must be a string, got {type(text).__name__}")
    # Numeric claims only (not `no freezing`); an unmapped one still takes its phrase, which then grades nothing.
    claims = [c for c in extract_claims(text) if c.text[:1].isdigit() or c.text[:1] in "-−"]
    graded: list[GradeClaim] = []
    bound: set[tuple[int, int]] = set()
    previous_end, previous_sentence = 0, -1
    phrases = list(_PHRASE_RE.finditer(text))
    for match, following in zip(phrases, phrases[1:] + [None], strict=False):  # [None] when no phrase
        word, only = _PHRASES[match.group().lower()]
        sentence = sentence_start(text, match.start())
        if sentence != previous_sentence:
            previous_end, previous_sentence = sentence, sentence
        # A negated phrase (`not reduced`) says no grade, but still closes the numbers before it.
        negated = _NEGATED_RE.search(text, sentence, match.start()) is not None
        keys, names_end = ([], match.end()) if negated else _named_after(text, match.end())
        if not keys:
            pending = [c for c in claims if previous_end <= c.span[0] < match.start() and c.span not in bound]
            before_next = len(text) if following is None else following.start()
            after = [
                c
                for c in claims
                if match.end() <= c.span[0] < before_next
                and sentence_start(text, c.span[0]) == sentence
                and last_label(text, match.end(), c.span[0]) is None
            ]
            named = [] if pending else _named_before(text, previous_end, match.start())
            targets = pending or ([] if named else after[:1])
            bound.update(c.span for c in targets)
            keys = [] if negated else named or [c.key for c in targets]
        graded += [
            GradeClaim(key, word, match.span(), match.group())
            for key in keys
            if key != UNMAPPED and only in (None, key)
        ]
        previous_end = names_end  # names graded by this phrase are not the next one's
    return graded


def pending_grade_keys(text: str) -> list[str]:
    """The parameters a grade phrase begun at the end of `text` would grade, as `extract_grades` reads it: the
    numbers or names since the previous phrase in its sentence. Empty where it would grade none (a negated phrase,
    nothing before it) or only by what follows it."""
    probe = extract_grades(text + _PROBE)
    return [claim.key for claim in probe if claim.span[0] == len(text)]


def check_grades(text: str, parameters: Mapping) -> dict:
    """`grade_agreement`: the share of the text's grades of measured parameters that are the measured value's grade
    (None without any); `n_graded`; `grade_mismatches` (`text`, `key`, `said`, `measured_grade`, `measured`);
    `unmeasured_grades`: grades of parameters that were not measured (`text`, `key`, `said`)."""
    values = measured_values(parameters)
    grades = extract_grades(text)
    checked = [(claim, values[claim.key]) for claim in grades if claim.key in values and claim.key in NORMS]
    mismatches = [
        {
            "text": claim.text,
            "key": claim.key,
            "said": claim.grade,
            "measured_grade": grade(claim.key, value),
            "measured": value,
        }
        for claim, value in checked
        if grade(claim.key, value) != claim.grade
    ]
    return {
        "grade_agreement": 1.0 - len(mismatches) / len(checked) if checked else None,
        "n_graded": len(checked),
        "grade_mismatches": mismatches,
        "unmeasured_grades": [
            {"text": claim.text, "key": claim.key, "said": claim.grade} for claim in grades if claim.key not in values
        ],
    }
