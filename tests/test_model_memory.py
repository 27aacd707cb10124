"""What the models keep resident in a long session: each is measured alone in a fresh process.

Memory, not time, so the figures are steady on a busy machine; the limits sit halfway between
what the code keeps now and what it kept before (in the comments).
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

pytestmark = pytest.mark.slow

_PROBE = textwrap.dedent("""
    import sys

    def resident_mb():
        with open("/proc/self/status") as status:
            return next(int(line.split()[1]) for line in status if line.startswith("VmRSS")) / 1024

    import onnxruntime, tokenizers  # their libraries are shared by both models: not what is measured
    from coach.process import return_free_memory
    from coach.settings import VoiceSettings

    if sys.argv[1] == "encoder":
        from coach.analysis import embeddings

        before = resident_mb()
        embeddings.encode(["We cut the review time from two days to four hours."])
    else:
        from coach.speech import voice

        voice.load(VoiceSettings())
        return_free_memory()
        before = resident_mb()
        for text in ["Tell me about a time you disagreed with a teammate about a model. How did you settle it?",
                     "Describe a project where the requirements changed partway through. How did you adapt?"] * 2:
            voice.render(text, VoiceSettings())
    return_free_memory()
    print(round(resident_mb() - before))
""")


def _grown_mb(which: str) -> int:
    result = subprocess.run([sys.executable, "-c", _PROBE, which], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    return int(result.stdout.split()[-1])


def test_the_sentence_encoder_keeps_its_int8_weights_as_they_are():
    """Constant folding made float32 copies of the int8 weights at load (111 MB; 46 MB without)."""
    from coach.analysis import embeddings

    if not embeddings.available():
        pytest.skip(f"the sentence encoder is not installed: {embeddings.unavailable_reason()}")
    assert _grown_mb("encoder") < 75


def test_the_voice_gives_its_working_memory_back_after_each_question():
    """onnxruntime's arena kept the largest sentence's buffers: 92 MB more after four questions
    than after loading; without it, and with the heap trimmed, nothing is kept."""
    assert _grown_mb("voice") < 40
