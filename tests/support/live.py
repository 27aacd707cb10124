"""Driving the live transcriber as the practice screen does, without a microphone."""

from __future__ import annotations

import numpy as np

from coach.audio.files import SAMPLE_RATE


def record_live(transcriber, samples: np.ndarray):
    """Feed ``samples`` to a LiveTranscriber in 0.3 s blocks (as the recorder gives them), letting
    its worker look after each block, then stop it. Returns (the live transcriber, every word)."""
    from coach.speech.live import LiveTranscriber

    recorded = {"n": 0}
    live = LiveTranscriber(transcriber, lambda: samples[: recorded["n"]])
    for n in range(0, len(samples) + 1, int(0.3 * SAMPLE_RATE)):
        recorded["n"] = n
        live._transcribe_finished()
    return live, live.stop(samples)
