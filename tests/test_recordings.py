"""Corpus sources from recordings: a folder of files plus a labels CSV, bad items skipped and reported."""

import json
from pathlib import Path

import numpy as np
import pytest
from helpers import bvh_text, lab_markers, synthetic_walk, walking_rest_pose, write_c3d, write_pickle

from agir.config import load_config
from agir.data.__main__ import main as data_main
from agir.data.corpus import build_corpus, corpus_is_current, read_manifest
from agir.motion.synth import make_cohort


@pytest.fixture(scope="module")
def walks():
    """Three short synthetic walks (30 fps canonical joints) with their scores."""
    cohort = make_cohort(3, 1, seed=7, walk_distance_m=3.0)
    return [(trials[0].joints, subject.score) for subject, trials in cohort]


def test_every_shipped_data_config_loads():
    for path in sorted(Path("configs/data").glob("*.yaml")):
        config = load_config(path)
        assert config.data.source in ("synthetic", "carepd", "humanml3d", "bvh", "c3d"), path


def test_humanml3d_folder_and_labels_become_a_corpus_with_skips_reported(tmp_path, walks):
    joints_dir = tmp_path / "hml" / "new_joints"
    joints_dir.mkdir(parents=True)
    for name, (joints, _) in zip(("000001", "000002", "000003"), walks, strict=True):
        np.save(joints_dir / f"{name}.npy", joints)
    gap = walks[0][0].copy()
    gap[5, 3] = np.nan  # a one-frame gap is filled, and the manifest says so
    np.save(joints_dir / "000001.npy", gap)
    broken = walks[1][0].copy()
    broken[:, 3] = np.nan  # a joint never seen leaves nothing to keep
    np.save(joints_dir / "000002.npy", broken)
    (tmp_path / "labels.csv").write_text(
        "subject,trial,score,medication\n"
        f"P1,new_joints/000001,{walks[0][1]},on\n"
        f"P2,new_joints/000002,{walks[1][1]},off\n"
        "P4,new_joints/000004,1,off\n"
    )  # 000003 has no label; 000004 no recording
    config = load_config(
        "configs/data/humanml3d.yaml",
        [
            f"data.recordings.root={tmp_path / 'hml'}",
            f"data.recordings.labels_csv={tmp_path / 'labels.csv'}",
            "data.recordings.fps=30",
            f"data.corpus_dir={tmp_path / 'c'}",
        ],
    )
    corpus = build_corpus(config.data, config.seed, progress=None)
    [item] = read_manifest(corpus)
    assert (item.id, item.subject, item.score, item.fps) == ("P1_new_joints_000001", "P1", walks[0][1], 30.0)
    assert item.extras["medication"] == "on" and item.extras["trial"] == "new_joints/000001"
    assert item.extras["reading_notes"][0].startswith("filled 1 gap of up to 0.2 s by spline interpolation")
    assert item.parameters["speed_m_s"] is not None and item.rationale.endswith(f"Score: {walks[0][1]}")
    skipped = json.loads((corpus / "corpus.json").read_text())["skipped"]
    assert sorted(skipped) == ["P2_new_joints_000002", "P4_new_joints_000004", "unlabelled_new_joints_000003"]
    assert "000002.npy: no part of at least 8 frames without gaps" in skipped["P2_new_joints_000002"]
    assert "gaps at spine1 frames 0-" in skipped["P2_new_joints_000002"]
    assert "no label for trial 'new_joints/000003'" in skipped["unlabelled_new_joints_000003"]
    assert "has a label but no recording" in skipped["P4_new_joints_000004"]
    assert corpus_is_current(config.data, config.seed, corpus)
    np.save(joints_dir / "000003.npy", walks[0][0][:-3])  # an edited recording makes the corpus stale
    assert not corpus_is_current(config.data, config.seed, corpus)


def test_carepd_cohort_pickle_labels_come_from_the_walks(tmp_path, walks):
    (tmp_path / "pkl").mkdir()
    cohort = {
        f"SUB{i}": {"walk_1": {"joints": joints, "fps": 30.0, "UPDRS_GAIT": score, "medication": "off"}}
        for i, (joints, score) in enumerate(walks[:2])
    }
    cohort["SUB9"] = {"walk_1": {"joints": walks[2][0], "fps": 30.0, "UPDRS_GAIT": None}}
    write_pickle(tmp_path / "pkl" / "cohort.pkl", cohort)
    config = load_config(
        "configs/data/carepd.yaml",
        [f"data.recordings.root={tmp_path / 'pkl'}", "data.recordings.smpl_model=''", f"data.corpus_dir={tmp_path}/c"],
    )
    corpus = build_corpus(config.data, config.seed, progress=None)
    items = read_manifest(corpus)
    assert [(it.subject, it.score, it.extras["medication"]) for it in items] == [
        ("SUB0", walks[0][1], "off"),
        ("SUB1", walks[1][1], "off"),
    ]
    skipped = json.loads((corpus / "corpus.json").read_text())["skipped"]
    assert list(skipped) == ["SUB9_walk_1"] and "no UPDRS_GAIT score" in skipped["SUB9_walk_1"]


