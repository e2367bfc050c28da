"""Own rationales in a corpus: the AGIR authors' BMCLab format (one JSON object, walk name -> text, no score line)
over a CARE-PD-style cohort pickle, with missing and extra ids counted, and free text checked honestly."""

import json

import pytest
from helpers import write_pickle

from agir.assess import format_text
from agir.config import ConfigError, load_config
from agir.data.__main__ import main as data_main
from agir.data.corpus import build_corpus, corpus_is_current, read_manifest
from agir.data.own_texts import labelled_rationale, read_texts
from agir.motion.gait_parameters import PARAMETER_KEYS
from agir.motion.synth import make_cohort
from agir.text.assessment import Abstention, build_assessment
from agir.text.faithfulness import check_faithfulness, claims_summary, summarize_faithfulness
from agir.viz.html_report import write_report

AUTHORS_TEXT = (
    "Foot: The walking speed and cadence are reduced, with irregularities in both step length and width. "
    "Arm: There is reduced arm swing and minimal arm movement. Overall: The individual shows noticeable gait "
    "impairment but can still walk independently."
)


@pytest.fixture(scope="module")
def bmclab(tmp_path_factory):
    """A CARE-PD-style pickle of 4 walks named like BMCLab's (SUB01_off_walk_1, ...)."""
    root = tmp_path_factory.mktemp("bmclab")
    (root / "pkl").mkdir()
    cohort = make_cohort(2, 2, seed=5, walk_distance_m=3.0)
    walks = {}
    for number, (subject, trials) in enumerate(cohort, start=1):
        name = f"SUB0{number}"
        walks[name] = {
            f"{name}_off_walk_{k + 1}": {"joints": t.joints, "fps": 30.0, "UPDRS_GAIT": subject.score}
            for k, t in enumerate(trials)
        }
    write_pickle(root / "pkl" / "BMCLab.pkl", walks)
    scores = {walk: data["UPDRS_GAIT"] for subject in walks.values() for walk, data in subject.items()}
    return root, scores


def corpus_config(root, texts, *overrides):
    return load_config(
        "configs/data/carepd.yaml",
        [
            f"data.recordings.root={root / 'pkl'}",
            "data.recordings.smpl_model=''",
            f"data.corpus_dir={root / 'corpus'}",
            f"data.texts.rationales={texts}",
            "data.dataset=BMCLab",
            *overrides,
        ],
    )


def test_authors_json_with_missing_and_extra_ids(bmclab):
    root, scores = bmclab
    walks = sorted(scores)
    texts = {walk: AUTHORS_TEXT for walk in walks[:3]}  # the fourth walk has no rationale
    texts["SUB09_on_walk_2"] = AUTHORS_TEXT  # a trial that is not in the pickles
    texts[walks[2]] = f"{AUTHORS_TEXT}\nScore: {(scores[walks[2]] + 1) % 4}"  # disagrees with the label
    (root / "rationales.json").write_text(json.dumps(texts))
    config = corpus_config(root, root / "rationales.json")
    corpus = build_corpus(config.data, config.seed, progress=None)
    items = read_manifest(corpus)
    assert sorted(item.extras["trial"] for item in items) == walks[:2]
    for item in items:
        assert item.dataset == "BMCLab" and item.extras["rationale_source"] == "own"
        assert item.rationale == f"{AUTHORS_TEXT}\nScore: {item.score}"
        assert "Score:" not in item.description  # descriptions stay generated
    info = json.loads((corpus / "corpus.json").read_text())
    report = info["texts"]["BMCLab"]["rationales"]
    assert (report["texts"], report["matched"], report["missing"]) == (4, 2, 1)
    assert report["unmatched_ids"] == ["SUB09_on_walk_2"]
    subject = walks[3].split("_")[0]
    assert report["missing_ids"] == [f"{subject}_{walks[3]}"]
    assert list(report["refused"]) == [f"{walks[2].split('_')[0]}_{walks[2]}"]
    assert "score line says" in next(iter(report["refused"].values()))
    reasons = info["skipped"]
    assert len(reasons) == 2 and all(str(root / "rationales.json") in reason for reason in reasons.values())
    assert corpus_is_current(config.data, config.seed, corpus)
    (root / "rationales.json").write_text(json.dumps(texts | {walks[3]: AUTHORS_TEXT}))
    assert not corpus_is_current(config.data, config.seed, corpus)  # an edited text file is a new corpus

    generated = corpus_config(root, root / "rationales.json", "data.texts.missing=generate")
    (root / "rationales.json").write_text(json.dumps({walks[0]: AUTHORS_TEXT}))
    items = read_manifest(build_corpus(generated.data, generated.seed, progress=None))
    sources = sorted(item.extras["rationale_source"] for item in items)
    assert sources == ["generated", "generated", "generated", "own"]


