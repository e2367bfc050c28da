"""An HTML report of assessments: one self-contained page per file and an index.html linking them.

`write_report(out_dir, assessments, motions)` takes the JSONL objects `python -m agir.assess` prints:
`{"file", "score", "probabilities": {"0": p0, ..., "3": p3}, "rationale", "parameters", "faithfulness", "error"}`
(faithfulness: `{"fraction", "matched", "mismatches", ...}` or None) and `motions`, the loaded Motion of each file
keyed by the assessment's `file` (a file without one gets no animation). A page embeds its skeleton GIF and
parameter chart as data URIs, shows the score and its probabilities as bars, the rationale with each numeric claim
marked as supported by the measured parameters or not (`agir.viz.claim_check`), and the grade words that are not
the measured values' grades (`agir.text.grades`, checked here where faithfulness has no `grade_mismatches`). Plain
HTML and CSS: nothing is fetched.
"""

from __future__ import annotations

import base64
import html
import re
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

from agir.motion.io import Motion
from agir.text.grades import check_grades
from agir.viz.animate import animate
from agir.viz.charts import parameter_chart_png
from agir.viz.claim_check import check_claims

SCORES = ("0", "1", "2", "3")
_STYLE = """
body { font-family: sans-serif; margin: 2em auto; max-width: 1000px; color: #222; }
h1 { font-size: 1.3em; word-break: break-all; }
.score { font-size: 2.4em; font-weight: bold; }
.error { background: #fde2e2; border: 1px solid #d33; padding: 0.8em; }
.bars td { padding: 2px 6px; }
.bar { background: #4a7ab5; height: 14px; }
.rationale { background: #f6f6f6; padding: 1em; white-space: pre-wrap; line-height: 1.5; }
mark.match { background: #c8efc8; }
mark.mismatch { background: #f8c4c4; text-decoration: underline wavy #c00; }
table.params td, table.index td, table.index th { border-bottom: 1px solid #ddd; padding: 3px 8px; }
.figures { display: flex; gap: 1em; align-items: flex-start; flex-wrap: wrap; }
img.chart { max-width: 100%; }
"""


def write_report(out_dir: str | Path, assessments: Sequence[Mapping], motions: Mapping[str, Motion]) -> Path:
    """Write the report into `out_dir`; returns the path of index.html."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    rows = []
    for number, assessment in enumerate(assessments, start=1):
        name = str(assessment.get("file", f"assessment {number}"))
        page = f"{number:03d}_{re.sub(r'[^A-Za-z0-9_.-]+', '_', Path(name).stem)}.html"
        (out / page).write_text(_page(name, assessment, motions.get(name)), encoding="utf-8")
        rows.append((name, page, assessment))
    index = out / "index.html"
    index.write_text(_index(rows), encoding="utf-8")
    return index


def _document(title: str, body: str) -> str:
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
        f"<style>{_STYLE}</style></head><body>\n{body}\n</body></html>\n"
    )


def _data_uri(kind: str, content: bytes) -> str:
    return f"data:{kind};base64,{base64.b64encode(content).decode('ascii')}"


def _score_text(score: object) -> str:
    return f"Score: {score}" if isinstance(score, int) and not isinstance(score, bool) else "no score"


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


def _highlighted(rationale: str, parameters: Mapping, faithfulness: Mapping | None) -> str:
    parts, at = [], 0
    for checked in check_claims(rationale, parameters, faithfulness):
        start, end = checked.claim.span
        kind = "match" if checked.matches else "mismatch"
        parts += [
            html.escape(rationale[at:start]),
            f'<mark class="{kind}" title="{html.escape(checked.note)}">{html.escape(rationale[start:end])}</mark>',
        ]
        at = end
    return "".join(parts) + html.escape(rationale[at:])


def _grade_notes(rationale: str, parameters: Mapping, faithfulness: Mapping | None) -> str:
    """How many grade words are the measured values' grades, and the ones that are not."""
    checked = faithfulness and "grade_mismatches" in faithfulness
    grades = faithfulness if checked else check_grades(rationale, parameters)
    if not grades["n_graded"]:
        return ""
    agreeing = grades["n_graded"] - len(grades["grade_mismatches"])
    items = "".join(
        f"<li>&ldquo;{html.escape(m['text'])}&rdquo; for {html.escape(m['key'])}: measured "
        f"{m['measured']:g}, {html.escape(m['measured_grade'])}</li>"
        for m in grades["grade_mismatches"]
    )
    return f"<p>Grade words: {agreeing} of {grades['n_graded']} are the measured values' grades.</p>" + (
        f'<ul class="grades">{items}</ul>' if items else ""
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


def _parameter_table(parameters: Mapping) -> str:
    rows = "".join(
        f"<tr><td>{html.escape(key)}</td><td>{html.escape(str(value))}</td></tr>"
        for key, value in parameters.items()
        if key != "reasons"
    )
    return f'<h2>Measured gait parameters</h2><table class="params">{rows}</table>' if rows else ""


def _page(name: str, assessment: Mapping, motion: Motion | None) -> str:
    body = [f"<h1>{html.escape(name)}</h1>", '<p><a href="index.html">all files</a></p>']
    if assessment.get("error"):
        body.append(f'<p class="error">Could not assess this file: {html.escape(str(assessment["error"]))}</p>')
        return _document(name, "\n".join(body))
    parameters = assessment.get("parameters") or {}
    faithfulness = assessment.get("faithfulness")
    body.append(f'<p class="score" id="score">{_score_text(assessment.get("score"))}</p>')
    body.append(_probability_bars(assessment.get("probabilities")))
    body.append(_figures(motion, parameters))
    rationale = str(assessment.get("rationale") or "")
    legend = (
        '<p><mark class="match">supported by the measurements</mark> <mark class="mismatch">not supported</mark></p>'
    )
    if faithfulness and faithfulness.get("fraction") is not None:
        legend += f"<p>Faithfulness: {100 * float(faithfulness['fraction']):.0f}% of the claims match.</p>"
    elif faithfulness:
        legend += "<p>Faithfulness: no measured claims (the rationale cites no number).</p>"
    body.append(
        f'<h2>Rationale</h2>{legend}<div class="rationale">{_highlighted(rationale, parameters, faithfulness)}'
        f"</div>{_grade_notes(rationale, parameters, faithfulness)}"
    )
    body.append(_parameter_table(parameters))
    return _document(name, "\n".join(part for part in body if part))


def _index(rows: list[tuple[str, str, Mapping]]) -> str:
    lines = []
    for name, page, assessment in rows:
        verdict = (
            f'<span class="error">error: {html.escape(str(assessment["error"]))}</span>'
            if assessment.get("error")
            else html.escape(_score_text(assessment.get("score")))
        )
        lines.append(f'<tr><td><a href="{page}">{html.escape(name)}</a></td><td>{verdict}</td></tr>')
    table = f'<table class="index"><tr><th>file</th><th>assessment</th></tr>{"".join(lines)}</table>'
    return _document("AGIR report", f"<h1>AGIR report: {len(rows)} files</h1>{table}")
