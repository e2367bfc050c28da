"""An HTML report of assessments, laid out as a clinician reads it: an index of all files and one page per file.

`write_report(out_dir, assessments, motions)` takes the JSON objects `python -m agir.assess --format jsonl` prints
(docs/assessment.schema.json) and `motions`, the loaded Motion of each file keyed by the assessment's `file` (a file
without one gets no animation).

- index.html: one row per file with its score (or why there is none), confidence (the top probability), evidence
  coverage, faithfulness of the numbers, grade agreement, warnings and, in a column of its own, the error of a file
  that could not be assessed; sortable by any column (a few lines of inline script).
- a page per file: a summary box at the top (score or abstention, confidence, evidence, warnings), the probability
  bars, the skeleton GIF and parameter chart (a value beyond a chart's axis is marked), the rationale with its
  numbers and grade words marked as grounded in the measurements, unsupported, or about a parameter that was not
  measured, and the parameters with their names, units, typical and PD ranges, and the reason of each null.

Plain HTML and CSS, a print stylesheet (A4), nothing fetched. No page shows a Python `None` or a `nan`.
"""

from __future__ import annotations

import base64
import html
import math
import re
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from pathlib import Path

from agir.motion.io import Motion
from agir.text.assessment import SCORE_KEYS, evidence_of
from agir.text.claims import UNMAPPED
from agir.text.grades import extract_grades
from agir.text.norms import NORMS, grade
from agir.text.rationale import NAMES, format_value, measured_values
from agir.viz.animate import animate
from agir.viz.bands import PD_BANDS
from agir.viz.charts import off_scale, parameter_chart_png
from agir.viz.claim_check import check_claims

SCORES = ("0", "1", "2", "3")
ABSENT = "—"
INDEX_COLUMNS = ("File", "Score", "Confidence", "Evidence", "Faithfulness", "Grade words", "Warnings", "Error")
_STYLE = """
body { font-family: sans-serif; margin: 2em auto; max-width: 1000px; color: #222; line-height: 1.4; }
h1 { font-size: 1.3em; overflow-wrap: anywhere; }
h2 { font-size: 1.1em; margin-top: 1.4em; }
.summary { border: 2px solid #4a7ab5; border-radius: 6px; padding: 0.6em 1em; margin: 1em 0; }
.summary.abstained { border-color: #b58a00; background: #fff8e1; }
.summary .verdict { font-size: 2em; font-weight: bold; margin: 0.1em 0; }
.summary dl { display: grid; grid-template-columns: max-content 1fr; gap: 0.2em 1em; margin: 0.4em 0; }
.summary dt { font-weight: bold; }
.summary dd { margin: 0; }
ul.warnings { margin: 0.3em 0; padding-left: 1.2em; color: #8a4b00; }
.error { background: #fde2e2; border: 1px solid #d33; padding: 0.8em; overflow-wrap: anywhere; }
td.error { padding: 3px 8px; border: none; border-bottom: 1px solid #ddd; color: #a00; background: none; }
.bars td { padding: 2px 6px; }
.bar { background: #4a7ab5; height: 14px; }
.rationale { background: #f6f6f6; padding: 1em; white-space: pre-wrap; line-height: 1.6; }
mark.grounded { background: #c8efc8; }
mark.unsupported { background: #f8c4c4; text-decoration: underline wavy #c00; }
mark.unmeasured { background: #ffd59e; text-decoration: underline wavy #b35c00; }
mark.grade-ok { background: #dcecff; }
mark.grade-off { background: #f8c4c4; text-decoration: underline dotted #c00; }
table { border-collapse: collapse; }
table.params td, table.params th, table.index td, table.index th { border-bottom: 1px solid #ddd; padding: 3px 8px;
  text-align: left; vertical-align: top; }
table.index th { cursor: pointer; user-select: none; background: #eef2f7; }
table.index td.file { overflow-wrap: anywhere; min-width: 10em; max-width: 22em; }
table.index td.error { min-width: 14em; overflow-wrap: anywhere; }
table.index ul.warnings { font-size: 0.9em; }
td.missing { color: #666; font-style: italic; }
td.off { color: #c00; font-weight: bold; }
.figures { display: flex; gap: 1em; align-items: flex-start; flex-wrap: wrap; }
img { max-width: 100%; }
@page { size: A4; margin: 14mm; }
@media print {
  body { max-width: none; margin: 0; font-size: 10pt; }
  nav, .hint { display: none; }
  .summary, table.params tr, .figures img, .bars, .legend { break-inside: avoid; page-break-inside: avoid; }
  .figures { display: block; }
  .figures img { display: block; max-height: 120mm; margin-bottom: 4mm; }
  table.index th { cursor: auto; }
  .rationale { white-space: pre-wrap; overflow-wrap: anywhere; }
}
"""
# Sorts the index by a clicked column: numbers by value (data-sort), text alphabetically; a second click reverses.
_SORT_SCRIPT = """
document.querySelectorAll("table.index th").forEach((th, column) => th.addEventListener("click", () => {
  const body = th.closest("table").tBodies[0];
  const up = th.dataset.order !== "up";
  th.closest("tr").querySelectorAll("th").forEach(other => delete other.dataset.order);
  th.dataset.order = up ? "up" : "down";
  const key = row => row.cells[column].dataset.sort ?? row.cells[column].textContent;
  const rows = Array.from(body.rows).sort((a, b) => {
    const x = key(a), y = key(b), nx = Number(x), ny = Number(y);
    const order = x !== "" && y !== "" && !isNaN(nx) && !isNaN(ny) ? nx - ny : x.localeCompare(y);
    return up ? order : -order;
  });
  rows.forEach(row => body.appendChild(row));
}));
"""


