"""The long-answer path's speed-ups change no result: decoding in blocks, batched percentiles."""

from __future__ import annotations

import av
import numpy as np
import pytest
import soundfile

from coach.audio.files import SAMPLE_RATE, load_audio
from coach.speech import vad


def _frame_by_frame(path) -> np.ndarray:
    """The samples as the decoder hands them out, mixed down one frame at a time (the old way)."""
    parts = []
    with av.open(str(path)) as container:
        resampler = av.AudioResampler(format="fltp", rate=SAMPLE_RATE)
        for frame in container.decode(container.streams.audio[0]):
            parts.extend(out.to_ndarray().mean(axis=0) for out in resampler.resample(frame))
        parts.extend(out.to_ndarray().mean(axis=0) for out in resampler.resample(None))
    return np.concatenate(parts).astype(np.float32)


@pytest.mark.parametrize("rate, channels", [(16_000, 1), (44_100, 2)])
def test_blocks_give_the_samples_of_single_frames(tmp_path, rate, channels):
    # 11.3 s: two whole 4 s blocks and a part, so the last, partial block is kept too.
    t = np.arange(int(11.3 * rate)) / rate
    left = 0.3 * np.sin(2 * np.pi * 220 * t) * (1 + np.sin(2 * np.pi * 0.5 * t)) / 2
    signal = np.stack([left, 0.5 * left[::-1]], axis=1)[:, :channels]
    path = tmp_path / "answer.wav"
    soundfile.write(path, signal, rate, subtype="PCM_16")

    expected = _frame_by_frame(path)
    for stream in (False, True):
        audio = load_audio(path, stream=stream)
        samples = np.asarray(audio.samples)
        assert len(samples) == len(expected)
        assert np.array_equal(samples, expected)
        assert audio.peak == float(np.max(np.abs(expected)))
        if stream:
            audio.samples.close()


@pytest.mark.parametrize("frames", [0, 1, 400, 938, 939, 940, 3000, 37_500])
@pytest.mark.parametrize("q, half_window_s", [(95, vad._SPEECH_HALF_WINDOW_S), (10, vad._FLOOR_HALF_WINDOW_S)])
def test_batched_percentiles_equal_one_window_at_a_time(frames, q, half_window_s):
    levels = np.random.default_rng(frames).normal(-40, 12, frames).astype(np.float32)
    step = int(round(1.0 / vad._FRAME_S))
    half = int(round(half_window_s / vad._FRAME_S))
    centres = np.arange(0, frames, step)
    one_by_one = np.array([np.percentile(levels[max(0, c - half):c + half + 1], q) for c in centres], np.float32)
    expected = np.repeat(one_by_one, step)[:frames]

    got = vad._local_percentile(levels, q, half_window_s)
    assert got.dtype == expected.dtype
    assert np.array_equal(got, expected)
