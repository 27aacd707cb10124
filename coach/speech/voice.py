"""Reading questions aloud: pyttsx3 (espeak-ng) synthesises to a WAV, sounddevice plays it.

Going through a file avoids three pyttsx3 bugs on Linux (an early return from the first
``runAndWait``, a ``save_to_file`` target that sticks to later ``say`` calls, and ``say``
calls that overwrite each other) and keeps one audio path, the same device the user picked.
"""

from __future__ import annotations

import contextlib
import io
import threading
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from coach.errors import CoachError

#: PortAudio closes a stream while its last buffer is still queued; trailing silence keeps
#: the end of the question from being cut off.
_TAIL_SILENCE_S = 0.3
_PLAY_LATENCY_S = 0.2


class VoiceError(CoachError):
    """The question cannot be spoken: no speech engine or no speaker."""


_engine = None
_engine_lock = threading.Lock()


def _get_engine():
    global _engine
    if _engine is None:
        try:
            import pyttsx3

            _engine = pyttsx3.init()
            _engine.runAndWait()  # the first call returns early; spend it here
        except Exception as exc:  # the driver raises whatever espeak-ng's loader raises
            raise VoiceError(
                f"No speech engine ({exc}); install espeak-ng to hear questions. They are shown as text."
            ) from exc
    return _engine


def pick_voice(engine, wanted: str) -> str | None:
    """The installed voice whose id or name best matches ``wanted`` ("en-us", "english")."""
    voices = engine.getProperty("voices") or []
    wanted = wanted.lower()
    for voice in voices:
        if voice.id.lower() == wanted or voice.id.lower().endswith("/" + wanted):
            return voice.id
    for voice in voices:
        if wanted in voice.id.lower() or wanted in (voice.name or "").lower():
            return voice.id
    return None


def synthesise(text: str, path: Path, *, rate: int = 170, voice: str = "en-us") -> Path:
    """Speak ``text`` into a WAV file.

    Raises:
        VoiceError: no speech engine, or it produced no audio.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    with _engine_lock:
        engine = _get_engine()
        voice_id = pick_voice(engine, voice)
        if voice_id:
            engine.setProperty("voice", voice_id)
        engine.setProperty("rate", rate)
        path.unlink(missing_ok=True)
        engine.save_to_file(text, str(path))
        # The espeak driver prints "Audio saved to ..." on stdout, which would draw over a TUI.
        with contextlib.redirect_stdout(io.StringIO()):
            engine.runAndWait()
    deadline = time.monotonic() + 5
    last_size = -1
    while time.monotonic() < deadline:  # espeak-ng may still be writing when runAndWait returns
        size = path.stat().st_size if path.exists() else 0
        if size > 44 and size == last_size:
            return path
        last_size = size
        time.sleep(0.05)
    raise VoiceError("The speech engine produced no audio; questions are shown as text.")


def play(path: Path, *, device: str | int | None = None, should_stop: Callable[[], bool] | None = None) -> None:
    """Play a WAV file to the speaker, returning early when ``should_stop()`` turns true.

    Raises:
        VoiceError: there is no speaker.
    """
    import soundfile

    try:
        import sounddevice
    except OSError as exc:
        raise VoiceError(f"No audio output ({exc}); install libportaudio2. Questions are shown as text.") from exc
    data, rate = soundfile.read(str(path), dtype="float32", always_2d=True)
    data = np.concatenate([data, np.zeros((int(rate * _TAIL_SILENCE_S), data.shape[1]), np.float32)])
    try:
        sounddevice.play(data, rate, device=device if device not in ("", None) else None, latency=_PLAY_LATENCY_S)
        end = time.monotonic() + len(data) / rate + 1.0
        while sounddevice.get_stream().active and time.monotonic() < end:
            if should_stop and should_stop():
                sounddevice.stop()
                return
            time.sleep(0.05)
        sounddevice.stop()
    except (sounddevice.PortAudioError, ValueError) as exc:
        raise VoiceError(f"No speaker could be opened ({exc}); questions are shown as text.") from exc
