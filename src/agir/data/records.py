"""What a corpus source yields: a usable sequence, or an item it had to skip and why."""

from __future__ import annotations

from dataclasses import dataclass, field

from agir.motion.io import Motion


@dataclass
class SourceRecord:
    """One sequence as a source yields it, before parameters and texts are added."""

    id: str
    subject: str
    score: int
    motion: Motion
    extras: dict = field(default_factory=dict)


@dataclass
class SkippedRecord:
    """An item a source could not use (unreadable file, missing label); corpus.json lists it under `skipped`."""

    id: str
    reason: str
