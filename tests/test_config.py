from pathlib import Path

import pytest

from agir.config import ConfigError, load_config, save_config

CONFIGS = Path(__file__).resolve().parents[1] / "configs"


def test_schema_defaults_and_run_dir_interpolation():
    config = load_config(None, ["run.name=trial"])
    assert config.run.out_dir == "checkpoints/trial"
    assert config.data.corpus_dir == "checkpoints/trial/corpus"
    assert config.seed == 1234


def test_yaml_defaults_then_file_then_overrides(tmp_path):
    root = tmp_path / "configs"
    (root / "data").mkdir(parents=True)
    (root / "data" / "small.yaml").write_text("data:\n  batch_size: 4\n  window: 32\n")
    (root / "stage.yaml").write_text("defaults: [data/small]\ndata:\n  window: 16\nseed: 7\n")
    config = load_config(root / "stage.yaml", ["seed=9", "data.split.scheme=kfold"])
    assert (config.data.batch_size, config.data.window, config.seed) == (4, 16, 9)
    assert config.data.split.scheme == "kfold"


@pytest.mark.parametrize(
    "override, message",
    [
        ("data.windw=3", "unknown config key 'data.windw'; valid keys under 'data': source, dataset, synthetic"),
        ("sed=3", "unknown config key 'sed'; valid keys at the top level: stage, seed"),
        ("data.split.scheme=random", "data.split.scheme must be holdout, kfold, loso or lodo"),
        ("data.batch_size=many", "invalid config value"),
        ("trainer.logger=tb", "trainer.logger must be one of csv, tensorboard, wandb, mlflow, not 'tb'"),
        ("reasoning.min_confidence=1.5", "reasoning.min_confidence must lie in"),
        ("novalue", "must look like key=value"),
    ],
)
def test_bad_keys_and_values_are_named(override, message):
    with pytest.raises(ConfigError, match=message.replace("(", r"\(")):
        load_config(None, [override])


def test_evidence_is_one_of_its_modes_and_old_configs_keep_theirs(tmp_path):
    with pytest.raises(ConfigError) as error:
        load_config(None, ["reasoning.evidence=numbers"])
    assert str(error.value) == (
        "invalid config value for reasoning.evidence: Invalid value 'numbers', expected one of "
        "['motion', 'parameters', 'graded']"
    )
    default = load_config(None)
    assert (default.generative.evidence, default.reasoning.evidence) == ("motion", "graded")
    config = load_config(None, ["generative.evidence=parameters", "reasoning.evidence=motion"])
    assert (config.generative.evidence, config.reasoning.evidence) == ("parameters", "motion")
    # A run's stage config saved before evidence modes: its boolean reads as the mode that gives its prompts.
    (tmp_path / "old.yaml").write_text(
        "generative:\n  measured_parameters: false\nreasoning:\n  measured_parameters: true\n"
    )
    config = load_config(tmp_path / "old.yaml")
    assert (config.generative.evidence, config.reasoning.evidence) == ("motion", "parameters")


def test_unknown_key_in_a_file_is_named(tmp_path):
    (tmp_path / "bad.yaml").write_text("trainer:\n  max_stepz: 3\n")
    with pytest.raises(ConfigError, match="'trainer.max_stepz'; valid keys under 'trainer': accelerator"):
        load_config(tmp_path / "bad.yaml")
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "missing.yaml")


def test_saved_config_reloads_identically(tmp_path):
    config = load_config(None, ["run.name=x", "data.window=48"])
    save_config(config, tmp_path / "config.yaml")
    assert load_config(tmp_path / "config.yaml") == config


@pytest.mark.parametrize("path", sorted(CONFIGS.rglob("*.yaml")), ids=lambda p: str(p.relative_to(CONFIGS)))
def test_every_shipped_config_loads(path):
    load_config(path)


def test_model_size_checks_become_config_errors():
    with pytest.raises(ConfigError, match="width must be at least 1"):
        load_config(None, ["tokenizer.model.width=0"])
