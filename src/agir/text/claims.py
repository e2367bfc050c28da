"""Reading a gait text back: its numeric claims (which parameter, what value) and its overall severity words.

A number belongs to the parameter named by the last label before it in the same sentence (`left arm swing is 12
degrees`), narrowed by its unit (`m/s` can only be speed). Arm swing and step length without a side take it from
right after the number (`arm swing is 12 degrees on the left and 14 degrees on the right`); a bare number following
a claim in the same sentence keeps that claim's label (`the turn takes 4.1 s and 6 steps`). A number that no label
and unit pin to one parameter is returned with key UNMAPPED, so a faithfulness check can count it as unsupported.
A `Score: N` line is the verdict, not a claim, and is skipped.

Written units: m/s, steps/min (or steps per minute), m, cm, mm, % (or percent), degrees (deg, °), s (sec, seconds),
steps, freezing episodes. Values are returned in the parameter's own unit (cm and mm as metres).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from agir.motion.parameters import PARAMETERS, SHARED_LABEL_PATTERNS, WRITTEN

UNMAPPED = "unmapped"
FREEZING_KEY = "freezing_episodes"  # what `no freezing` claims
SIDES = {p.key: p.side for p in PARAMETERS if p.side}
_ALL_KEYS = frozenset(p.key for p in WRITTEN)


@dataclass(frozen=True)
class Claim:
    """`text[span[0]:span[1]] == text`: the number with its unit (or the phrase, for `no freezing`)."""

    key: str
    value: float
    span: tuple[int, int]
    text: str


# Label patterns and the parameters each can name. Overlapping matches resolve to the earliest, then the longest.
_LABELS: tuple[tuple[str, frozenset[str]], ...] = tuple(
    (p.label_pattern, frozenset({p.key})) for p in WRITTEN if p.label_pattern
) + tuple((pattern, frozenset(keys)) for pattern, keys in SHARED_LABEL_PATTERNS)
_LABEL_RE = [(re.compile(rf"\b(?:{pattern})", re.IGNORECASE), keys) for pattern, keys in _LABELS]

# Unit text -> (the measured unit it is written for, factor to that unit). Longest alternatives first.
_UNIT_FORMS: tuple[tuple[str, str, float], ...] = (
    (r"m/s|metres per second|meters per second", "m/s", 1.0),
    (r"steps/min|steps per minute|steps/minute|/min", "steps/min", 1.0),
    (r"freezing episodes?|episodes?", "count", 1.0),
    (r"steps?", "steps", 1.0),
    (r"cm|centimetres?|centimeters?", "m", 0.01),
    (r"mm|millimetres?|millimeters?", "m", 0.001),
    (r"m|metres?|meters?", "m", 1.0),
    (r"%|percent", "%", 1.0),
    (r"°|degrees?|deg", "deg", 1.0),
    (r"s|sec|seconds?", "s", 1.0),
)
# Unit text -> (parameters it can measure, factor to the parameter's unit).
_UNITS: tuple[tuple[str, frozenset[str], float], ...] = tuple(
    (pattern, frozenset(p.key for p in WRITTEN if p.unit == unit), factor) for pattern, unit, factor in _UNIT_FORMS
)
_UNIT_ALTERNATIVES = "|".join(f"(?P<u{i}>{pattern})" for i, (pattern, _, _) in enumerate(_UNITS))
# A number (unicode minus allowed) not glued to a word or another number, then an optional unit.
_NUMBER_RE = re.compile(
    rf"(?<![\w.])(?P<number>[-−]?\d+(?:\.\d+)?)(?:\s*(?:{_UNIT_ALTERNATIVES})(?!\w))?", re.IGNORECASE
)
_SIDE_AFTER_RE = re.compile(
    r"\s*\(?\s*(?:on |for )?(?:the )?(?P<side>left|right)\b(?: side| arm| leg| foot)?\)?", re.IGNORECASE
)
_NO_FREEZING_RE = re.compile(
    r"\b(?:no|without)\s+(?:(?:signs?|episodes?|evidence)\s+of\s+)?freezing\b"
    r"|\bfreezing\s+(?:is|was)\s+(?:absent|not\s+observed)\b",
    re.IGNORECASE,
)
# The words a `no freezing` claim ends with, and the one a sentence claiming it begins with.
NO_FREEZING_LAST_WORDS = ("freezing", "absent", "observed")
NO_FREEZING_LEAD = "no"
_LAST_WORD_RE = re.compile(r"[A-Za-z]+$")
_NO_LEAD_RE = re.compile(rf"\s*{NO_FREEZING_LEAD}\b", re.IGNORECASE)
# The end of a text where a sentence begins, and where the clause after `there is` does.
_SENTENCE_OPEN_RE = re.compile(r"(?:^|[.;:!?\n])\s*$")
_THERE_IS_RE = re.compile(r"\bthere\s+is\s*$", re.IGNORECASE)
_SCORE_LINE_RE = re.compile(r"^[ \t]*Score:[ \t]*\d+[ \t]*$", re.MULTILINE)
# Sentence ends: . ! ? ; followed by a space or the end (not a decimal point), and line breaks.
_BOUNDARY_RE = re.compile(r"[.;!?](?=\s|$)|\n")


def _resolve_overlaps(matches: list[tuple[int, int, object]]) -> list[tuple[int, int, object]]:
    kept: list[tuple[int, int, object]] = []
    for start, end, payload in sorted(matches, key=lambda m: (m[0], m[0] - m[1])):
        if not kept or start >= kept[-1][1]:
            kept.append((start, end, payload))
    return kept


def labels_in(text: str, start: int, end: int) -> list[frozenset[str]]:
    """The parameters each label within `text[start:end]` can name, in order."""
    window = text[start:end]
    found = [(m.start(), m.end(), keys) for regex, keys in _LABEL_RE for m in regex.finditer(window)]
    return [keys for _, _, keys in _resolve_overlaps(found)]  # type: ignore[misc]


def last_label(text: str, start: int, end: int) -> frozenset[str] | None:
    """The parameters the last label within `text[start:end]` can name; None if there is no label there."""
    labels = labels_in(text, start, end)
    return labels[-1] if labels else None


def _blank_score_lines(text: str) -> str:
    """The text with `Score: N` lines blanked to spaces, so spans still index the original."""
    return _SCORE_LINE_RE.sub(lambda m: " " * len(m.group()), text)


def _numbers(body: str):
    """(number match, the label's keys or None, the keys the number and its unit leave, the claim's end) for every
    number in `body`, in order: the label of each comes from the text before it, or from the previous claim."""
    boundaries = [m.start() for m in _BOUNDARY_RE.finditer(body)]
    previous_end, previous_label = 0, None
    for match in _NUMBER_RE.finditer(body):
        start, end = match.span()
        sentence_start = max((b + 1 for b in boundaries if b < start), default=0)
        label = last_label(body, max(previous_end, sentence_start), start)
        if label is None and previous_end > sentence_start:
            label = previous_label  # a bare number continuing the previous claim's list
        unit = next((i for i in range(len(_UNITS)) if match.group(f"u{i}")), None)
        keys = set(label if label is not None else _ALL_KEYS)
        factor = 1.0
        if unit is not None:
            _, unit_keys, factor = _UNITS[unit]
            keys &= unit_keys
        claim_end = end
        if keys and keys <= SIDES.keys() and len({SIDES[k] for k in keys}) > 1:
            side = _SIDE_AFTER_RE.match(body, end)
            if side:
                keys = {k for k in keys if SIDES[k] == side.group("side").lower()}
                claim_end = side.end()
        yield match, label, keys, factor, claim_end
        previous_end, previous_label = claim_end, label


def extract_claims(text: str) -> list[Claim]:
    """Every quantitative claim in `text`, in order, mapped back to its parameter key (or UNMAPPED)."""
    if not isinstance(text, str):
        raise ValueError(f"text must be a string, got {type(text).__name__}")
    body = _blank_score_lines(text)
    claims = [Claim(FREEZING_KEY, 0.0, m.span(), m.group()) for m in _NO_FREEZING_RE.finditer(body)]
    for match, _, keys, factor, _ in _numbers(body):
        start, end = match.span()
        number = float(match.group("number").replace("−", "-"))
        key = keys.pop() if len(keys) == 1 else UNMAPPED
        claims.append(Claim(key, number * factor, (start, end), text[start:end]))
    return sorted(claims, key=lambda c: c.span)


def no_freezing_lead(text: str, addition: str) -> str | None:
    """Where `addition` begins with `no` that, after `text`, can only go on to claim no freezing: "sentence" where a
    sentence begins with it (`No freezing occurs`), "there is" after those words (`there is no freezing of gait`);
    None elsewhere. In AGIR's texts such a `no` only ever begins that claim."""
    if not _NO_LEAD_RE.match(addition):
        return None
    if _SENTENCE_OPEN_RE.search(text):
        return "sentence"
    return "there is" if _THERE_IS_RE.search(text) else None


