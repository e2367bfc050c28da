"""Imports only point down the layers: motion -> text -> data/models/viz -> config -> tasks -> pipeline -> commands.

Every import statement of every module under src/agir counts, the ones inside functions too: a lazy import up the
layers is still a dependency up the layers.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "src"
# Lowest first; modules of one layer may import each other.
LAYERS = (
    ("agir.motion",),
    ("agir.text",),
    ("agir.data", "agir.models", "agir.viz"),
    ("agir.config",),
    ("agir.tasks",),
    ("agir.pipeline",),
)
# Entry points: they parse arguments and call the library, and nothing imports them.
COMMANDS = frozenset({"agir.fit", "agir.assess", "agir.evaluate", "agir.export", "agir.gait", "agir.data.__main__"})


def _module_name(path: Path) -> str:
    parts = path.relative_to(SRC).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(path): path for path in sorted((SRC / "agir").rglob("*.py"))}


def layer(module: str) -> int | None:
    """The layer of an agir module: an index of LAYERS, len(LAYERS) for a command, None for the package itself."""
    if module in COMMANDS:
        return len(LAYERS)
    for index, packages in enumerate(LAYERS):
        if any(module == package or module.startswith(package + ".") for package in packages):
            return index
    return None


def imported_modules(path: Path) -> list[tuple[int, str]]:
    """(line, module) of every agir module `path` imports, submodules named in `from agir.x import y` included."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
            found += [
                (node.lineno, f"{node.module}.{a.name}") for a in node.names if f"{node.module}.{a.name}" in MODULES
            ]
    return [(line, module) for line, module in found if module == "agir" or module.startswith("agir.")]


def test_every_module_has_a_layer():
    assert [module for module in MODULES if module != "agir" and layer(module) is None] == []


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_point_down(module):
    own = layer(module)
    upward = [
        f"{MODULES[module].relative_to(SRC)}:{line} imports {target}"
        for line, target in imported_modules(MODULES[module])
        if target in COMMANDS or (own is not None and (layer(target) or 0) > own)
    ]
    assert upward == []
