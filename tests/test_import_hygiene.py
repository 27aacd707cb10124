"""The core never imports the UI, and the CLI starts without loading any heavy library."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

CORE = sorted(
    ".".join(p.relative_to(Path(__file__).resolve().parent.parent).with_suffix("").parts)
    for p in (Path(__file__).resolve().parent.parent / "coach").rglob("*.py")
    if "ui" not in p.parts and p.name != "__main__.py"
)
HEAVY = {"textual", "faster_whisper", "ctranslate2", "spacy", "av", "onnxruntime", "sounddevice", "piper", "numpy"}


def _modules_after_import(module: str) -> set[str]:
    code = f"import sys, json, {module}; print(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    return {name.split(".")[0] for name in json.loads(out)}


@pytest.mark.parametrize("module", CORE)
def test_core_does_not_import_textual(module):
    assert "textual" not in _modules_after_import(module)


def test_cli_start_imports_nothing_heavy():
    assert not (_modules_after_import("coach.cli") & HEAVY)


def test_only_the_entry_point_imports_the_cli():
    """cli.py registers the commands of coach/commands/; nothing imports back into it."""
    import ast

    root = Path(__file__).resolve().parent.parent / "coach"
    importers = []
    for path in root.rglob("*.py"):
        if path.name == "__main__.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([alias.name for alias in node.names] if isinstance(node, ast.Import)
                     else [f"{node.module}.{alias.name}" for alias in node.names] if isinstance(node, ast.ImportFrom)
                     and node.module else [])
            if any(name in ("coach.cli", "coach.cli.main") or name.startswith("coach.cli.") for name in names):
                importers.append(str(path.relative_to(root)))
    assert importers == []
