"""Which numeric claims of a rationale the measured parameters support, for highlighting in a report.

A claim (agir.text.claims) matches by the rule of `agir.text.faithfulness`: the measured value as text rounds it, or
within its relative tolerance. When an assessment carries its own faithfulness check, that verdict wins: a claim
listed under `mismatches` (or `matched`) by its text, or by its parameter key and value (`key` with
`value`/`claimed`), takes that status.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from agir.text.claims import UNMAPPED, Claim, extract_claims
from agir.text.faithfulness import claim_matches, measured_value


@dataclass(frozen=True)
class CheckedClaim:
    claim: Claim
    matches: bool
    note: str  # what was measured, or why nothing could be compared


def _listed(claim: Claim, entries: list) -> bool:
    for entry in entries or []:
        if isinstance(entry, str) and entry.strip() and (entry == claim.text or claim.text in entry):
            return True
        if isinstance(entry, Mapping):
            value = entry.get("value", entry.get("claimed"))
            if entry.get("text") == claim.text or (
                entry.get("key") == claim.key
                and isinstance(value, (int, float))
                and math.isclose(value, claim.value, rel_tol=1e-6, abs_tol=1e-9)
            ):
                return True
    return False


def _own_verdict(claim: Claim, parameters: Mapping) -> tuple[bool, str]:
    if claim.key == UNMAPPED:
        return False, "no parameter this number could be about"
    measured = measured_value(claim, parameters)
    if measured is None:
        return False, f"{claim.key} was not measured"
    return claim_matches(claim, measured), f"measured {claim.key} = {measured:g}"


def check_claims(rationale: str, parameters: Mapping, faithfulness: Mapping | None = None) -> list[CheckedClaim]:
    """Every numeric claim of `rationale` with whether the parameters (or the given faithfulness check) support it."""
    checked = []
    for claim in extract_claims(rationale or ""):
        matches, note = _own_verdict(claim, parameters or {})
        if faithfulness and _listed(claim, faithfulness.get("mismatches")):
            matches = False
        elif faithfulness and _listed(claim, faithfulness.get("matched")):
            matches = True
        checked.append(CheckedClaim(claim, matches, note))
    return checked
