"""`agir.export` on tiny scratch runs: the merged model is a plain Hugging Face model that computes what the adapter
model computes (LoRA and the trained motion-token rows folded in), next to its tokenizer, motion tokenizer and
metadata; a QLoRA run merges into its dequantized base, not into 4-bit weights."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from tiny import BACKBONES, TOKENIZER_MODEL
from tiny import DATA as TINY_DATA
from transformers import AutoModelForCausalLM, AutoTokenizer

from agir.export import main as export_main
from agir.export import stage_llm_config, unquantized_llm_config
from agir.fit import main as fit_main
from agir.models.llm import load_stage, motion_vocabulary_of
from agir.models.motion_tokenizer import MotionTokenizer
from agir.text.motion_vocab import MOTION_END, MOTION_START, motion_token

DATA = [*TINY_DATA, "data.synthetic.trials_per_subject=1"]
TOKENIZER = [*TOKENIZER_MODEL, "tokenizer.max_steps=4", "tokenizer.val_check_interval=4"]
# A high learning rate moves the adapters and token rows far enough for merged-vs-base differences to show.
REASONING = [
    "reasoning.init_from=null",
    "reasoning.max_steps=3",
    "reasoning.val_check_interval=3",
    "reasoning.batch_size=2",
    "reasoning.max_new_tokens=4",
    "reasoning.warmup_steps=1",
    "reasoning.lr=1e-2",
]


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("export")
    assert fit_main(["--config", "configs/tokenizer.yaml", *DATA, *TOKENIZER, f"run.out_dir={base}"]) == 0
    for name, options in BACKBONES.items():
        assert (
            fit_main(
                [
                    "--config",
                    "configs/reasoning.yaml",
                    *DATA,
                    *REASONING,
                    *options,
                    f"run.out_dir={base}/{name}",
                    f"data.corpus_dir={base}/corpus",
                    f"reasoning.motion_tokenizer={base}/tokenizer",
                ]
            )
            == 0
        )
    return {name: base / name for name in BACKBONES}


def motion_batch(tokenizer) -> dict[str, torch.Tensor]:
    """Text with motion tokens, the rows whose training must survive the merge."""
    motion = MOTION_START + "".join(motion_token(code) for code in (3, 7, 7, 30, 0)) + MOTION_END
    texts = [f"Assess this walk: {motion} Foot: short steps.", f"{motion} Score: 2"]
    return tokenizer(texts, return_tensors="pt", padding=True)


@torch.no_grad()
def logits(model, batch) -> torch.Tensor:
    return model(**batch).logits.float()


def test_the_merged_model_computes_what_the_adapter_model_computes(runs, tmp_path):
    run, out = runs["lora"], tmp_path / "export"
    assert export_main(["--run", str(run), "--out", str(out), "--dtype", "float32"]) == 0
    assert not (out / "model" / "adapter_config.json").exists()
    merged = AutoModelForCausalLM.from_pretrained(out / "model").eval()
    tokenizer = AutoTokenizer.from_pretrained(out / "tokenizer")
    metadata = json.loads((run / "reasoning" / "metadata.json").read_text())
    adapter_model, _, vocabulary, _ = load_stage(run / "reasoning", unquantized_llm_config(metadata, "float32"))
    assert motion_vocabulary_of(tokenizer) == vocabulary
    assert merged.get_input_embeddings().num_embeddings == len(tokenizer)

    batch = motion_batch(tokenizer)
    expected = logits(adapter_model, batch)
    torch.testing.assert_close(logits(merged, batch), expected, rtol=1e-5, atol=1e-5)
    with adapter_model.disable_adapter():
        # Without LoRA and the trained token rows the model is another one: the comparison above can fail.
        assert (logits(adapter_model, batch) - expected).abs().max() > 1e-3

    exported = json.loads((out / "agir.json").read_text())
    assert exported == {**metadata, "merged": True, "exported_from": str(run)}
    assert MotionTokenizer.hash_of(out / "motion_tokenizer") == metadata["motion_tokenizer_hash"]
    assert MotionTokenizer.from_pretrained(out / "motion_tokenizer").codebook_size == vocabulary.codebook_size


def test_a_qlora_run_merges_into_its_dequantized_base(runs, tmp_path):
    run, out = runs["qlora-4bit"], tmp_path / "export"
    assert export_main(["--run", str(run), "--out", str(out)]) == 0
    config = json.loads((out / "model" / "config.json").read_text())
    assert "quantization_config" not in config and config["dtype"] == "bfloat16"
    merged = AutoModelForCausalLM.from_pretrained(out / "model").eval()
    assert {p.dtype for p in merged.parameters()} == {torch.bfloat16}

    # The 4-bit model computes with its dequantized weights too; only bfloat16 rounding differs.
    metadata = json.loads((run / "reasoning" / "metadata.json").read_text())
    quantized, tokenizer, _, _ = load_stage(run / "reasoning", stage_llm_config(metadata))
    assert getattr(quantized.get_base_model(), "is_loaded_in_4bit", False)
    batch = motion_batch(tokenizer)
    torch.testing.assert_close(logits(merged, batch), logits(quantized, batch), rtol=0.05, atol=0.05)


def test_export_refuses_a_run_without_a_reasoning_stage_and_a_used_folder(runs, tmp_path, capsys):
    assert export_main(["--run", str(tmp_path / "nothing"), "--out", str(tmp_path / "a")]) == 1
    assert "no finished reasoning stage" in capsys.readouterr().err
    (tmp_path / "used").mkdir()
    (tmp_path / "used" / "file").write_text("x")
    assert export_main(["--run", str(runs["lora"]), "--out", str(tmp_path / "used")]) == 1
    assert "not empty" in capsys.readouterr().err