def write_report(out_dir: str | Path, assessments: Sequence[Mapping], motions: Mapping[str, Motion]) -> Path:
    """Write the report into `out_dir`; returns the path of index.html."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    rows = []
    for number, assessment in enumerate(assessments, start=1):
        name = str(assessment.get("file") or f"assessment {number}")
        page = f"{number:03d}_{re.sub(r'[^A-Za-z0-9_.-]+', '_', Path(name).stem)}.html"
        (out / page).write_text(_page(name, assessment, motions.get(name)), encoding="utf-8")
        rows.append((name, page, assessment))
    index = out / "index.html"
    index.write_text(_index(rows), encoding="utf-8")
    return index


def _document(title: str, body: str, script: str = "") -> str:
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
        f"<style>{_STYLE}</style></head><body>\n{body}\n"
        + (f"<script>{script}</script>\n" if script else "")
        + "</body></html>\n"
    )


def _data_uri(kind: str, content: bytes) -> str:
    return f"data:{kind};base64,{base64.b64encode(content).decode('ascii')}"


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _score(assessment: Mapping) -> int | None:
    score = assessment.get("score")
    return score if isinstance(score, int) and not isinstance(score, bool) else None


def _confidence(probabilities: Mapping | None) -> tuple[str, float] | None:
    """(score, probability) of the most probable score; None without probabilities."""
    if not probabilities:
        return None
    score = max(SCORES, key=lambda s: float(probabilities.get(s, 0.0)))
    return score, float(probabilities.get(score, 0.0))


def _evidence(assessment: Mapping) -> Mapping | None:
    if assessment.get("evidence"):
        return assessment["evidence"]
    parameters = assessment.get("parameters")
    return asdict(evidence_of(parameters)) if parameters else None


def _coverage_text(evidence: Mapping) -> str:
    measured = round(float(evidence["coverage"]) * len(SCORE_KEYS))
    return f"{measured} of {len(SCORE_KEYS)} score-relevant parameters measured ({float(evidence['coverage']):.0%})"


def _faithfulness_text(faithfulness: Mapping | None) -> str:
    if not faithfulness or not faithfulness.get("n_claims"):
        return "no measured claims (the rationale cites no number)"
    return f"{len(faithfulness['matched'])} of {faithfulness['n_claims']} numbers match the measurements"


def _grades_text(faithfulness: Mapping | None) -> str:
    if not faithfulness or not faithfulness.get("n_graded"):
        return "no graded findings"
    agreeing = faithfulness["n_graded"] - len(faithfulness["grade_mismatches"])
    return f"{agreeing} of {faithfulness['n_graded']} grade words are the measured values' grades"


def _warnings(assessment: Mapping) -> list[str]:
    return [str(w) for w in assessment.get("warnings") or []]


def _summary(assessment: Mapping) -> str:
    """The box at the top of a page: the verdict or why there is none, confidence, evidence, checks, warnings."""
    score, abstained = _score(assessment), assessment.get("abstained")
    if score is not None:
        verdict = f'<p class="verdict" id="score">Score: {score}</p>'
    else:
        why = html.escape(str(abstained or "the output has no valid score line"))
        verdict = f'<p class="verdict" id="score">No score</p><p class="abstained-reason">Abstained: {why}</p>'
    rows = []
    confidence = _confidence(assessment.get("probabilities"))
    if confidence:
        top, p = confidence
        note = "" if score is not None else " (given for reference; no score is reported)"
        rows.append(("Confidence", f"P(score {top}) = {p:.2f}{note}"))
    evidence = _evidence(assessment)
    if evidence:
        rows.append(("Evidence", _coverage_text(evidence)))
    faithfulness = assessment.get("faithfulness")
    rows.append(("Numbers", _faithfulness_text(faithfulness)))
    rows.append(("Grade words", _grades_text(faithfulness)))
    unmeasured = (faithfulness or {}).get("unmeasured") or []
    if unmeasured:
        claims = "1 claim" if len(unmeasured) == 1 else f"{len(unmeasured)} claims"
        rows.append(("Unmeasured", f"{claims} about parameters that were not measured"))
    items = "".join(f"<dt>{html.escape(k)}</dt><dd>{html.escape(v)}</dd>" for k, v in rows)
    warnings = _warnings(assessment)
    listed = (
        '<ul class="warnings">' + "".join(f"<li>{html.escape(w)}</li>" for w in warnings) + "</ul>" if warnings else ""
    )
    notes = [str(note) for note in assessment.get("notes") or []]
    if notes:
        listed += '<p>Reading the file:</p><ul class="notes">'
        listed += "".join(f"<li>{html.escape(note)}</li>" for note in notes) + "</ul>"
    kind = "summary" if score is not None else "summary abstained"
    return f'<section class="{kind}" id="summary">{verdict}<dl>{items}</dl>{listed}</section>'


def _probability_bars(probabilities: Mapping | None) -> str:
    if not probabilities:
        return ""
    rows = []
    for score in SCORES:
        p = float(probabilities.get(score, 0.0))
        rows.append(
            f'<tr><td>{score}</td><td style="width:300px"><div class="bar" style="width:{100 * p:.1f}%">'
            f"</div></td><td>{p:.2f}</td></tr>"
        )
    return f'<h2>Score probabilities</h2><table class="bars">{"".join(rows)}</table>'


def _marks(rationale: str, parameters: Mapping, faithfulness: Mapping | None) -> list[tuple[int, int, str, str]]:
    """(start, end, class, note) of every number and grade word of the rationale, in order, without overlaps."""
    measured = measured_values(parameters)
    marks = []
    for checked in check_claims(rationale, parameters, faithfulness):
        claim = checked.claim
        unmeasured = claim.key != UNMAPPED and claim.key not in measured
        kind = "unmeasured" if unmeasured else "grounded" if checked.matches else "unsupported"
        marks.append((*claim.span, kind, checked.note))
    by_phrase: dict[tuple[int, int], list[tuple[str, str]]] = {}
    for claim in extract_grades(rationale):
        if claim.key not in measured:
            by_phrase.setdefault(claim.span, []).append(("unmeasured", f"{claim.key} was not measured"))
        elif claim.key in NORMS:
            measured_grade = grade(claim.key, measured[claim.key])
            kind = "grade-ok" if measured_grade == claim.grade else "grade-off"
            by_phrase.setdefault(claim.span, []).append((kind, f"{claim.key}: measured grade {measured_grade}"))
    for span, found in by_phrase.items():
        kinds = [kind for kind, _ in found]
        kind = next((k for k in ("unmeasured", "grade-off") if k in kinds), "grade-ok")
        marks.append((*span, kind, "; ".join(note for _, note in found)))
    kept, end = [], 0
    for mark in sorted(marks):
        if mark[0] >= end:
            kept.append(mark)
            end = mark[1]
    return kept


def _highlighted(rationale: str, parameters: Mapping, faithfulness: Mapping | None) -> str:
    parts, at = [], 0
    for start, end, kind, note in _marks(rationale, parameters, faithfulness):
        parts += [
            html.escape(rationale[at:start]),
            f'<mark class="{kind}" title="{html.escape(note)}">{html.escape(rationale[start:end])}</mark>',
        ]
        at = end
    return "".join(parts) + html.escape(rationale[at:])


_LEGEND = (
    '<p class="legend"><mark class="grounded">number as measured</mark> <mark class="unsupported">number not '
    'supported</mark> <mark class="unmeasured">about a parameter not measured</mark> <mark class="grade-ok">grade '
    'word as measured</mark> <mark class="grade-off">grade word not the measured grade</mark></p>'
)


def _rationale_section(assessment: Mapping, parameters: Mapping) -> str:
    rationale = str(assessment.get("rationale") or "")
    if not rationale:
        return ""
    faithfulness = assessment.get("faithfulness")
    mismatches = (faithfulness or {}).get("grade_mismatches") or []
    items = "".join(
        f"<li>&ldquo;{html.escape(m['text'])}&rdquo; for {html.escape(_name(m['key']).lower())}: measured "
        f"{html.escape(format_value(m['key'], m['measured']))}, {html.escape(m['measured_grade'])}</li>"
        for m in mismatches
    )
    notes = f'<ul class="grades">{items}</ul>' if items else ""
    return (
        f'<h2>Rationale</h2>{_LEGEND}<div class="rationale">{_highlighted(rationale, parameters, faithfulness)}</div>'
        + notes
    )


def _name(key: str) -> str:
    name = NAMES.get(key, key.replace("_", " "))
    return name[:1].upper() + name[1:]


def _range(key: str, low: float, high: float) -> str:
    """A band as texts write values: `1.00 m/s to 1.70 m/s`, `up to 3.0%`, `6.0 cm or more`, `none`."""
    if not math.isfinite(low) and high == 0:
        return "none"
    if not math.isfinite(low):
        return f"up to {format_value(key, high)}"
    if not math.isfinite(high):
        return f"{format_value(key, low)} or more"
    return f"{format_value(key, low)} to {format_value(key, high)}"


def _parameter_rows(parameters: Mapping) -> str:
    reasons = parameters.get("reasons") or {}
    rows = []
    for key in NAMES:
        if key not in parameters:
            continue
        value = parameters[key]
        typical = _range(key, NORMS[key].low, NORMS[key].high) if key in NORMS else ABSENT
        pd = _range(key, *PD_BANDS[key]) if key in PD_BANDS else ABSENT
        if _is_number(value):
            shown = html.escape(format_value(key, value))
            graded = grade(key, value) if key in NORMS else ABSENT
            beyond = key in PD_BANDS and off_scale(key, value)
            cell = f'<td class="off">{shown} (off the chart)</td>' if beyond else f"<td>{shown}</td>"
            rows.append(f"<tr><td>{_name(key)}</td>{cell}<td>{graded}</td><td>{typical}</td><td>{pd}</td></tr>")
        else:
            reason = html.escape(str(reasons.get(key, "no reason recorded")))
            rows.append(
                f'<tr><td>{_name(key)}</td><td class="missing" colspan="2">not measured: {reason}</td>'
                f"<td>{typical}</td><td>{pd}</td></tr>"
            )
    if not rows:
        return ""
    extent = []
    strides = parameters.get("n_strides")
    if _is_number(strides):
        extent.append(f"{int(strides)} strides of straight walking" if strides else "no stride of straight walking")
    if _is_number(parameters.get("duration_s")):
        extent.append(f"a clip of {float(parameters['duration_s']):.1f} s")
    head = "<tr><th>Parameter</th><th>Measured</th><th>Grade</th><th>Typical range</th><th>Parkinson's (approx.)</th>"
    return (
        "<h2>Gait parameters</h2>"
        + (f"<p>Measured over {' in '.join(extent)}.</p>" if extent else "")
        + f'<table class="params">{head}</tr>{"".join(rows)}</table>'
    )


def _figures(motion: Motion | None, parameters: Mapping) -> str:
    images = []
    if motion is not None:
        with tempfile.TemporaryDirectory() as folder:
            gif = animate(motion.joints, motion.fps, Path(folder) / "walk.gif").read_bytes()
        images.append(f'<img alt="skeleton animation" src="{_data_uri("image/gif", gif)}">')
    chart = parameter_chart_png(parameters)
    if chart:
        images.append(
            f'<img class="chart" alt="gait parameters against reference bands" src="{_data_uri("image/png", chart)}">'
        )
    return f'<div class="figures">{"".join(images)}</div>' if images else ""


def _page(name: str, assessment: Mapping, motion: Motion | None) -> str:
    body = [f"<h1>{html.escape(name)}</h1>", '<nav><a href="index.html">all files</a></nav>']
    if assessment.get("error"):
        body.append(f'<p class="error">Could not assess this file: {html.escape(str(assessment["error"]))}</p>')
        return _document(name, "\n".join(body))
    parameters = assessment.get("parameters") or {}
    body += [
        _summary(assessment),
        _probability_bars(assessment.get("probabilities")),
        _figures(motion, parameters),
        _rationale_section(assessment, parameters),
        _parameter_rows(parameters),
    ]
    return _document(name, "\n".join(part for part in body if part))


def _cell(text: str, sort: float | str | None = None, kind: str = "") -> str:
    attributes = (f' class="{kind}"' if kind else "") + (f' data-sort="{sort}"' if sort is not None else "")
    return f"<td{attributes}>{html.escape(text)}</td>"


def _warnings_cell(warnings: list[str]) -> str:
    if not warnings:
        return _cell("none", 0)
    items = "".join(f"<li>{html.escape(w)}</li>" for w in warnings)
    return f'<td data-sort="{len(warnings)}"><ul class="warnings">{items}</ul></td>'


def _index_row(name: str, page: str, assessment: Mapping) -> str:
    link = f'<td class="file"><a href="{html.escape(page)}">{html.escape(name)}</a></td>'
    if assessment.get("error"):
        empty = "".join(_cell(ABSENT, -1) for _ in INDEX_COLUMNS[1:-1])
        return f'<tr class="failed">{link}{empty}{_cell(str(assessment["error"]), kind="error")}</tr>'
    score = _score(assessment)
    confidence = _confidence(assessment.get("probabilities"))
    evidence = _evidence(assessment)
    faithfulness = assessment.get("faithfulness") or {}
    fraction, agreement = faithfulness.get("fraction"), faithfulness.get("grade_agreement")
    warnings = _warnings(assessment)
    cells = [
        _cell(str(score), score) if score is not None else _cell("no score (abstained)", -1),
        _cell(f"{confidence[1]:.2f} (score {confidence[0]})", confidence[1]) if confidence else _cell(ABSENT, -1),
        _cell(f"{float(evidence['coverage']):.0%}", evidence["coverage"]) if evidence else _cell(ABSENT, -1),
        _cell(f"{fraction:.0%}", fraction) if _is_number(fraction) else _cell("no numbers", -1),
        _cell(f"{agreement:.0%}", agreement) if _is_number(agreement) else _cell("no grades", -1),
        _warnings_cell(warnings),
        _cell("", ""),
    ]
    return f"<tr>{link}{''.join(cells)}</tr>"


def _index(rows: list[tuple[str, str, Mapping]]) -> str:
    head = "".join(f"<th>{column}</th>" for column in INDEX_COLUMNS)
    body = "".join(_index_row(name, page, assessment) for name, page, assessment in rows)
    failed = sum(bool(assessment.get("error")) for _, _, assessment in rows)
    abstained = sum(not assessment.get("error") and _score(assessment) is None for _, _, assessment in rows)
    counts = f"{len(rows)} files: {len(rows) - failed - abstained} scored, {abstained} without a score, {failed} failed"
    return _document(
        "AGIR report",
        f"<h1>AGIR report</h1><p>{counts}.</p>"
        '<p class="hint">Click a column heading to sort; click again to reverse.</p>'
        f'<table class="index"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>',
        _SORT_SCRIPT,
    )
