"""Speech made at test time with espeak-ng, so behaviour tests need no recordings from elsewhere.

Each answer is spoken sentence by sentence and joined with silences of known length, then
resampled from espeak-ng's 22.05 kHz to 16 kHz mono 16-bit PCM: what coach records, and what
the virtual microphone passes through bit for bit.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import soundfile

RATE = 16_000
VOICE = "en-us"
#: Words per minute: the middle of the range coach calls ideal, so pace checks have margin.
WPM = 150

#: Sentences (str) and silences in seconds (float), in order.
Script = tuple[str | float, ...]

#: A behavioral answer with every STAR part, a quantified result, and a 1.5 s pause while the
#: speaker gathers the result. About 27 s long. Sentences tiny.en gets right at 140-160 wpm
#: in three espeak-ng voices were kept; "as a result" and "rebuilt" were not.
STAR_ANSWER: Script = (
    0.4,
    "At my last company, our fraud model was flagging too many good customers.", 0.6,
    "My goal was to cut the false positives before the holiday season.", 0.6,
    "I pulled three months of disputes, and I found that new accounts were scored unfairly.", 0.6,
    "I retrained the model with better features, and I ran an experiment with the risk team.", 1.5,
    "After the launch, our false positives went down by thirty percent.", 0.5,
)

#: A think-aloud answer: a clarifying question, an assumption, signposts, a trade-off, a summary.
THINK_ALOUD_ANSWER: Script = (
    0.4,
    "Can I assume the data fits in memory?", 0.8,
    "I will assume that it does.", 0.6,
    "First, I would count the words in a hash map.", 0.6,
    "Second, a heap is faster than sorting, but it needs more code.", 0.6,
    "So overall, I would use a hash map and a heap.", 0.5,
)

#: Some clean speech, for tests that only need words to come out.
SENTENCE: Script = (0.3, "Thank you for having me, I am glad to talk about my work today.", 0.4)

#: Two sentences with a 3 s silence between them: a long pause (coach flags 2 s or more).
LONG_PAUSE_ANSWER: Script = (
    0.3, "I would start with a simple baseline model.", 3.0, "Then I would measure where it fails.", 0.4,
)


class SpeechError(RuntimeError):
    pass


def _espeak(text: str, voice: str, wpm: int) -> tuple[np.ndarray, int]:
    exe = shutil.which("espeak-ng")
    if exe is None:
        raise SpeechError("espeak-ng is needed to make the test speech: install the Debian package 'espeak-ng' "
                          "(bash bootstrap.sh test does).")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "s.wav"
        proc = subprocess.run([exe, "-v", voice, "-s", str(wpm), "-w", str(out), text], capture_output=True,
                              text=True, timeout=60, stdin=subprocess.DEVNULL)
        if proc.returncode != 0 or not out.is_file():
            raise SpeechError(f"espeak-ng failed (exit {proc.returncode}): {proc.stderr.strip()}")
        samples, rate = soundfile.read(out, dtype="float64", always_2d=True)
    return samples.mean(axis=1), rate


def _trim(x: np.ndarray, threshold: float = 1e-3) -> np.ndarray:
    """Drop espeak-ng's own leading and trailing silence, so the script's silences are the pauses."""
    loud = np.flatnonzero(np.abs(x) > threshold)
    return x[loud[0]: loud[-1] + 1] if len(loud) else x[:0]


def resample(x: np.ndarray, rate: int, to: int = RATE) -> np.ndarray:
    """Band-limited resampling over the whole clip (FFT): exact for test clips of a few seconds."""
    if rate == to or len(x) == 0:
        return x
    n = round(len(x) * to / rate)
    spectrum = np.fft.rfft(x)[: n // 2 + 1]
    return np.fft.irfft(spectrum, n) * (n / len(x))


def speak(script: Script, *, voice: str = VOICE, wpm: int = WPM) -> np.ndarray:
    """The script as 16 kHz mono float samples."""
    parts = []
    for part in script:
        if isinstance(part, str):
            spoken, rate = _espeak(part, voice, wpm)
            parts.append(resample(_trim(spoken), rate))
        else:
            parts.append(np.zeros(round(part * RATE)))
    return np.concatenate(parts).clip(-1, 1)


def write(script: Script, path: Path, **kwargs) -> Path:
    """Speak ``script`` into a 16 kHz mono 16-bit WAV at ``path``."""
    soundfile.write(path, speak(script, **kwargs), RATE, subtype="PCM_16")
    return path


def text(script: Script) -> str:
    return " ".join(p for p in script if isinstance(p, str))
