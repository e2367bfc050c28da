"""The measured gait parameters as a plain-text table (`python -m agir.gait`, `python -m agir.assess`)."""

from __future__ import annotations

from agir.motion.parameters import PARAMETERS


def format_table(parameters: dict) -> str:
    """One line per parameter: name, value and unit, or '-' and why it could not be measured."""
    width = max(len(p.plain_name) for p in PARAMETERS)
    lines = []
    for p in PARAMETERS:
        value = parameters[p.key]
        if value is None:
            shown = f"{'-':>10}  ({parameters['reasons'].get(p.key, 'not measured')})"
        elif p.count:
            shown = f"{value:>10d}  {p.unit}"
        else:
            shown = f"{value:>10.3f}  {p.unit}"
        lines.append(f"{p.plain_name:<{width}}  {shown}")
    return "\n".join(lines)