def claims_no_freezing(text: str, addition: str) -> bool:
    """Whether `addition` written after `text` begins a `no freezing` claim (`no_freezing_lead`), completes one
    there, or begins the word that would (`freez` after `no `)."""
    if no_freezing_lead(text, addition):
        return True
    whole = text + addition
    word = _LAST_WORD_RE.search(whole)
    endings = [whole]
    if word and word.end() > len(text):
        begun = word.group().lower()
        endings += [whole[: word.start()] + last for last in NO_FREEZING_LAST_WORDS if last.startswith(begun)]
    return any(match.end() > len(text) for ending in endings for match in _NO_FREEZING_RE.finditer(ending))


def sentence_start(text: str, position: int) -> int:
    """Where the sentence holding `position` begins: claims never reach across a sentence end, so the claims of
    that sentence read the same from there as from the start of `text`."""
    return max((m.end() for m in _BOUNDARY_RE.finditer(text) if m.start() < position), default=0)


def label_at(text: str, position: int) -> tuple[frozenset[str], int] | None:
    """(the parameters it can name, its end) of the longest label that begins exactly at `position`; None if none
    does."""
    found = [(match.end(), keys) for regex, keys in _LABEL_RE if (match := regex.match(text, position))]
    if not found:
        return None
    end, keys = max(found, key=lambda item: item[0])
    return keys, end


