"""Voice activity and Whisper load on two threads at once, in a fresh process: faster-whisper is
imported once, under one lock, so neither thread stops in Python's import locks.

Seen once in CI under load: ``_DeadlockError: deadlock detected by _ModuleLock('faster_whisper.vad')``
from `coach analyze`, where Silero is read on one thread while Whisper loads on its own. The race is
rare (not reproduced here in 12 tries without the fix), so this runs the two side by side from a
barrier a few times, each in a new interpreter where nothing of faster-whisper is imported yet.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

pytestmark = pytest.mark.slow

_BOTH_AT_ONCE = textwrap.dedent("""
    import sys, threading
    assert "faster_whisper" not in sys.modules
    from coach.settings import Settings
    from coach.analysis.answer import transcriber_for
    from coach.speech.vad import load_vad_model

    barrier, errors = threading.Barrier(2), []

    def run(step):
        barrier.wait()
        try:
            step()
        except BaseException as exc:
            errors.append(repr(exc))

    threads = [threading.Thread(target=run, args=(load_vad_model,)),
               threading.Thread(target=run, args=(transcriber_for(Settings()).load,))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    print(errors or "ok")
""")


@pytest.mark.parametrize("attempt", range(3))
def test_voice_activity_and_whisper_load_at_once_in_a_fresh_process(attempt):
    done = subprocess.run([sys.executable, "-c", _BOTH_AT_ONCE], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok", done.stdout


def test_the_package_comes_back_whole():
    from coach.speech.vad import import_faster_whisper

    package = import_faster_whisper()
    assert package.WhisperModel.__module__ == "faster_whisper.transcribe"
    assert "faster_whisper.vad" in sys.modules
