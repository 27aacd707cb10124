"""Shared fixtures: the real eval recordings, an isolated data folder, one loaded model."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
EVAL = REPO.parent / "shared" / "eval"


def eval_audio(name: str) -> Path:
    path = EVAL / "audio" / f"{name}.wav"
    if not path.is_file():
        pytest.fail(f"the evaluation recordings are missing: {path} (they live in ../shared/eval)")
    return path


@pytest.fixture(autouse=True)
def isolated_dirs(tmp_path_factory, monkeypatch):
    """No test reads the developer's config or writes to their data folder."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("COACH_DATA_DIR", str(home / "data"))
    monkeypatch.setenv("COACH_CONFIG", str(home / "config.toml"))
    return home


@pytest.fixture(scope="session")
def transcriber():
    """The default model, loaded once for the whole run."""
    from coach.analysis.answer import transcriber_for
    from coach.settings import Settings

    return transcriber_for(Settings())


def run_coach(*args: str, env: dict[str, str] | None = None, prefix: list[str] | None = None,
              timeout: float = 300) -> subprocess.CompletedProcess:
    """Run the real `coach` command in a child process, as a user would."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run([*(prefix or []), sys.executable, "-m", "coach", *args], capture_output=True,
                          text=True, env=full_env, timeout=timeout, stdin=subprocess.DEVNULL)
