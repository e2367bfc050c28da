"""Structured configuration: dataclass schemas, YAML files with `defaults:`, and `key=value` command-line overrides.

A config file may start with `defaults: [data/synthetic, trainer/cpu]`: those files (relative to the `configs/`
folder that holds the file, `.yaml` optional) are merged first, in order, then the file itself, then the command
line. Any key the schema does not know is an error that names it and lists the valid keys at that level.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, get_type_hints

from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from agir.data.data_config import BATCHING, DataConfig
from agir.models.llm_config import LLMConfig
from agir.models.vqvae_config import VQVAEConfig
from agir.text.assessment import DEFAULT_MIN_CONFIDENCE, DEFAULT_MIN_COVERAGE, Abstention
from agir.text.prompts import Evidence, stage_evidence


class ConfigError(ValueError):
    """A config file or override that does not fit the schema."""


# What `trainer.logger` may name: csv is built in, the others are optional extras (`pip install 'agir[wandb]'`).
LOGGERS = ("csv", "tensorboard", "wandb", "mlflow")


@dataclass
class RunConfig:
    name: str = "default"
    # Every output of a run goes under this folder.
    out_dir: str = "checkpoints/${run.name}"
    # Continue each stage from its last.ckpt when one exists.
    resume: bool = False
    # How often last.ckpt is rewritten: the most training a crash can cost.
    checkpoint_every_n_steps: int = 200
    # Each DDP rank writes <stage>/ranks/rank<N>.json: hashes of its trained weights and the metrics it computed,
    # to check that ranks stay in sync (agir.tasks.rank_fingerprint).
    rank_fingerprints: bool = False


@dataclass
class TrainerConfig:
    """Passed as keyword arguments to `lightning.Trainer`, except `logger` (agir.pipeline.loggers builds it)."""

    accelerator: str = "cpu"
    devices: Any = 1
    num_nodes: int = 1
    strategy: str = "auto"
    precision: str = "32-true"
    check_val_every_n_epoch: Any = None
    log_every_n_steps: int = 25
    accumulate_grad_batches: int = 1
    gradient_clip_val: Any = None
    deterministic: bool = False
    enable_progress_bar: bool = True
    num_sanity_val_steps: int = 0
    # Where each stage logs: csv (<stage>/logs/metrics.csv), tensorboard (<stage>/logs/), wandb (offline unless
    # WANDB_MODE says otherwise) or mlflow (a file store under <run>/mlruns unless MLFLOW_TRACKING_URI is set).
    logger: str = "csv"

    def __post_init__(self) -> None:
        if self.logger not in LOGGERS:
            raise ConfigError(f"trainer.logger must be one of {', '.join(LOGGERS)}, not {self.logger!r}")


@dataclass
class StageBudget:
    """Each stage's own budget in optimizer steps, so one pipeline config can give each stage what it needs."""

    max_steps: int = 1000
    val_check_interval: int = 250
    lr: float = 2e-4
    weight_decay: float = 0.0
    warmup_steps: int = 100

    def __post_init__(self) -> None:
        if self.max_steps < 1 or self.val_check_interval < 1:
            raise ConfigError(
                f"max_steps and val_check_interval must be at least 1, got {self.max_steps} and "
                f"{self.val_check_interval}"
            )


@dataclass
class TokenizerStageConfig(StageBudget):
    model: VQVAEConfig = field(default_factory=VQVAEConfig)
    velocity_weight: float = 0.5


@dataclass
class SFTStageConfig(StageBudget):
    """What both LLM stages share."""

    # The motion tokenizer whose codes become `<motion_i>` tokens.
    motion_tokenizer: str = "${run.out_dir}/tokenizer"
    batch_size: int = 16
    # Training sees each walk encoded from every frame offset within one code (codes span 2**down_t frames): as many
    # distinct code sequences of the same motion, which the model must read alike.
    code_offsets: int = 4
    max_new_tokens: int = 256
    generation_batch_size: int = 48
    # What motion prompts give beside the motion tokens (agir.text.prompts.evidence_line): motion (nothing), parameters
    # (the values measured from the motion, agir.motion.gait_parameters) or graded (each value with its grade under
    # the norms, each unmeasured parameter with its reason, as a measurement tool reports them to a clinician).
    evidence: Evidence = "motion"
    # How training batches are laid out (agir.data.batching); the samples of each step and the loss are the same:
    # padded (random batches padded to their longest sample), bucketed (batches of similar length, in random order),
    # packed (each batch's samples concatenated into rows of llm.max_length, attention kept within each sample).
    # Evaluation batches are always padded. Bucketed by default: 1.33x the samples/s of a plain Hugging Face Trainer
    # (padded 0.87x; benchmarks/sft.py), and it resumes to the same batches as random order does (tests).
    batching: str = "bucketed"

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.batch_size < 1 or self.code_offsets < 1 or self.max_new_tokens < 1 or self.generation_batch_size < 1:
            raise ConfigError("batch_size, code_offsets, max_new_tokens and generation_batch_size must be at least 1")
        if self.batching not in BATCHING:
            raise ConfigError(f"batching must be one of {', '.join(BATCHING)}, not {self.batching!r}")


