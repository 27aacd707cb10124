"""Shared fixtures: speech made at test time, the real eval recordings for accuracy tests, an
isolated data folder, one loaded model.

Behaviour tests run on speech espeak-ng makes during the run (tests/support/speech.py), so a
clone on its own tests itself. Tests that measure accuracy against the human references in
../shared/eval carry the ``needs_eval`` marker: without the recordings they skip with one line,
unless CI=true, where a missing ../shared/eval fails them so CI cannot pass by skipping.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import speech

REPO = Path(__file__).resolve().parent.parent
EVAL = REPO.parent / "shared" / "eval"
NEEDS_EVAL = "needs the evaluation recordings in ../shared/eval"


def eval_present() -> bool:
    return any((EVAL / "audio").glob("*.wav"))


def require_eval() -> None:
    """Skip (or, under CI=true, fail) the current test when ../shared/eval is absent."""
    if eval_present():
        return
    if os.environ.get("CI", "").strip().lower() == "true":
        pytest.fail(f"{NEEDS_EVAL}: {EVAL} is missing, and CI=true does not allow skipping accuracy tests.",
                    pytrace=False)
    pytest.skip(NEEDS_EVAL)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    # Before any fixture is set up, so a module fixture that transcribes every clip is never reached.
    if item.get_closest_marker("needs_eval"):
        require_eval()


def eval_audio(name: str) -> Path:
    """An eval recording; only for tests marked ``needs_eval``."""
    require_eval()
    path = EVAL / "audio" / f"{name}.wav"
    if not path.is_file():
        pytest.fail(f"{path} is missing from the evaluation recordings; restore ../shared/eval.", pytrace=False)
    return path


# -- Speech made at test time ---------------------------------------------------------------------


@pytest.fixture(scope="session")
def speech_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("speech")


def _made(script: speech.Script, path: Path) -> Path:
    if not path.exists():
        try:
            speech.write(script, path)
        except speech.SpeechError as exc:
            pytest.fail(str(exc), pytrace=False)
    return path


@pytest.fixture(scope="session")
def spoken_star_answer(speech_dir) -> Path:
    """A spoken behavioral answer, about 27 s, with a 1.5 s pause before the result."""
    return _made(speech.STAR_ANSWER, speech_dir / "star_answer.wav")


@pytest.fixture(scope="session")
def spoken_think_aloud(speech_dir) -> Path:
    """A spoken think-aloud answer, about 17 s."""
    return _made(speech.THINK_ALOUD_ANSWER, speech_dir / "think_aloud.wav")


@pytest.fixture(scope="session")
def spoken_sentence(speech_dir) -> Path:
    """About 5 s of clean speech: "Thank you for having me, I am glad to talk about my work today." """
    return _made(speech.SENTENCE, speech_dir / "sentence.wav")


@pytest.fixture(scope="session")
def spoken_long_pause(speech_dir) -> Path:
    """Two sentences with 3 s of silence between them."""
    return _made(speech.LONG_PAUSE_ANSWER, speech_dir / "long_pause.wav")


@pytest.fixture(scope="session")
def silent_wav(speech_dir) -> Path:
    """Three seconds of digital silence at 16 kHz."""
    path = speech_dir / "silent.wav"
    if not path.exists():
        import numpy as np
        import soundfile

        soundfile.write(path, np.zeros(3 * speech.RATE), speech.RATE, subtype="PCM_16")
    return path


@pytest.fixture(scope="session")
def truncated_wav(speech_dir, spoken_star_answer) -> Path:
    """The first 100,000 bytes (3 s) of the STAR answer: its header still promises 27 s."""
    path = speech_dir / "truncated.wav"
    if not path.exists():
        path.write_bytes(spoken_star_answer.read_bytes()[:100_000])
    return path


@pytest.fixture(autouse=True)
def isolated_dirs(tmp_path_factory, monkeypatch):
    """No test reads the developer's config or writes to their data folder."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("COACH_DATA_DIR", str(home / "data"))
    monkeypatch.setenv("COACH_CONFIG", str(home / "config.toml"))
    return home


@pytest.fixture(scope="module")
def sound_server(tmp_path_factory) -> Iterator[dict[str, str]]:
    """A virtual microphone and speaker of the test module's own (tests/support/virtual_audio.py),
    for child processes: pass ``{**os.environ, **sound_server}``. This process's environment is
    left alone, so other tests still find no microphone. Stopped when the module's tests are done
    (the daemon's loopback costs CPU while it runs), also when one fails or the run is
    interrupted; a sound server started by anyone else is never used or stopped."""
    from tests.support import virtual_audio

    with virtual_audio.private_server(parent=tmp_path_factory.getbasetemp()) as env:
        yield env


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