def pending_claim_keys(text: str, number_start: int) -> frozenset[str]:
    """The parameters that the number being written at the end of `text`, begun at or after `number_start`, is
    about as `extract_claims` reads its label (before a unit narrows it). Empty when no number begins there, when
    no label names a parameter, or inside a `Score:` line."""
    start = sentence_start(text, number_start)
    last = None
    for number in _numbers(_blank_score_lines(text[start:])):
        last = number
    if (
        last is None
        or last[0].start() < number_start - start
        or last[0].end("number") != len(text) - start
        or last[1] is None
    ):
        return frozenset()
    return frozenset(last[1])


# Overall severity vocabulary of MDS-UPDRS 3.10 and the scores each phrase is compatible with. Per-parameter grades
# (agir.text.norms) use none of these words; "normal range/limits/values" is a per-parameter phrase, not a verdict.
_SEVERITY: tuple[tuple[str, frozenset[int]], ...] = tuple(
    (p, frozenset(s))
    for p, s in (
        (r"(?:no|without)\s+(?:\w+\s+)?(?:problems?|impairment|abnormalit(?:y|ies))|unimpaired", {0}),
        (r"not\s+normal|abnormal(?:ly)?", {1, 2, 3}),
        (r"normal(?:ly)?(?!\s+(?:range|limits?|values?|bounds?|reference))", {0}),
        (r"slight(?:ly)?|minor", {1}),
        (r"mild(?:ly)?|substantial(?:ly)?", {2}),
        (r"moderate(?:ly)?|assistive\s+device|walking\s+aid|cane", {3}),
        (r"severe(?:ly)?|cannot\s+walk|unable\s+to\s+walk|help\s+of\s+another\s+person", {4}),
        (r"independent(?:ly)?", {0, 1, 2}),
        (r"impair(?:ed|ment)?", {1, 2, 3}),
    )
)
_SEVERITY_RE = [(re.compile(rf"\b(?:{pattern})\b", re.IGNORECASE), scores) for pattern, scores in _SEVERITY]


def severity_contradictions(text: str, score: int) -> list[str]:
    """The overall severity words or phrases anywhere in `text` that contradict 3.10 `score` (0-4), in order."""
    if not isinstance(score, int) or isinstance(score, bool) or score not in range(5):
        raise ValueError(f"score must be an integer 0-4, got {score!r}")
    body = _blank_score_lines(text)
    found = [(m.start(), m.end(), scores) for regex, scores in _SEVERITY_RE for m in regex.finditer(body)]
    return [body[start:end] for start, end, scores in _resolve_overlaps(found) if score not in scores]