@dataclass
class GenerativeStageConfig(SFTStageConfig):
    # Share of training examples that go description -> motion; the rest go motion -> description.
    description_to_motion: float = 0.5
    # Sample generations written (and logged) at each validation.
    samples_per_validation: int = 3

    def __post_init__(self) -> None:
        super().__post_init__()
        if not 0 <= self.description_to_motion <= 1:
            raise ConfigError(f"generative.description_to_motion must lie in [0, 1], got {self.description_to_motion}")


@dataclass
class ReasoningStageConfig(SFTStageConfig):
    # The stage-1 folder this stage continues; null starts from the bare backbone.
    init_from: str | None = "${run.out_dir}/generative"
    # Graded by default: on the demo cohort it scores at least as well as motion alone (README, "Evidence modes"),
    # and it tells the model which parameters were not measured and why, so its reasoning can say so.
    evidence: Evidence = "graded"
    # Generated rationales cite the measured value wherever they start a number that their words tie to a measured
    # parameter (agir.models.grounding); false leaves every number to the model, to see what it reads off the codes.
    grounded_numbers: bool = True
    # Grade words are the measured values' grades wherever the words before them tell which parameters they grade
    # (agir.models.grounding); a stage saved before this option existed is assessed without, as it was validated.
    grounded_grades: bool = True
    # How much each token of a rationale's decision (its `Overall:` part, which weighs the findings into a verdict and
    # the score) counts in the training loss against one of the findings before it. The findings restate the prompt's
    # evidence in drawn phrasings; the score is one token of ~150.
    decision_weight: float = 1.0
    # Below this share of the score-relevant parameters measured (agir.text.assessment.SCORE_KEYS) a prediction has
    # no score, only the reason and the probabilities: 0.5 withholds it from a clip without stride length, speed and
    # turns, not from one without a turn or toes. 0 always gives the model's score.
    min_coverage: float = DEFAULT_MIN_COVERAGE
    # Below this calibrated probability of its own score (the stage's temperature applied) a prediction has no score:
    # 0.5, where the model holds its score less likely than all the others together. 0 always gives it.
    min_confidence: float = DEFAULT_MIN_CONFIDENCE

    def __post_init__(self) -> None:
        super().__post_init__()
        if not self.decision_weight > 0:
            raise ConfigError(f"reasoning.decision_weight must be positive, got {self.decision_weight}")
        try:
            self.abstention()
        except ValueError as error:
            raise ConfigError(f"reasoning.{error}") from None

    def abstention(self) -> Abstention:
        """When this stage's predictions have no score (agir.text.assessment.Abstention)."""
        return Abstention(self.min_coverage, self.min_confidence)


@dataclass
class CVConfig:
    # none: one run on data.split; kfold: `folds` subject-disjoint folds; loso: one fold per subject; lodo: one fold
    # per dataset of a several-source corpus (leave one dataset out). Each fold runs
    # the pipeline into <run>/fold_<k> (agir.pipeline.cv), and <run>/cv.json gathers mean and std over the folds.
    scheme: str = "none"
    folds: int = 5

    def __post_init__(self) -> None:
        if self.scheme not in ("none", "kfold", "loso", "lodo"):
            raise ConfigError(f"cv.scheme must be none, kfold, loso or lodo, not {self.scheme!r}")


STAGES = ("tokenizer", "generative", "reasoning")


@dataclass
class AGIRConfig:
    # Which stage `agir.fit` runs: tokenizer, generative, reasoning, or pipeline (the `pipeline` stages in order).
    stage: str = "tokenizer"
    seed: int = 1234
    pipeline: list[str] = field(default_factory=lambda: list(STAGES))
    run: RunConfig = field(default_factory=RunConfig)
    data: DataConfig = field(default_factory=DataConfig)
    trainer: TrainerConfig = field(default_factory=TrainerConfig)
    tokenizer: TokenizerStageConfig = field(default_factory=TokenizerStageConfig)
    generative: GenerativeStageConfig = field(default_factory=lambda: GenerativeStageConfig(lr=1e-3, warmup_steps=50))
    reasoning: ReasoningStageConfig = field(default_factory=lambda: ReasoningStageConfig(lr=1e-3, warmup_steps=50))
    llm: LLMConfig = field(default_factory=LLMConfig)
    cv: CVConfig = field(default_factory=CVConfig)

    def __post_init__(self) -> None:
        if self.stage not in STAGES + ("pipeline",):
            raise ConfigError(f"unknown stage {self.stage!r}; stages: {', '.join(STAGES)}, pipeline")
        unknown = [name for name in self.pipeline if name not in STAGES]
        if unknown or not self.pipeline:
            raise ConfigError(f"pipeline must list stages among {', '.join(STAGES)}, got {list(self.pipeline)}")