def test_cli_builds_a_bvh_corpus(tmp_path, capsys):
    (tmp_path / "rec" / "S01").mkdir(parents=True)
    (tmp_path / "rec" / "S01" / "walk_1.bvh").write_text(bvh_text(walking_rest_pose(60, 30.0)[:, 0], 0.0254 / 0.45))
    (tmp_path / "labels.csv").write_text("subject,trial,score\nS01,S01/walk_1,1\n")
    assert (
        data_main(
            [
                "build",
                "--config",
                "configs/data/bvh.yaml",
                f"data.recordings.root={tmp_path / 'rec'}",
                f"data.recordings.labels_csv={tmp_path / 'labels.csv'}",
                f"data.corpus_dir={tmp_path / 'c'}",
            ]
        )
        == 0
    )
    assert "1 trials of 1 subjects" in capsys.readouterr().out
    [item] = read_manifest(tmp_path / "c")
    assert item.layout == "cmu_bvh" and item.id == "S01_S01_walk_1"
    assert (
        data_main(
            [
                "build",
                "--config",
                "configs/data/bvh.yaml",
                "data.recordings.root=/nonexistent",
                f"data.recordings.labels_csv={tmp_path / 'labels.csv'}",
            ]
        )
        == 1
    )
    assert "data.recordings.root '/nonexistent' is not a folder" in capsys.readouterr().err


def test_c3d_corpus_of_another_lab_reads_through_the_marker_map_and_gap_keys(tmp_path):
    pytest.importorskip("ezc3d", reason="C3D reading needs the optional ezc3d package (pip install 'agir[c3d]')")
    body = synthetic_walk(150.0)[:450]
    (tmp_path / "rec").mkdir()
    renamed = {"Lab_" + name: trajectory for name, trajectory in lab_markers(body).items()}
    gappy = {name: trajectory.copy() for name, trajectory in renamed.items()}
    gappy["Lab_L.Knee"][200:212] = np.nan
    write_c3d(tmp_path / "rec" / "walk_1.c3d", renamed, fps=150.0)
    write_c3d(tmp_path / "rec" / "walk_2.c3d", gappy, fps=150.0)
    write_c3d(tmp_path / "rec" / "walk_3.c3d", lab_markers(body), fps=150.0)  # another lab's names: not in the map
    sides = (("left", "L"), ("right", "R"))
    markers = {f"{side}_hip": [f"Lab_{s}.ASIS", f"Lab_{s}.PSIS"] for side, s in sides}
    markers |= {f"{side}_knee": [f"Lab_{s}.Knee", f"Lab_{s}.Knee.Medial"] for side, s in sides}
    markers |= {f"{side}_ankle": [f"Lab_{s}.Ankle", f"Lab_{s}.Ankle.Medial"] for side, s in sides}
    (tmp_path / "markers.json").write_text(json.dumps(markers))
    (tmp_path / "labels.csv").write_text("subject,trial,score\nS01,walk_1,1\nS01,walk_2,1\nS02,walk_3,2\n")
    config = load_config(
        "configs/data/c3d.yaml",
        [
            f"data.recordings.root={tmp_path / 'rec'}",
            f"data.recordings.labels_csv={tmp_path / 'labels.csv'}",
            f"data.recordings.markers={tmp_path / 'markers.json'}",
            "data.recordings.up=z",
            "data.recordings.max_gap_s=0.1",
            f"data.corpus_dir={tmp_path / 'c'}",
        ],
    )
    corpus = build_corpus(config.data, config.seed, progress=None)
    items = {item.id: item for item in read_manifest(corpus)}
    assert sorted(items) == ["S01_walk_1", "S01_walk_2"] and items["S01_walk_1"].layout == "custom_markers"
    notes = items["S01_walk_2"].extras["reading_notes"]
    assert any(note.startswith("filled 1 gap of up to 0.1 s by spline interpolation") for note in notes)
    assert not any(note.startswith("up axis") for note in notes)  # given, not detected
    skipped = json.loads((corpus / "corpus.json").read_text())["skipped"]
    assert list(skipped) == ["S02_walk_3"] and "walk_3.c3d: markers do not fit custom_markers" in skipped["S02_walk_3"]
