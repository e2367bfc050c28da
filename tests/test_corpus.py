"""Corpus building and the GaitDataModule on a small synthetic cohort."""

import re

import numpy as np
import pytest

from agir.config import load_config
from agir.data.__main__ import main as data_main
from agir.data.corpus import build_corpus, corpus_is_current, read_manifest
from agir.data.datamodule import GaitDataModule
from agir.data.splits import SubjectSplit
from agir.motion.features import FEATURE_DIM
from agir.motion.io import load_motion
from agir.text.rationale import format_value

SMALL = [
    "data.synthetic.n_subjects=12",
    "data.synthetic.trials_per_subject=2",
    "data.synthetic.walk_distance_m=5.0",
    "data.batch_size=4",
    "data.window=32",
    "data.window_stride=16",
]


@pytest.fixture(scope="module")
def config(tmp_path_factory):
    corpus = tmp_path_factory.mktemp("corpus")
    return load_config("configs/data/synthetic.yaml", [*SMALL, f"data.corpus_dir={corpus}"])


@pytest.fixture(scope="module")
def corpus(config):
    return build_corpus(config.data, config.seed, progress=None)


def test_manifest_rows_are_complete_and_consistent(corpus, config):
    items = read_manifest(corpus)
    assert len(items) == 24 and len({it.subject for it in items}) == 12
    assert {it.score for it in items} == {0, 1, 2, 3}
    assert corpus_is_current(config.data, config.seed, corpus)
    for item in items:
        motion = load_motion(corpus / item.path)
        assert motion.joints.shape[1:] == (22, 3) and motion.fps == item.fps == 30.0
        assert item.rationale.splitlines()[-1] == f"Score: {item.score}"
        assert "Score:" not in item.description
        # Texts are written from the measured parameters, and say so with their rounded values.
        speed = item.parameters["speed_m_s"]
        if speed is not None and "m/s" in item.rationale:
            assert format_value("speed_m_s", speed) in item.rationale
        assert set(item.extras["truth"]) >= {"speed_m_s", "stride_length_m"}


def test_build_is_deterministic_and_staleness_is_detected(corpus, config, tmp_path):
    again = build_corpus(config.data, config.seed, out_dir=tmp_path / "again", progress=None)
    assert (again / "manifest.jsonl").read_text() == (corpus / "manifest.jsonl").read_text()
    other = load_config("configs/data/synthetic.yaml", [*SMALL, "data.synthetic.n_subjects=13"])
    assert not corpus_is_current(other.data, other.seed, corpus)


def test_datamodule_splits_by_subject_and_serves_normalized_windows(corpus, config, tmp_path):
    datamodule = GaitDataModule(config.data, config.seed, split_file=tmp_path / "splits.json")
    datamodule.prepare_data()
    datamodule.setup("fit")
    subjects = {part: {it.subject for it in datamodule.items[part]} for part in ("train", "val", "test")}
    assert not (
        subjects["train"] & subjects["val"]
        or subjects["train"] & subjects["test"]
        or subjects["val"] & subjects["test"]
    )
    assert SubjectSplit.load(tmp_path / "splits.json") == datamodule.split
    batch = next(iter(datamodule.train_dataloader()))
    assert batch.shape == (4, 32, FEATURE_DIM) and batch.dtype.is_floating_point
    train = np.concatenate(datamodule.normalized("train"))
    np.testing.assert_allclose(train.mean(0), 0, atol=1e-3)
    # A second DataModule of the same run reuses the saved split, even under another seed.
    again = GaitDataModule(config.data, config.seed + 1, split_file=tmp_path / "splits.json")
    again.setup("fit")
    assert again.split == datamodule.split


def test_bad_manifest_line_is_named(tmp_path):
    (tmp_path / "manifest.jsonl").write_text('{"id": "a"}\n')
    with pytest.raises(ValueError, match=r"manifest.jsonl:1: bad manifest line \(missing keys"):
        read_manifest(tmp_path)


def test_cli_builds_and_summarises(tmp_path, capsys):
    assert (
        data_main(
            [
                "build",
                "--config",
                "configs/data/synthetic.yaml",
                *SMALL[:3],
                "data.synthetic.n_subjects=4",
                f"data.corpus_dir={tmp_path}",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert re.search(r"8 trials of 4 subjects", out)
    assert data_main(["build", "--config", "configs/data/synthetic.yaml", "data.nope=1"]) == 1
    assert "unknown config key 'data.nope'" in capsys.readouterr().err


def test_two_sources_make_one_corpus_with_datasets_and_prefixed_ids(tmp_path, capsys):
    sources = (
        "data.sources=[{dataset: siteA, synthetic: {n_subjects: 3, trials_per_subject: 1, walk_distance_m: 4.0, "
        "seed: 1}}, {dataset: siteB, synthetic: {n_subjects: 3, trials_per_subject: 1, walk_distance_m: 4.0, seed: 2}}]"
    )
    config = load_config("configs/data/synthetic.yaml", [sources, f"data.corpus_dir={tmp_path}"])
    items = read_manifest(build_corpus(config.data, config.seed, progress=None))
    assert [it.dataset for it in items] == ["siteA"] * 3 + ["siteB"] * 3
    assert all(it.subject.startswith(f"{it.dataset}/") and it.id.startswith(f"{it.dataset}/") for it in items)
    # Different seeds: different people, though both cohorts name their subjects S001..S003.
    assert items[0].parameters != items[3].parameters
    assert corpus_is_current(config.data, config.seed, tmp_path)
    renamed = load_config(
        "configs/data/synthetic.yaml", [sources.replace("siteB", "siteC"), f"data.corpus_dir={tmp_path}"]
    )
    assert not corpus_is_current(renamed.data, renamed.seed, tmp_path)
    bad = sources.replace("dataset: siteB,", "dataset: siteB, source: kinect,")
    assert data_main(["build", "--config", "configs/data/synthetic.yaml", bad, f"data.corpus_dir={tmp_path}"]) == 1
    error = capsys.readouterr().err
    assert (
        error.strip() == "error: unknown data.sources[1].source 'kinect'; known sources: synthetic, carepd, "
        "humanml3d, bvh, c3d"
    )