def _check_keys(values: dict, schema: type, where: str) -> None:
    """Raise ConfigError for the first key in `values` that `schema` (a dataclass) does not define."""
    fields = {f.name: f for f in dataclasses.fields(schema)}
    hints = get_type_hints(schema)
    for key, value in values.items():
        path = f"{where}.{key}" if where else str(key)
        if key not in fields:
            level = f"under '{where}'" if where else "at the top level"
            raise ConfigError(f"unknown config key '{path}'; valid keys {level}: {', '.join(fields)}")
        if dataclasses.is_dataclass(hints[key]) and isinstance(value, dict):
            _check_keys(value, hints[key], path)
        element = getattr(hints[key], "__args__", (None,))[0]
        if dataclasses.is_dataclass(element) and isinstance(value, list):
            for index, entry in enumerate(value):
                if isinstance(entry, dict):
                    _check_keys(entry, element, f"{path}[{index}]")


def _retire_measured_parameters(layer: dict) -> None:
    """Configs saved before evidence modes (a run's `<stage>/config.yaml`) set `measured_parameters: true/false` in
    the LLM stages: read it as the evidence mode that gives their prompts, so an old run still evaluates as trained."""
    for stage in ("generative", "reasoning"):
        section = layer.get(stage)
        if isinstance(section, dict) and "measured_parameters" in section:
            section["evidence"] = stage_evidence(section)
            del section["measured_parameters"]


def _read_yaml(path: Path, seen: tuple[Path, ...] = ()) -> list[dict]:
    """The file's `defaults` (recursively) followed by the file itself, as plain dicts."""
    if not path.is_file():
        raise ConfigError(f"{path}: config file not found")
    if path in seen:
        raise ConfigError(f"{path}: defaults include themselves in a cycle")
    try:
        content = OmegaConf.to_container(OmegaConf.load(path)) or {}
    except (OmegaConfBaseException, OSError, ValueError) as error:
        raise ConfigError(f"{path}: not valid YAML ({error})") from None
    if not isinstance(content, dict):
        raise ConfigError(f"{path}: a config file must be a mapping of keys")
    layers: list[dict] = []
    configs_root = next((p for p in path.resolve().parents if p.name == "configs"), path.resolve().parent)
    for name in content.pop("defaults", []) or []:
        include = configs_root / (name if str(name).endswith(".yaml") else f"{name}.yaml")
        layers += _read_yaml(include, seen + (path,))
    return layers + [content]


def load_config(
    paths: str | Path | Sequence[str | Path] | None = None, overrides: Sequence[str] = (), schema: type = AGIRConfig
) -> DictConfig:
    """Schema defaults <- YAML files in order (each with its defaults) <- `key=value` overrides, validated against
    `schema`. A later file overrides an earlier one, e.g. a backbone file after a stage file."""
    if paths is None:
        paths = []
    elif isinstance(paths, (str, Path)):
        paths = [paths]
    layers = [layer for path in paths for layer in _read_yaml(Path(path))]
    for override in overrides:
        if "=" not in override:
            raise ConfigError(f"override {override!r} must look like key=value")
    try:
        layers.append(OmegaConf.to_container(OmegaConf.from_dotlist(list(overrides))))
    except OmegaConfBaseException as error:
        raise ConfigError(f"bad override: {error}") from None
    config = OmegaConf.structured(schema)
    for layer in layers:
        _retire_measured_parameters(layer)
        _check_keys(layer, schema, "")
        try:
            config = OmegaConf.merge(config, layer)
        except (OmegaConfBaseException, ConfigError) as error:
            message = str(error).splitlines()[0]
            key = getattr(error, "full_key", None)
            raise ConfigError(f"invalid config value{f' for {key}' if key else ''}: {message}") from None
    try:
        OmegaConf.resolve(config)
        # Re-running __post_init__ checks on the merged values.
        OmegaConf.to_object(config)
    except (OmegaConfBaseException, ValueError) as error:
        raise ConfigError(str(error).splitlines()[0]) from None
    return config


def save_config(config: DictConfig, path: str | Path) -> None:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    OmegaConf.save(config, path, resolve=True)
