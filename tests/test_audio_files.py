"""Reading audio: every common format, rate and channel count; a clear error for anything else."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile

from coach.audio.files import SAMPLE_RATE, load_audio
from coach.errors import AudioFileError


def _tone(rate: int, channels: int, seconds: float = 1.5) -> np.ndarray:
    t = np.arange(int(rate * seconds)) / rate
    mono = 0.3 * np.sin(2 * np.pi * 220 * t)
    return np.stack([mono] * channels, axis=1)


@pytest.mark.parametrize(
    ("suffix", "rate", "channels"),
    [(".wav", 44_100, 2), (".wav", 8_000, 1), (".flac", 48_000, 2), (".ogg", 22_050, 1), (".mp3", 44_100, 2)],
)
def test_reads_formats_rates_and_channels(tmp_path, suffix, rate, channels):
    path = tmp_path / f"tone{suffix}"
    soundfile.write(path, _tone(rate, channels), rate)
    audio = load_audio(path)
    assert audio.samples.ndim == 1 and audio.samples.dtype == np.float32
    # MP3 encoders add up to ~50 ms of padding.
    assert audio.duration_s == pytest.approx(1.5, abs=0.06)
    assert 0.15 < float(np.sqrt(np.mean(audio.samples**2))) < 0.25


def test_resamples_real_speech_to_16k(spoken_sentence):
    audio = load_audio(spoken_sentence)
    assert len(audio.samples) == soundfile.info(spoken_sentence).frames


def test_missing_file(tmp_path):
    with pytest.raises(AudioFileError, match="does not exist"):
        load_audio(tmp_path / "nope.wav")


def test_empty_file(tmp_path):
    path = tmp_path / "empty.wav"
    path.write_bytes(b"")
    with pytest.raises(AudioFileError, match="is empty"):
        load_audio(path)


def test_folder(tmp_path):
    with pytest.raises(AudioFileError, match="is a folder"):
        load_audio(tmp_path)


def test_not_audio(tmp_path):
    path = tmp_path / "notes.wav"
    path.write_text("These are my interview notes, not a recording.\n" * 50)
    with pytest.raises(AudioFileError, match="not an audio file"):
        load_audio(path)


def test_truncated_wav(tmp_path, spoken_star_answer):
    path = tmp_path / "cut.wav"
    path.write_bytes(spoken_star_answer.read_bytes()[:100_000])
    with pytest.raises(AudioFileError, match="truncated"):
        load_audio(path)


def test_truncated_mp3(tmp_path):
    full = tmp_path / "full.mp3"
    soundfile.write(full, _tone(44_100, 1, seconds=8), 44_100)
    cut = tmp_path / "cut.mp3"
    cut.write_bytes(full.read_bytes()[: full.stat().st_size // 4])
    with pytest.raises(AudioFileError, match="truncated"):
        load_audio(cut)


def test_corrupt_flac(tmp_path, spoken_sentence):
    path = tmp_path / "speech.flac"
    soundfile.write(path, load_audio(spoken_sentence).samples, SAMPLE_RATE)
    data = bytearray(path.read_bytes())
    rng = np.random.default_rng(1)
    for i in range(2_000, len(data), 97):
        data[i] = int(rng.integers(256))
    path.write_bytes(bytes(data))
    with pytest.raises(AudioFileError, match="corrupt"):
        load_audio(path)


def test_silence_is_flagged(tmp_path):
    path = tmp_path / "silence.wav"
    soundfile.write(path, np.zeros((SAMPLE_RATE * 2, 2)), SAMPLE_RATE)
    assert load_audio(path).is_silent
