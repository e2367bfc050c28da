"""The verdict of a rationale: its strict final `Score: N` line, and the score-line candidates for probabilities.

A rationale ends with one line `Score: N`, N in 0-3. `parse_score` takes the last line of that exact shape; any other
output (no such line, `Score: 4`, `Score: 2.5`, `Score: 2 (mild)`) is invalid and returns None, never a guessed class.
"""

from __future__ import annotations

import re

SCORES = (0, 1, 2, 3)
# What starts the verdict line; the score follows after one space.
SCORE_PREFIX = "Score:"
# A whole line: optional spaces, `Score:`, an integer, optional spaces. The integer is range-checked after matching,
# so `Score: 4` as the last verdict is invalid rather than skipped in favour of an earlier line.
_SCORE_LINE = re.compile(r"^[ \t]*Score:[ \t]*(\d+)[ \t]*$", re.MULTILINE)


def parse_score(text: str) -> int | None:
    """The score of the last strict `Score: N` line of `text`, or None when there is none or it is outside 0-3."""
    matches = _SCORE_LINE.findall(text)
    if not matches:
        return None
    value = int(matches[-1])
    return value if value in SCORES else None


def rationale_body(text: str) -> str:
    """`text` without its last `Score:` line and what follows it: the reasoning a score is conditioned on."""
    cut = text.rfind(SCORE_PREFIX)
    return (text[:cut] if cut >= 0 else text).rstrip()


def with_score(body: str, score: int) -> str:
    """A rationale body completed with the score line, exactly as the training targets end."""
    line = f"{SCORE_PREFIX} {score}"
    return f"{body}\n{line}" if body else line
