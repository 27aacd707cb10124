"""Voice activity from the audio itself, with the Silero VAD that faster-whisper ships.

Pauses are measured here rather than from gaps between Whisper's word timestamps, which drift
around silence and swallow dropped fillers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from coach.audio.files import SAMPLE_RATE


@dataclass(frozen=True)
class SpeechRegion:
    start: float
    end: float

    @property
    def duration_s(self) -> float:
        return self.end - self.start


# Silero's own segmentation (faster_whisper.vad.get_speech_timestamps) is made for cutting
# audio into chunks for Whisper: it pads, and ends speech only when the probability falls well
# below the threshold, which puts pause starts 100-200 ms late. For timing pauses we segment
# the frame probabilities ourselves with one threshold and no padding.
_FRAME = 512  # samples per Silero frame: 32 ms at 16 kHz
_THRESHOLD = 0.5
#: The probability climbs over a frame or two at an onset; a region starts where the climb began.
_ONSET_THRESHOLD = 0.25
#: Gaps shorter than this inside speech are closures and breaths between words, not silence.
_MIN_GAP_S = 0.1
#: Shorter bursts of "speech" are clicks.
_MIN_SPEECH_S = 0.06


def load_vad_model():
    """The Silero ONNX model, loaded once per process (faster-whisper caches it)."""
    from faster_whisper.vad import get_vad_model

    return get_vad_model()


def speech_probabilities(samples: np.ndarray) -> np.ndarray:
    """Silero's speech probability for each 32 ms frame."""
    padded = np.pad(samples.astype(np.float32), (0, (-len(samples)) % _FRAME))
    return np.asarray(load_vad_model()(padded)).reshape(-1)


def speech_regions(samples: np.ndarray) -> list[SpeechRegion]:
    """Stretches of speech in 16 kHz mono samples, in order, in seconds."""
    if len(samples) == 0:
        return []
    probabilities = speech_probabilities(samples)
    voiced = probabilities >= _THRESHOLD
    frame_s = _FRAME / SAMPLE_RATE
    duration = len(samples) / SAMPLE_RATE
    regions: list[list[float]] = []
    edges = np.flatnonzero(np.diff(np.concatenate(([0], voiced.astype(np.int8), [0]))))
    for first, last in zip(edges[::2], edges[1::2]):
        while first > 0 and not voiced[first - 1] and probabilities[first - 1] >= _ONSET_THRESHOLD:
            first -= 1
        start, end = first * frame_s, min(last * frame_s, duration)
        if regions and start - regions[-1][1] < _MIN_GAP_S:
            regions[-1][1] = end
        else:
            regions.append([start, end])
    return [SpeechRegion(round(float(s), 3), round(float(e), 3)) for s, e in regions if e - s >= _MIN_SPEECH_S]
