"""The LLM stages end to end on a tiny cohort: SFT samples and their masks, every tiny backbone through both stages
with `agir.fit`, stage chaining and the refusal of a mismatched stage 1, score probabilities."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from helpers import LLM_STAGES, ONE_TRIAL, TOKENIZER_STAGE
from omegaconf import OmegaConf

from agir.config import ReasoningStageConfig, load_config
from agir.data.datamodule import GaitDataModule
from agir.data.padding import collate, decision_flags, pad
from agir.data.sft_samples import SFTView, collate_samples
from agir.fit import main as fit_main
from agir.models.generate import score_probabilities, single_token_choice
from agir.models.llm import LLMConfig, load_backbone
from agir.models.motion_tokenizer import MotionTokenizer
from agir.tasks.reasoning import ReasoningSFTModule
from agir.tasks.sft import batch_logits, token_terms
from agir.text.prompts import EVIDENCE_MODES, IGNORE_INDEX, SFTExample, encode_example, evidence_line, with_decision
from agir.text.rationale import OVERALL
from agir.text.score import SCORES

BACKBONES = Path(__file__).resolve().parents[1] / "configs" / "backbones"


@pytest.fixture(scope="module")
def base_run(tmp_path_factory) -> Path:
    """A corpus and a motion tokenizer trained once for every test here."""
    run = tmp_path_factory.mktemp("base")
    assert (
        fit_main(
            [
                "--config",
                "configs/tokenizer.yaml",
                *ONE_TRIAL,
                *TOKENIZER_STAGE,
                f"run.out_dir={run}",
                f"data.corpus_dir={run}/corpus",
            ]
        )
        == 0
    )
    return run


def _stage_args(base_run: Path, run: Path, *extra: str) -> list[str]:
    return [
        *ONE_TRIAL,
        *LLM_STAGES,
        f"run.out_dir={run}",
        f"data.corpus_dir={base_run}/corpus",
        f"generative.motion_tokenizer={base_run}/tokenizer",
        f"reasoning.motion_tokenizer={base_run}/tokenizer",
        *extra,
    ]


@pytest.mark.parametrize("evidence", EVIDENCE_MODES)
def test_sft_samples_supervise_exactly_the_answer_and_eos(base_run, evidence):
    config = load_config("configs/demo.yaml", _stage_args(base_run, base_run))
    datamodule = GaitDataModule(config.data, config.seed, split_file=base_run / "splits.json")
    datamodule.setup()
    llm = OmegaConf.to_object(config.llm)
    model, tokenizer, vocabulary = load_backbone(llm, ["Foot: short steps. Score: 2"] * 4, codebook_size=32)
    tasks = {"motion_to_description": 1.0, "description_to_motion": 1.0, "motion_to_rationale": 1.0}
    view = SFTView(
        tasks,
        tokenizer,
        vocabulary,
        max_length=512,
        use_chat_template=True,
        batch_size=4,
        code_offsets=3,
        evidence=evidence,
    )
    datamodule.connect(MotionTokenizer.from_pretrained(base_run / "tokenizer"), view)
    train = datamodule.train_dataloader().dataset
    assert len(train) == 3 * len(datamodule.items["train"])
    offsets = datamodule.codes[datamodule.items["train"][0].id]
    assert len(offsets) == 3 and len({tuple(codes) for codes in offsets}) > 1, "offsets give other code sequences"
    evaluation = datamodule.val_dataloader().dataset
    assert len(evaluation) == 3 * len(datamodule.items["val"])
    for sample in [evaluation[i] for i in range(len(evaluation))]:
        labels, ids = sample.example.labels, sample.example.input_ids
        prompt_length = len(sample.prompt_ids)
        assert ids[:prompt_length] == sample.prompt_ids
        assert all(label == IGNORE_INDEX for label in labels[:prompt_length])
        assert labels[prompt_length:] == ids[prompt_length:]
        assert labels[-1] == tokenizer.eos_token_id
        assert tokenizer.decode(labels[prompt_length:-1]) == sample.answer
        item = next(it for it in datamodule.items["val"] if it.id == sample.item_id)
        expected = {
            "motion_to_rationale": item.rationale,
            "motion_to_description": item.description,
            "description_to_motion": vocabulary.as_text(datamodule.codes[item.id][0].tolist()),
        }
        assert sample.answer == expected[sample.task]
        reads_motion = sample.task != "description_to_motion"
        line = evidence_line(item.parameters, evidence) if reads_motion else None
        assert ("Measured gait parameters:" in sample.prompt) == (line is not None)
        if line is not None:
            assert sample.prompt.endswith(f"\nMeasured gait parameters: {line}.")
        if reads_motion:
            assert vocabulary.as_text(datamodule.codes[item.id][0].tolist()) in sample.prompt
        decision = sample.example.decision_start
        if sample.task == "motion_to_rationale":  # the decision: all the rationale says after `Overall:`
            assert tokenizer.decode(labels[decision:-1]).strip() == sample.answer.split(OVERALL)[-1].strip()
        else:
            assert decision is None
    samples = [evaluation[i] for i in range(len(evaluation))]  # every task: decisions and none
    batch = collate_samples(samples, tokenizer.pad_token_id)
    for row, sample in enumerate(samples):
        flags = decision_flags(sample.example)
        assert batch["decision_mask"][row].tolist() == flags + [0] * (batch["decision_mask"].shape[1] - len(flags))


@pytest.mark.parametrize("name", sorted(p.stem for p in BACKBONES.glob("tiny-*.yaml")))
def test_every_tiny_backbone_runs_both_llm_stages_chained(base_run, tmp_path, name, capsys):
    run = tmp_path / "run"
    args = [
        "--config",
        "configs/demo.yaml",
        "--config",
        f"configs/backbones/{name}.yaml",
        *_stage_args(base_run, run, "pipeline=[generative,reasoning]"),
    ]
    assert fit_main(args) == 0
    for stage in ("generative", "reasoning"):
        metadata = json.loads((run / stage / "metadata.json").read_text())
        assert metadata["stage"] == stage and metadata["steps"] == 2
        assert metadata["architecture"].startswith(name.removeprefix("tiny-")[:4])
        assert metadata["motion_tokenizer_hash"] == MotionTokenizer.hash_of(base_run / "tokenizer")
        assert (run / stage / "adapter" / "adapter_config.json").is_file()
        assert (run / stage / "checkpoints" / "last.ckpt").is_file()
    assert json.loads((run / "reasoning" / "metadata.json").read_text())["init_from"] == str(run / "generative")
    metrics = json.loads((run / "reasoning" / "metrics.json").read_text())
    for key in ("val_accuracy", "val_macro_f1", "val_qwk", "val_invalid_rate", "test_macro_f1"):
        assert key in metrics
    predictions = [json.loads(line) for line in (run / "reasoning" / "predictions_test.jsonl").read_text().splitlines()]
    split = json.loads((run / "splits.json").read_text())
    assert len(predictions) == len(split["test"])  # one trial per subject in this cohort
    for prediction in predictions:
        assert prediction["score"] in (None, *SCORES)
        assert sum(prediction["probabilities"].values()) == pytest.approx(1.0, abs=1e-5)
    report = json.loads((run / "report.json").read_text())
    assert {"agir", "baseline", "split", "example"} <= report.keys()
    assert report["agir"]["n"] == report["baseline"]["n"] == len(predictions)
    assert "held-out subjects" in capsys.readouterr().out


def test_stage_two_refuses_a_stage_one_of_another_motion_tokenizer(base_run, tmp_path, capsys):
    first = tmp_path / "first"
    assert fit_main(["--config", "configs/generative.yaml", *_stage_args(base_run, first)]) == 0
    other = tmp_path / "other"
    assert (
        fit_main(
            [
                "--config",
                "configs/tokenizer.yaml",
                *ONE_TRIAL,
                *TOKENIZER_STAGE,
                "seed=99",
                "tokenizer.model.codebook_size=16",
                f"run.out_dir={other}",
                f"data.corpus_dir={base_run}/corpus",
            ]
        )
        == 0
    )
    capsys.readouterr()
    code = fit_main(
        [
            "--config",
            "configs/reasoning.yaml",
            *_stage_args(
                base_run,
                tmp_path / "second",
                f"reasoning.init_from={first}/generative",
                f"reasoning.motion_tokenizer={other}/tokenizer",
            ),
        ]
    )
    error = capsys.readouterr().err
    assert code == 1
    assert "does not fit this run" in error and "motion tokenizer hash" in error and "16" in error
    assert not (tmp_path / "second" / "reasoning" / "metadata.json").exists()

    code = fit_main(
        [
            "--config",
            "configs/reasoning.yaml",
            *_stage_args(base_run, tmp_path / "third", f"reasoning.init_from={tmp_path}/missing"),
        ]
    )
    assert code == 1 and "no finished stage to continue" in capsys.readouterr().err


def test_answers_that_cannot_fit_fail_before_training_with_the_fix(base_run, tmp_path, capsys):
    code = fit_main(["--config", "configs/generative.yaml", *_stage_args(base_run, tmp_path, "llm.max_length=40")])
    error = capsys.readouterr().err
    assert code == 1 and "do not fit llm.max_length=40" in error and "raise llm.max_length" in error
    assert not (tmp_path / "generative" / "checkpoints").exists()


def _tiny_llm() -> LLMConfig:
    llm = LLMConfig()
    llm.scratch.hidden_size, llm.scratch.num_layers, llm.scratch.intermediate_size = 32, 1, 64
    llm.scratch.num_heads, llm.scratch.text_vocab_size = 2, 300
    return llm


def test_score_probabilities_are_a_distribution_that_follows_training():
    llm = _tiny_llm()
    texts = ["Foot: slow. Overall: impaired.\nScore: 2", "Assess this walk."]
    model, tokenizer, _ = load_backbone(llm, texts * 4)
    prompts, rationales = ["Assess this walk."] * 3, ["Foot: slow. Overall: impaired.\nScore: 2", "no verdict", ""]
    before = score_probabilities(model, tokenizer, prompts, rationales, 128, True)
    assert before.shape == (3, 4)
    torch.testing.assert_close(before.sum(1), torch.ones(3, dtype=before.dtype))
    batch = collate([encode_example(tokenizer, prompts[0], texts[0], 128)], tokenizer.pad_token_id)
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-2)
    for _ in range(30):
        model(**batch).loss.backward()
        optimizer.step()
        optimizer.zero_grad()
    model.eval()
    after = score_probabilities(model, tokenizer, prompts[:1], rationales[:1], 128, True)
    assert after[0].argmax() == 2 and after[0, 2] > before[0, 2]


def test_decision_weight_counts_each_decision_token_that_many_times():
    llm = _tiny_llm()
    answers = ["Foot: slow. Arm: reduced.\nOverall: impaired.\nScore: 2", "Foot: typical.\nOverall: normal.\nScore: 0"]
    model, tokenizer, vocabulary = load_backbone(llm, answers * 4)
    examples = [with_decision(tokenizer, encode_example(tokenizer, "Assess.", a, 128), OVERALL) for a in answers]
    batch = collate(examples, tokenizer.pad_token_id)
    batch |= {"decision_mask": pad([decision_flags(e) for e in examples], 0, "right"), "item_ids": ["a", "b"]}
    with torch.no_grad():
        losses, _, supervised = token_terms(batch_logits(model, batch), batch["labels"])
        decided = batch["decision_mask"][:, 1:].bool() & supervised
        findings = supervised & ~decided
        expected = (losses[findings].sum() + 4 * losses[decided].sum()) / (findings.sum() + 4 * decided.sum())
        losses_by_weight = {}
        for weight in (1.0, 4.0):
            config = ReasoningStageConfig(decision_weight=weight)
            module = ReasoningSFTModule(model, tokenizer, vocabulary, config, llm)
            losses_by_weight[weight] = module.training_step(batch, 0)
    torch.testing.assert_close(losses_by_weight[4.0], expected)
    torch.testing.assert_close(losses_by_weight[1.0], losses[supervised].mean())
    assert 0 < decided.sum() < supervised.sum() and not torch.isclose(losses_by_weight[4.0], losses_by_weight[1.0])


def test_score_choice_is_one_token_only_where_the_answers_differ_in_one_supervised_token():
    def example(ids, prompt=2):
        return SFTExample(ids, [IGNORE_INDEX] * prompt + ids[prompt:])

    assert single_token_choice([example([5, 6, 7, 10 + k, 2]) for k in SCORES]) == (3, [10, 11, 12, 13])
    # a score written as two tokens for some candidates, or differing in two places: the whole-answer fallback
    assert single_token_choice([example([5, 6, 7, 10 + k] + [1] * (k == 3) + [2]) for k in SCORES]) is None
    assert single_token_choice([example([5, 6, 20 + k, 10 + k, 2]) for k in SCORES]) is None
    # differing inside the prompt is not a score token
    assert single_token_choice([example([5, 10 + k, 7, 8, 2], prompt=3) for k in SCORES]) is None