def test_jsonl_and_csv_texts_and_refusals(tmp_path):
    (tmp_path / "a.jsonl").write_text('{"id": "w1", "text": "Slow gait."}\n\n{"id": "w2", "text": "Typical."}\n')
    assert read_texts(tmp_path / "a.jsonl") == {"w1": "Slow gait.", "w2": "Typical."}
    (tmp_path / "a.csv").write_text('id,text\nw1,"Slow, short steps."\n')
    assert read_texts(tmp_path / "a.csv") == {"w1": "Slow, short steps."}
    bad = {
        "list.json": ("[1, 2]", "must be one JSON object mapping ids to texts, not a list"),
        "dup.jsonl": ('{"id": "w", "text": "a"}\n{"id": "w", "text": "b"}\n', r"dup.jsonl:2: id 'w' has a text"),
        "cols.csv": ("trial,rationale\nw,a\n", "CSV needs columns id and text"),
        "empty.json": ('{"w": " "}', "the text must be a non-empty string"),
        "texts.txt": ("w: a", "texts must be a .json object or .jsonl/.csv"),
    }
    for name, (content, message) in bad.items():
        (tmp_path / name).write_text(content)
        with pytest.raises(ValueError, match=message) as error:
            read_texts(tmp_path / name)
        assert str(error.value).startswith(str(tmp_path / name)) and "\n" not in str(error.value)
    assert labelled_rationale("Slow.\nScore: 2\n", 2) == "Slow.\nScore: 2"
    with pytest.raises(ValueError, match="not a score line"):
        labelled_rationale("Slow.\nScore: 5", 2)
    with pytest.raises(ConfigError, match="data.texts.missing must be skip or generate"):
        load_config("configs/data/synthetic.yaml", ["data.texts.missing=fill"])


def test_unreadable_texts_file_is_one_line_error(tmp_path, capsys):
    (tmp_path / "r.json").write_text("{not json")
    args = ["build", "--config", "configs/data/synthetic.yaml", f"data.corpus_dir={tmp_path / 'c'}"]
    assert data_main([*args, "data.synthetic.n_subjects=3", f"data.texts.rationales={tmp_path / 'r.json'}"]) == 1
    error = capsys.readouterr().err.strip()
    assert error.startswith(f"error: {tmp_path / 'r.json'}: not valid JSON") and "\n" not in error


def test_free_text_rationales_have_no_measured_claims():
    parameters = {"speed_m_s": 0.8, "cadence_steps_min": 100.0, "stride_length_m": 0.9}
    check = check_faithfulness(f"{AUTHORS_TEXT}\nScore: 2", parameters, 2)
    assert check["fraction"] is None and check["n_claims"] == 0
    summary = summarize_faithfulness([check, check])
    assert summary["numeric_claims"] == 0
    sentence = claims_summary(summary)
    assert sentence.startswith("AGIR rationales: no measured claims (they cite no number); ")
    assert "nan" not in sentence and "None" not in sentence


def test_assess_text_and_report_page_say_no_measured_claims(tmp_path):
    parameters = dict.fromkeys(PARAMETER_KEYS) | {"speed_m_s": 0.8, "cadence_steps_min": 100.0, "reasons": {}}
    text = f"{AUTHORS_TEXT}\nScore: 2"
    assessment = build_assessment("walk.npz", text, [0.1, 0.2, 0.6, 0.1], parameters, Abstention(min_coverage=0.0))
    assert "faithfulness: no measured claims (the rationale cites no number)" in format_text(assessment)
    write_report(tmp_path, [assessment.to_json()], {})
    page = next(tmp_path.glob("001_*.html")).read_text()
    assert "<dt>Numbers</dt><dd>no measured claims" in page and "numbers match the measurements" not in page
