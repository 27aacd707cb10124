"""Whisper loads and decodes on one thread, whichever threads ask (decoding elsewhere was 3-8x slower)."""

from __future__ import annotations

import threading

import faster_whisper
import numpy as np
import pytest

from coach.analysis.answer import transcriber_for
from coach.audio.files import load_audio
from coach.errors import ModelError
from coach.settings import Settings
from coach.speech import transcriber as transcriber_module
from coach.speech.models import ModelChoice
from coach.speech.transcriber import Transcriber


def test_a_model_loaded_in_one_thread_decodes_on_that_same_thread(monkeypatch, spoken_sentence):
    used: list[tuple[str, str]] = []

    class RecordingModel(faster_whisper.WhisperModel):
        def __init__(self, *args, **kwargs):
            used.append(("load", threading.current_thread().name))
            super().__init__(*args, **kwargs)

        def transcribe(self, *args, **kwargs):
            used.append(("decode", threading.current_thread().name))
            return super().transcribe(*args, **kwargs)

    monkeypatch.setattr(faster_whisper, "WhisperModel", RecordingModel)
    monkeypatch.setattr(transcriber_module, "_loaded", {})  # a load of its own, not the session's
    transcriber = transcriber_for(Settings())
    samples = load_audio(spoken_sentence).samples
    result = {}
    loader = threading.Thread(target=transcriber.load, name="loads")
    loader.start()
    loader.join()
    decoder = threading.Thread(target=lambda: result.update(t=transcriber.transcribe(samples)), name="asks")
    decoder.start()
    decoder.join()

    assert result["t"].words, "the sentence came back without words"
    assert used[0][0] == "load" and any(kind == "decode" for kind, _ in used)
    assert {name for _, name in used} == {"coach-whisper"}, used


def test_a_load_failure_on_the_decoder_thread_is_raised_to_the_caller(tmp_path):
    broken = Transcriber(ModelChoice(name="broken", location=str(tmp_path), source="local"), cpu_threads=1)
    with pytest.raises(ModelError, match="Could not load the model"):
        broken.load()
    with pytest.raises(ModelError):  # and again: a failure is not cached as a model
        broken.transcribe(np.zeros(16_000, dtype=np.float32))
