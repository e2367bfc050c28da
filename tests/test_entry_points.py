"""pyproject's console scripts (agir-fit, agir-assess, ...) name the `main` of each `python -m` command."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

tomllib = pytest.importorskip("tomllib")  # Python 3.11+

PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"
COMMANDS = {"fit", "assess", "evaluate", "gait", "export", "data"}


def test_every_command_has_a_console_script_that_names_an_importable_callable():
    scripts = tomllib.loads(PYPROJECT.read_text())["project"]["scripts"]
    assert set(scripts) == {f"agir-{command}" for command in COMMANDS}
    for name, target in scripts.items():
        module, _, attribute = target.partition(":")
        function = getattr(importlib.import_module(module), attribute)
        assert callable(function), name
        with pytest.raises(SystemExit) as exit_:  # --help parses and exits cleanly: the right parser is behind it
            function(["--help"])
        assert exit_.value.code == 0, name
