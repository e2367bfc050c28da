"""Pictures: skeleton GIF, parameter chart, claim highlighting and the HTML report, opened in a real browser."""

import html
import os
import random
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from agir.motion.gait_parameters import NO_TURN, extract_gait_parameters
from agir.motion.io import Motion
from agir.motion.synth import make_cohort
from agir.text.assessment import build_assessment, failed_assessment
from agir.text.rationale import rationale
from agir.viz.animate import animate, frame_indices
from agir.viz.charts import off_scale, parameter_chart_png
from agir.viz.claim_check import check_claims
from agir.viz.html_report import INDEX_COLUMNS, write_report


@pytest.fixture(scope="module")
def walk():
    trial = make_cohort(1, 1, seed=3, walk_distance_m=4.0)[0][1][0]
    parameters = extract_gait_parameters(trial.joints, trial.fps).to_dict()
    return trial, parameters


def test_frames_are_subsampled_to_the_gif_rate_and_capped():
    assert list(frame_indices(30, 30.0, 10.0, 150)) == list(range(0, 30, 3))
    assert len(frame_indices(900, 30.0, 10.0, 150)) == 150  # a 30 s walk
    assert len(frame_indices(5000, 120.0, 10.0, 150)) <= 150


def test_animation_is_a_gif_of_the_subsampled_frames(tmp_path, walk):
    trial, _ = walk
    path = animate(trial.joints, trial.fps, tmp_path / "walk.gif")
    with Image.open(path) as gif:
        assert gif.format == "GIF" and gif.n_frames == len(frame_indices(len(trial.joints), trial.fps, 10.0, 150))
        gif.seek(gif.n_frames // 2)
        assert len(np.unique(np.asarray(gif.convert("RGB")).reshape(-1, 3), axis=0)) > 3  # not blank
    with pytest.raises(ValueError, match=r"joints must be \(frames >= 2, 22, 3\)"):
        animate(np.zeros((10, 17, 3)), 30.0, tmp_path / "bad.gif")


def test_chart_is_a_png_and_empty_without_measurements(walk):
    _, parameters = walk
    assert parameter_chart_png(parameters).startswith(b"\x89PNG")
    assert parameter_chart_png({"speed_m_s": None}) == b""


def test_claims_are_checked_against_parameters_or_the_given_faithfulness():
    parameters = {"speed_m_s": 0.92, "cadence_steps_min": 108.1, "stride_length_m": None}
    text = "Gait speed is 0.92 m/s and cadence 150 steps/min; stride length 1.1 m."
    verdicts = [(c.claim.text, c.matches) for c in check_claims(text, parameters)]
    assert verdicts == [("0.92 m/s", True), ("150 steps/min", False), ("1.1 m", False)]
    faithfulness = {"fraction": 0.5, "matched": [], "mismatches": [{"key": "speed_m_s", "value": 0.92}]}
    assert [c.matches for c in check_claims(text, parameters, faithfulness)] == [False, False, False]


def _assessments(walk):
    trial, parameters = walk
    text = (
        rationale(parameters, 2, random.Random(0)).replace("Score: 2", "")
        + " Cadence is 150 steps/min, clearly reduced."
    )
    motion = Motion(trial.joints, trial.fps, "smpl22", np.ones(22, bool), "walk.npz")
    walked = build_assessment("clips/walk.npz", text + "\nScore: 2", [0.05, 0.25, 0.6, 0.1], parameters)
    # Nothing score-relevant measured: the model's words and numbers are there, the score is withheld.
    bare = {key: None for key in parameters if key != "reasons"} | {"foot_clearance_m": 0.03, "n_strides": 0}
    bare["reasons"] = {key: "no complete stride of straight walking" for key, value in bare.items() if value is None}
    bare["reasons"]["turn_duration_s"] = bare["reasons"]["turn_steps"] = NO_TURN
    bare["methods"] = {"foot_clearance_m": "root-relative skeleton: root path reconstructed from foot contacts"}
    still = build_assessment(
        "clips/still walk.npz",
        "Foot: gait speed (0.67 m/s) is markedly reduced, foot clearance is 3.0 cm. Arm: no freezing.\nScore: 3",
        [0.02, 0.04, 0.05, 0.89],
        bare,
        notes=["read at the file's own 150 fps (--fps 20 applies to files without a rate)"],
    )
    failed = failed_assessment("clips/broken.bvh", "clips/broken.bvh: malformed BVH: expected 'ROOT', found 'x'")
    return [a.to_json() for a in (walked, still, failed)], {"clips/walk.npz": motion}


def _visible(page: str) -> str:
    """What a reader sees of a page: its text without tags, the style, the script and embedded images."""
    page = re.sub(r"<(style|script)>.*?</\1>", " ", page, flags=re.DOTALL)
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


@pytest.fixture(scope="module")
def report(tmp_path_factory, walk) -> Path:
    """The report of _assessments, written once for the tests that read it."""
    return write_report(tmp_path_factory.mktemp("report"), *_assessments(walk)).parent


def test_report_pages_are_self_contained_and_errors_are_shown(report, walk):
    listing = (report / "index.html").read_text()
    assert 'href="001_walk.html"' in listing and "malformed BVH" in listing
    headings = re.findall(r"<th>([^<]*)</th>", listing)
    assert tuple(headings) == INDEX_COLUMNS
    assert '<td class="error">clips/broken.bvh: malformed BVH' in listing and "no score (abstained)" in listing
    page = (report / "001_walk.html").read_text()
    assert 'id="score">Score: 2<' in page and "data:image/gif;base64," in page and "data:image/png;base64," in page
    assert '<mark class="unsupported"' in page and '<mark class="grounded"' in page and "150 steps/min</mark>" in page
    assert '<mark class="grade-off"' in page and '<mark class="grade-ok"' in page
    cadence = walk[1]["cadence_steps_min"]  # typical: "clearly reduced" is a grade mismatch
    assert f"&ldquo;clearly reduced&rdquo; for cadence: measured {round(cadence):g} steps/min, typical" in page
    assert "http://" not in page and "https://" not in page and "<script" not in page
    assert "Could not assess this file" in (report / "003_broken.html").read_text()
    assert "@page { size: A4" in page and "@media print" in page
    for path in report.glob("*.html"):
        assert not re.search(r"\b(None|nan|NaN|null)\b", _visible(path.read_text())), path.name


def test_an_abstention_says_so_at_the_top_with_its_warnings(report):
    page = (report / "002_still_walk.html").read_text()
    summary = page[page.index('<section class="summary abstained"') :]
    summary = summary[: summary.index("</section>")]
    assert page.index("summary abstained") < page.index("Score probabilities")
    assert 'id="score">No score<' in summary and "Abstained: thin evidence: 1 of 8 score-relevant" in summary
    assert "root-relative skeleton" in summary and "no turn in the clip" in summary
    assert "Reading the file:" in summary and "read at the file&#x27;s own 150 fps" in summary
    assert "P(score 3) = 0.89 (given for reference; no score is reported)" in summary
    assert '<mark class="unmeasured"' in page and "0.67 m/s</mark>" in page
    assert "not measured: no complete stride of straight walking" in page
    # The speed, its grade and "no freezing": freezing was not measured either.
    assert "3 claims about parameters that were not measured" in summary


def test_a_value_beyond_the_chart_axis_is_marked():
    assert off_scale("cadence_steps_min", 400.0) and not off_scale("cadence_steps_min", 110.0)
    assert parameter_chart_png({"cadence_steps_min": 400.0}).startswith(b"\x89PNG")


def _browser() -> str | None:
    return next(
        (found for name in ("chromium", "chromium-browser", "google-chrome") if (found := shutil.which(name))), None
    )


def _artefacts(tmp_path) -> Path:
    """Where the browser test leaves its screenshots for a person to look at (AGIR_TEST_ARTEFACTS, else tmp)."""
    folder = Path(os.environ.get("AGIR_TEST_ARTEFACTS", tmp_path / "artefacts"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.mark.skipif(_browser() is None, reason="no chromium/chrome binary found (apt-get install chromium)")
def test_report_opens_in_a_headless_browser_without_console_errors(tmp_path, report):
    command = [
        _browser(),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tmp_path / 'profile'}",
        "--enable-logging=stderr",
        "--v=0",
    ]
    artefacts = _artefacts(tmp_path)
    for name, check in (("index.html", "<th>Grade words</th>"), ("002_still_walk.html", 'id="score">No score<')):
        page = (report / name).as_uri()
        dom = subprocess.run(command + ["--dump-dom", page], capture_output=True, text=True, timeout=120)
        assert check in dom.stdout
        assert not re.search(r"\b(None|nan|NaN)\b", _visible(dom.stdout))
        console = [line for line in dom.stderr.splitlines() if "CONSOLE" in line]
        assert not console, console
        screenshot = artefacts / f"{Path(name).stem}.png"
        subprocess.run(
            command + [f"--screenshot={screenshot}", "--window-size=1200,1600", page],
            capture_output=True,
            timeout=120,
            check=True,
        )
        with Image.open(screenshot) as image:
            assert image.size == (1200, 1600)
            assert np.asarray(image.convert("RGB")).std() > 10  # a rendered page, not a blank one
    pdf = artefacts / "002_still_walk.pdf"
    page = (report / "002_still_walk.html").as_uri()
    subprocess.run(
        command + [f"--print-to-pdf={pdf}", "--no-pdf-header-footer", page], capture_output=True, timeout=120
    )
    printed = pdf.read_bytes()
    assert printed.startswith(b"%PDF") and re.search(rb"/MediaBox \[0 0 59[45][.\d]* 84[12][.\d]*\]", printed)  # A4
    print(f"report screenshots and PDF: {artefacts}")


def test_chart_leaves_spare_grid_cells_empty():
    assert parameter_chart_png({"speed_m_s": 1.0}).startswith(b"\x89PNG")
