"""Reading a rationale back: its quantitative claims (parameter, value) and its overall severity words.

A claim is a number with a unit, named by the nearest parameter label before it in the same clause (labels and units
as written by `agir.text.rationale`). The score line is not a claim.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from agir.text.rationale import FORMATS, LABELS

_UNITS = sorted({unit for _, unit, _ in FORMATS.values()}, key=len, reverse=True)
_NUMBER = re.compile(r"(?<![\w.])(-?\d+(?:\.\d+)?)\s?(" + "|".join(re.escape(u) for u in _UNITS) + r")(?![\w/])")
_CLAUSE_BREAK = re.compile(r"[;.:\n]\s|\n")
_SCORE_LINE = re.compile(r"^\s*Score:\s*\d+\s*$", re.MULTILINE)

# Overall severity words per MDS-UPDRS 3.10 score; grade words (norms.GRADES) never use them.
SEVERITY_WORDS: dict[int, tuple[str, ...]] = {
    0: (r"\bnormal\b", r"\bno (?:gait )?impairment\b", r"\bwithout (?:gait )?impairment\b"),
    1: (r"\bslight(?:ly)?\b", r"\bminor\b"),
    2: (r"\bmild(?:ly)?\b", r"\bsubstantial(?:ly)?\b"),
    3: (r"\bmoderate(?:ly)?\b", r"\bassistive device\b"),
}


@dataclass(frozen=True)
class Claim:
    key: str
    value: float  # in the parameter's own unit (e.g. metres for a clearance written in cm)
    span: tuple[int, int]
    text: str


def _keys_for_unit(unit: str) -> list[str]:
    return [key for key, (_, written, _) in FORMATS.items() if written == unit]


def _label_before(text: str, end: int, keys: list[str]) -> str | None:
    """The key whose label occurs last in the clause that ends at `end`."""
    breaks = [m.end() for m in _CLAUSE_BREAK.finditer(text, 0, end)]
    clause = text[breaks[-1] if breaks else 0:end].lower()
    positions = {key: max(clause.rfind(label) for label in LABELS[key]) for key in keys if key in LABELS}
    key = max(positions, key=positions.get, default=None)
    return key if key is not None and positions[key] >= 0 else None


def extract_claims(text: str) -> list[Claim]:
    """Every quantitative claim in `text`, mapped back to its parameter key."""
    claims = []
    body = _SCORE_LINE.sub(lambda m: " " * len(m.group()), text)
    for match in _NUMBER.finditer(body):
        number, unit = match.groups()
        keys = _keys_for_unit(unit)
        key = keys[0] if len(keys) == 1 else _label_before(body, match.start(), keys)
        if key is None:
            continue
        factor = FORMATS[key][2]
        claims.append(Claim(key, float(number) / factor, match.span(), match.group()))
    return claims


def severity_contradictions(text: str, score: int) -> list[str]:
    """Overall severity words in `text` that belong to another score than `score`."""
    found = []
    for other, patterns in SEVERITY_WORDS.items():
        if other == score:
            continue
        for pattern in patterns:
            found += [m.group() for m in re.finditer(pattern, text, flags=re.IGNORECASE)]
    return found
