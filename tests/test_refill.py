"""Speech a chunk's decode left without words is decoded again from there on
(Transcriber.transcribe's refills), but never twice from the same point: greedy decoding of the
same audio gives the same words. The decodes are scripted here: what is under test is how many
refills run, not Whisper (tests/test_speech_coverage.py runs the real one)."""

from __future__ import annotations

import numpy as np

from coach.audio.files import SAMPLE_RATE
from coach.speech.transcriber import Transcriber, Word
from coach.speech.vad import SpeechRegion

SPEECH = [SpeechRegion(0.0, 20.0)]
SAMPLES = np.zeros(20 * SAMPLE_RATE, np.float32)


def _transcribe(monkeypatch, reads_until) -> tuple[list[float], list[Word], list[SpeechRegion]]:
    """Transcribe 20 s of speech where the n-th decode (0 = the chunk's first) gives one word a
    second from the start of its audio up to ``reads_until(n)`` seconds into the recording.
    Returns where each decode started, the words and what stayed without words."""
    starts: list[float] = []

    def decode(self, whisper, audio, chunk, prompt, *, temperature=None):
        start = chunk.pieces[0].source
        until = reads_until(len(starts))
        starts.append(start)
        words = [Word(f"w{t}", float(t), t + 0.9, 0.9) for t in range(int(np.ceil(start)), int(until))]
        return words, False, None

    monkeypatch.setattr(Transcriber, "_decode", decode)
    monkeypatch.setattr(Transcriber, "load", lambda self: None)
    transcript = Transcriber.__new__(Transcriber)
    transcript.initial_prompt = None
    out = transcript.transcribe(SAMPLES, regions=SPEECH)
    return starts, out.words, out.untranscribed


def test_a_refill_that_would_read_the_same_audio_again_is_not_run(monkeypatch):
    # Every decode stops at 5 s: the first refill reads from the hole and finds nothing new,
    # and a second one from the same point would only repeat it.
    starts, words, untranscribed = _transcribe(monkeypatch, lambda n: 5)
    assert starts == [0.0, 4.7]
    assert untranscribed == [SpeechRegion(5.2, 20.0)]
    assert len(words) == 5


def test_refills_go_on_while_each_starts_further_on(monkeypatch):
    # Each decode reads 4 s further than the one before: three refills, each from a later hole.
    starts, words, untranscribed = _transcribe(monkeypatch, lambda n: 5 + 4 * n)
    assert len(starts) == 4
    assert starts == sorted(set(starts))
    assert [w.text for w in words] == [f"w{t}" for t in range(17)]
    assert untranscribed == [SpeechRegion(17.2, 20.0)]
