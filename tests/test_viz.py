"""Pictures: skeleton GIF, parameter chart, claim highlighting and the HTML report, opened in a real browser."""

import random
import shutil
import subprocess

import numpy as np
import pytest
from PIL import Image

from agir.motion.gait_parameters import extract_gait_parameters
from agir.motion.io import Motion
from agir.motion.synth import make_cohort
from agir.text.rationale import rationale
from agir.viz.animate import animate, frame_indices
from agir.viz.charts import parameter_chart_png
from agir.viz.claim_check import check_claims
from agir.viz.html_report import write_report


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
    assessments = [
        {
            "file": "clips/walk.npz",
            "score": 2,
            "probabilities": {"0": 0.05, "1": 0.25, "2": 0.6, "3": 0.1},
            "rationale": text,
            "parameters": parameters,
            "faithfulness": None,
            "error": None,
        },
        {
            "file": "clips/broken.bvh",
            "score": None,
            "probabilities": None,
            "rationale": "",
            "parameters": {},
            "faithfulness": None,
            "error": "clips/broken.bvh: malformed BVH: expected 'ROOT', found 'x'",
        },
    ]
    return assessments, {"clips/walk.npz": motion}


def test_report_pages_are_self_contained_and_errors_are_shown(tmp_path, walk):
    index = write_report(tmp_path, *_assessments(walk))
    listing = index.read_text()
    assert 'href="001_walk.html"' in listing and "Score: 2" in listing and "malformed BVH" in listing
    page = (tmp_path / "001_walk.html").read_text()
    assert 'id="score">Score: 2<' in page and "data:image/gif;base64," in page and "data:image/png;base64," in page
    assert '<mark class="mismatch"' in page and '<mark class="match"' in page and "150 steps/min</mark>" in page
    cadence = walk[1]["cadence_steps_min"]  # typical: "clearly reduced" is a grade mismatch
    assert f"&ldquo;clearly reduced&rdquo; for cadence_steps_min: measured {round(cadence):g}, typical" in page
    assert "http://" not in page and "https://" not in page and "<script" not in page
    assert "Could not assess this file" in (tmp_path / "002_broken.html").read_text()


def _browser() -> str | None:
    return next(
        (found for name in ("chromium", "chromium-browser", "google-chrome") if (found := shutil.which(name))), None
    )


@pytest.mark.skipif(_browser() is None, reason="no chromium/chrome binary found (apt-get install chromium)")
def test_report_opens_in_a_headless_browser_without_console_errors(tmp_path, walk):
    write_report(tmp_path / "report", *_assessments(walk))
    page = (tmp_path / "report" / "001_walk.html").as_uri()
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
    dom = subprocess.run(command + ["--dump-dom", page], capture_output=True, text=True, timeout=120)
    assert 'id="score">Score: 2<' in dom.stdout
    console = [line for line in dom.stderr.splitlines() if "CONSOLE" in line]
    assert not console, console
    screenshot = tmp_path / "page.png"
    subprocess.run(
        command + [f"--screenshot={screenshot}", "--window-size=1200,1600", page],
        capture_output=True,
        timeout=120,
        check=True,
    )
    with Image.open(screenshot) as image:
        assert image.size == (1200, 1600)
        colours = np.asarray(image.convert("RGB"))
        assert colours.std() > 10  # a rendered page, not a blank one


def test_chart_leaves_spare_grid_cells_empty():
    assert parameter_chart_png({"speed_m_s": 1.0}).startswith(b"\x89PNG")
