"""Odd audio input (issue 10, item 10): each is reported for what it is, in one sentence.

A truncated Ogg file and a FLAC file with corrupt frames were analysed as if whole; NaN or
infinite samples in a float WAV gave numpy warnings and then "speak closer"; a stereo file
whose channels cancel was "only silence"; a FIFO or a device was "empty (0 bytes)". The bad
files are made here, at test time.
"""

from __future__ import annotations

import os

import numpy as np
import pytest
import soundfile

from coach.audio.files import SAMPLE_RATE, load_audio
from coach.errors import AudioFileError
from tests.conftest import run_coach


def _voice_like(seconds: float = 8.0, rate: int = SAMPLE_RATE) -> np.ndarray:
    """A harmonic sound with a moving pitch and level: compressible the way speech is."""
    t = np.arange(int(seconds * rate)) / rate
    pitch = 140 + 30 * np.sin(2 * np.pi * 0.7 * t)
    phase = 2 * np.pi * np.cumsum(pitch) / rate
    envelope = 0.5 + 0.5 * np.sin(2 * np.pi * 3 * t) ** 2
    return (0.2 * envelope * sum(np.sin(k * phase) / k for k in range(1, 6))).astype(np.float32)


def test_a_truncated_ogg_is_reported_not_analysed_as_whole(tmp_path):
    whole = tmp_path / "answer.ogg"
    soundfile.write(whole, _voice_like(), SAMPLE_RATE)
    assert load_audio(whole).duration_s == pytest.approx(8.0, abs=0.05)
    cut = tmp_path / "cut.ogg"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size * 2 // 3])
    with pytest.raises(AudioFileError, match="truncated") as caught:
        load_audio(cut)
    assert str(caught.value).count(". ") == 0 and str(cut) in str(caught.value)


def test_a_flac_with_corrupt_frames_is_reported_as_damaged(tmp_path):
    path = tmp_path / "answer.flac"
    soundfile.write(path, _voice_like(), SAMPLE_RATE)
    data = bytearray(path.read_bytes())
    # A few flipped bytes in the middle: one or two frames fail their checksum, the rest decode.
    for i in range(len(data) // 2, len(data) // 2 + 40, 7):
        data[i] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(AudioFileError, match="damaged|corrupt"):
        load_audio(path)


def test_an_intact_flac_is_not_called_damaged(tmp_path):
    path = tmp_path / "answer.flac"
    soundfile.write(path, _voice_like(rate=44_100), 44_100)
    assert load_audio(path).duration_s == pytest.approx(8.0, abs=0.01)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_nan_or_infinite_samples_in_a_float_wav_are_rejected_clearly(tmp_path, bad, recwarn):
    samples = _voice_like()
    samples[SAMPLE_RATE * 2:SAMPLE_RATE * 2 + 100] = bad
    path = tmp_path / "float.wav"
    soundfile.write(path, samples, SAMPLE_RATE, subtype="FLOAT")
    with pytest.raises(AudioFileError, match="invalid samples"):
        load_audio(path)
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]


def test_stereo_channels_that_cancel_are_not_silence(tmp_path):
    left = _voice_like()
    path = tmp_path / "inverted.wav"
    soundfile.write(path, np.stack([left, -left], axis=1), SAMPLE_RATE)
    audio = load_audio(path)
    assert not audio.is_silent
    rms = float(np.sqrt(np.mean(np.asarray(audio.samples) ** 2)))
    assert rms == pytest.approx(float(np.sqrt(np.mean(left ** 2))), rel=0.05)


def test_ordinary_stereo_is_still_averaged(tmp_path):
    left = _voice_like()
    path = tmp_path / "stereo.wav"
    soundfile.write(path, np.stack([left, np.zeros_like(left)], axis=1), SAMPLE_RATE)
    samples = np.asarray(load_audio(path).samples)
    assert float(np.max(np.abs(samples))) == pytest.approx(float(np.max(np.abs(left))) / 2, rel=0.02)


def test_a_fifo_is_not_a_regular_file(tmp_path):
    fifo = tmp_path / "answer.wav"
    os.mkfifo(fifo)
    with pytest.raises(AudioFileError, match="not a regular file"):
        load_audio(fifo)


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
def test_a_device_is_not_a_regular_file():
    with pytest.raises(AudioFileError, match="not a regular file"):
        load_audio("/dev/zero")


def test_the_cli_says_so_in_one_line_with_exit_2(tmp_path):
    fifo = tmp_path / "answer.wav"
    os.mkfifo(fifo)
    result = run_coach("analyze", str(fifo), timeout=120)
    assert result.returncode == 2
    assert "not a regular file" in result.stderr
    assert "Traceback" not in result.stderr
    assert len([line for line in result.stderr.splitlines() if line.strip()]) == 1


def test_streaming_reads_the_same_samples(tmp_path):
    path = tmp_path / "answer.flac"
    soundfile.write(path, _voice_like(rate=22_050), 22_050)
    whole = load_audio(path)
    streamed = load_audio(path, stream=True)
    assert len(streamed.samples) == len(whole.samples)
    assert np.array_equal(streamed.samples[1000:50_000], whole.samples[1000:50_000])
    assert streamed.peak == pytest.approx(float(np.max(np.abs(whole.samples))))
