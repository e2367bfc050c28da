"""A readable summary of a corpus: subjects and trials per score, and mean gait parameters per score."""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from agir.data.corpus import CorpusItem
from agir.motion.parameters import PARAMETERS

SUMMARY_KEYS = tuple(
    p.key for p in sorted((p for p in PARAMETERS if p.summary_column is not None), key=lambda p: p.summary_column)
)


def format_summary(items: list[CorpusItem]) -> str:
    by_score: dict[int, list[CorpusItem]] = defaultdict(list)
    for item in items:
        by_score[item.score].append(item)
    header = f"{'score':>5} {'subjects':>8} {'trials':>6} " + " ".join(f"{k:>24}" for k in SUMMARY_KEYS)
    lines = [f"{len(items)} trials of {len({it.subject for it in items})} subjects", header]
    for score in sorted(by_score):
        group = by_score[score]
        cells = []
        for key in SUMMARY_KEYS:
            values = [it.parameters[key] for it in group if it.parameters.get(key) is not None]
            cells.append(f"{np.mean(values):>11.2f} +/- {np.std(values):<9.2f}" if values else f"{'n/a':>24}")
        lines.append(f"{score:>5} {len({it.subject for it in group}):>8} {len(group):>6} " + " ".join(cells))
    return "\n".join(lines)
