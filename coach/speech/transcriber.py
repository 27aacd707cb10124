"""Speech to timed words with faster-whisper on the CPU."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from coach.audio.files import SAMPLE_RATE
from coach.errors import ModelError
from coach.speech.models import ModelChoice


@dataclass(frozen=True)
class Word:
    text: str
    start: float
    end: float
    probability: float


@dataclass(frozen=True)
class Transcript:
    words: list[Word]
    text: str


# One loaded model per (location, compute type, threads) for the life of the process: loading
# is the slow part, and the TUI and the CLI both ask for the same model many times.
_loaded: dict[tuple[str, str, int], object] = {}
_load_lock = threading.Lock()


class Transcriber:
    """Loads its model on first use and transcribes 16 kHz mono samples into timed words."""

    def __init__(self, model: ModelChoice, compute_type: str = "int8", cpu_threads: int = 0,
                 language: str = "en", initial_prompt: str | None = None) -> None:
        self.model = model
        self.compute_type = compute_type
        self.cpu_threads = cpu_threads
        self.language = language
        #: Used when :meth:`transcribe` is given no prompt of its own.
        self.initial_prompt = initial_prompt or None
        #: Seconds loading took in this process (0 while the model is not loaded yet).
        self.load_seconds = 0.0

    @property
    def _key(self) -> tuple[str, str, int]:
        return (self.model.location, self.compute_type, self.cpu_threads)

    @property
    def is_loaded(self) -> bool:
        return self._key in _loaded

    def load(self):
        """Load the model (once per process) and return it.

        Raises:
            ModelError: the model files are unreadable, or a named model cannot be downloaded.
        """
        with _load_lock:
            if self._key in _loaded:
                return _loaded[self._key]
            started = time.perf_counter()
            from faster_whisper import WhisperModel

            try:
                whisper = WhisperModel(
                    self.model.location,
                    device="cpu",
                    compute_type=self.compute_type,
                    cpu_threads=self.cpu_threads,
                    local_files_only=self.model.source != "download",
                )
            except Exception as exc:  # faster-whisper raises many types; each becomes one message
                raise ModelError(_load_failure(self.model, exc)) from exc
            # The voice-activity model is needed with every answer: load it with Whisper so the
            # first answer pays for neither.
            from coach.speech.vad import load_vad_model

            load_vad_model()
            self.load_seconds = time.perf_counter() - started
            _loaded[self._key] = whisper
            return whisper

    def transcribe(
        self,
        samples: np.ndarray,
        *,
        initial_prompt: str | None = None,
        on_progress: Callable[[float], None] | None = None,
        should_stop: Callable[[], bool] | None = None,
    ) -> Transcript:
        """Transcribe with word timestamps.

        Args:
            samples: 16 kHz mono float32 audio.
            initial_prompt: text that primes the decoder (a short filler-laden prompt keeps
                more "um"s; long prompts cause dropped sentences).
            on_progress: called with the share of the audio done, 0 to 1.
            should_stop: polled between segments; returning True ends early with what is done.
        """
        whisper = self.load()
        duration = len(samples) / SAMPLE_RATE
        segments, _info = whisper.transcribe(
            samples,
            language=self.language,
            beam_size=1,
            word_timestamps=True,
            initial_prompt=initial_prompt if initial_prompt is not None else self.initial_prompt,
            condition_on_previous_text=False,
            # No sampling fallback: "uh uh uh" trips the repetition check, and sampled retries made
            # the same answer transcribe differently from run to run (and base drop whole windows).
            temperature=0.0,
        )
        words: list[Word] = []
        for segment in segments:  # a lazy generator: decoding happens as we iterate
            for w in segment.words or []:
                words.append(Word(w.word.strip(), round(w.start, 3), round(w.end, 3), round(w.probability, 3)))
            if on_progress and duration:
                on_progress(min(1.0, segment.end / duration))
            if should_stop and should_stop():
                break
        words = [w for w in words if w.text]
        return Transcript(words=words, text=" ".join(w.text for w in words))


def _load_failure(model: ModelChoice, exc: Exception) -> str:
    if model.source == "download":
        return (
            f"Could not get the model {model.name!r}: it is not bundled and could not be downloaded "
            f"({type(exc).__name__}); use --model tiny.en (bundled), --model base, or a model folder."
        )
    return f"Could not load the model at {model.location} ({exc}); reinstall it or use --model tiny.en."
