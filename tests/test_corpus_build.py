"""One corpus build per folder, whoever asks: processes that find a build under way wait for it and use its corpus;
a corpus left half-written by a killed job, or with its manifest cut short, is rebuilt rather than trusted."""

from __future__ import annotations

import subprocess
import sys

import pytest
from helpers import child_env

from agir.config import load_config
from agir.data.corpus import CORPUS_INFO, MANIFEST, build_lock, corpus_is_current, ensure_corpus, read_manifest

COHORT = ["data.synthetic.n_subjects=3", "data.synthetic.trials_per_subject=1", "data.synthetic.walk_distance_m=4.0"]
BUILDS = "building the corpus of synthetic"


def cohort(corpus) -> object:
    return load_config("configs/demo.yaml", [*COHORT, f"data.corpus_dir={corpus}"])


def test_a_corpus_cut_short_or_left_by_a_killed_build_is_rebuilt(tmp_path, capsys):
    config = cohort(tmp_path / "corpus")
    ensure_corpus(config.data, config.seed)
    manifest = tmp_path / "corpus" / MANIFEST
    whole = manifest.read_text()
    assert corpus_is_current(config.data, config.seed, tmp_path / "corpus")

    manifest.write_text(whole.splitlines()[0] + "\n")  # a manifest cut short
    assert not corpus_is_current(config.data, config.seed, tmp_path / "corpus")
    ensure_corpus(config.data, config.seed)
    assert manifest.read_text() == whole

    (tmp_path / "corpus" / CORPUS_INFO).unlink()  # what a build killed before its end leaves
    assert not corpus_is_current(config.data, config.seed, tmp_path / "corpus")
    ensure_corpus(config.data, config.seed)
    assert manifest.read_text() == whole and len(read_manifest(tmp_path / "corpus")) == 3
    assert capsys.readouterr().out.count(BUILDS) == 3


def test_a_build_under_way_is_waited_for_and_a_stuck_one_named(tmp_path):
    config = cohort(tmp_path / "corpus")
    with build_lock(tmp_path / "corpus"), pytest.raises(ValueError, match=r"\.build\.lock: another process"):
        ensure_corpus(config.data, config.seed, wait_s=0.5)
    assert not corpus_is_current(config.data, config.seed, tmp_path / "corpus")


def test_processes_started_together_on_an_empty_folder_build_once(tmp_path):
    code = (
        "import sys; from agir.config import load_config; from agir.data.corpus import ensure_corpus; "
        "c = load_config('configs/demo.yaml', sys.argv[1:]); ensure_corpus(c.data, c.seed)"
    )
    args = [sys.executable, "-c", code, *COHORT, f"data.corpus_dir={tmp_path / 'corpus'}"]
    processes = [
        subprocess.Popen(args, env=child_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for _ in range(2)
    ]
    outputs = [process.communicate(timeout=120)[0] for process in processes]
    assert [process.returncode for process in processes] == [0, 0], outputs
    assert "".join(outputs).count(BUILDS) == 1
    config = cohort(tmp_path / "corpus")
    assert corpus_is_current(config.data, config.seed, tmp_path / "corpus")
