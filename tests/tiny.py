"""Overrides that make `agir.fit` runs tiny enough for tests: a small synthetic cohort, a narrow motion tokenizer,
one-layer scratch backbones, with and without a 4-bit base."""

DATA = [
    "data.synthetic.n_subjects=8",
    "data.synthetic.walk_distance_m=4.0",
    "data.synthetic.missing_share=0.0",
    "data.batch_size=8",
    "data.window=32",
    "data.window_stride=16",
    "trainer.enable_progress_bar=false",
    "trainer.log_every_n_steps=1",
]
TOKENIZER_MODEL = [
    "tokenizer.model.width=32",
    "tokenizer.model.code_dim=16",
    "tokenizer.model.codebook_size=32",
    "tokenizer.model.depth=1",
    "tokenizer.warmup_steps=2",
]
SCRATCH = ["llm.scratch.num_layers=1", "llm.scratch.num_heads=2", "llm.scratch.text_vocab_size=400"]
BACKBONES = {
    "lora": [*SCRATCH, "llm.scratch.hidden_size=32", "llm.scratch.intermediate_size=64"],
    # bitsandbytes runs the 4-bit layers on the CPU; its kernels want widths in multiples of 64.
    "qlora-4bit": [
        *SCRATCH,
        "llm.scratch.hidden_size=64",
        "llm.scratch.intermediate_size=128",
        "llm.quantization=4bit",
        "llm.dtype=bfloat16",
        "llm.scratch.train_base=false",
    ],
}

# The LLM-stage tests' shared run: one trial per subject, a 4-step motion tokenizer, 2-step LLM stages.
ONE_TRIAL = [*DATA, "data.synthetic.trials_per_subject=1"]
TOKENIZER_STAGE = [*TOKENIZER_MODEL, "tokenizer.max_steps=4", "tokenizer.val_check_interval=4"]
LLM_STAGES = [
    *BACKBONES["lora"],
    *(
        f"{stage}.{key}"
        for stage in ("generative", "reasoning")
        for key in ("max_steps=2", "val_check_interval=2", "batch_size=4", "max_new_tokens=12", "warmup_steps=1")
    ),
]
