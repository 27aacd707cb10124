"""Issues 12/13: the filled-pause search measures the recording while the answer is spoken
(coach/session.py, _FillersAhead; filled_pauses.FrameMeasures), so after the stop only the last
utterance's frames are measured. The fillers found must be the ones the search over the whole
recording finds: same fillers, same times within 10 ms."""

from __future__ import annotations

import time

import numpy as np
import pytest

from coach.analysis import filled_pauses
from coach.analysis.filled_pauses import FrameMeasures, recover_filled_pauses
from coach.audio.files import SAMPLE_RATE
from coach.session import _FillersAhead
from tests.test_filled_pauses import _answer, _everywhere, _vowel, _words_around

BLOCK = int(0.3 * SAMPLE_RATE)  # what the recorder hands over at a time


def _same(ahead, whole) -> None:
    assert [f.text for f in ahead] == [f.text for f in whole]
    for mine, theirs in zip(ahead, whole):
        assert abs(mine.start - theirs.start) <= 0.01 and abs(mine.end - theirs.end) <= 0.01, (mine, theirs)


def _measure_while_recording(samples: np.ndarray, utterance_s: float = 3.0) -> tuple[FrameMeasures, int]:
    """Run the session's background step as the recording grows in 0.3 s blocks, woken at the end
    of each ``utterance_s``; then stop. Returns the measures and how many frames were left for the stop."""
    recorded = {"n": 0}
    ahead = _FillersAhead(lambda: samples[: recorded["n"]])
    every = int(utterance_s * SAMPLE_RATE) // BLOCK * BLOCK
    for n in range(BLOCK, len(samples) + 1, BLOCK):
        recorded["n"] = n
        if n % every == 0:
            ahead.update()
            # Until this pass has measured what was recorded (the step runs on its own thread).
            want = filled_pauses._frame_count(n - filled_pauses._HIGH_PASS // 2)
            for _ in range(6000):
                if ahead.frames.count >= want or ahead._failed:
                    break
                time.sleep(0.01)
    measured_before_stop = ahead.frames.count
    ahead.finish(samples)
    frames = ahead.result()
    assert frames is not None
    return frames, filled_pauses._frame_count(len(samples)) - measured_before_stop


def test_frames_measured_piece_by_piece_are_those_of_the_whole_recording():
    x, start, end = _answer(_vowel(0.6))
    rng = np.random.default_rng(3)
    frames, n = FrameMeasures(), 0
    while n < len(x):
        n = min(len(x), n + int(rng.integers(100, 9000)))
        frames.extend(x[:n], final=n == len(x))
    whole = FrameMeasures()
    whole.extend(x, final=True)
    count = filled_pauses._frame_count(len(x))
    assert frames.count == whole.count == count
    assert np.allclose(frames.level, filled_pauses._frame_levels(x, count), atol=1e-3)
    assert np.allclose(frames.bands, whole.bands, rtol=1e-6)
    assert np.allclose(frames.sonorance, whole.sonorance, atol=1e-6)
    assert np.allclose(frames.openness, whole.openness, atol=1e-6)


def test_the_synthetic_filler_is_found_the_same_from_measures_taken_while_recording():
    x, start, end = _answer(_vowel(0.6))
    words, regions = _words_around(start, end), _everywhere(x)
    whole = recover_filled_pauses(x, words, regions)
    frames, left = _measure_while_recording(x, utterance_s=0.9)
    assert len(whole) == 1
    _same(recover_filled_pauses(x, words, regions, frames), whole)


def test_measures_of_another_recording_are_not_used():
    x, start, end = _answer(_vowel(0.6))
    other = FrameMeasures()
    other.extend(x[: len(x) // 2], final=True)  # ended earlier: not this recording's frames
    words, regions = _words_around(start, end), _everywhere(x)
    _same(recover_filled_pauses(x, words, regions, other), recover_filled_pauses(x, words, regions))


@pytest.mark.slow
@pytest.mark.needs_eval
def test_on_real_answers_the_fillers_found_ahead_are_those_of_the_whole_recording(transcriber, monkeypatch):
    """The spontaneous MFA clips (real fillers, most of them dropped by Whisper) as one answer of about
    80 s, transcribed live as the session does; its fillers from the audio, both ways."""
    from coach.audio.files import load_audio
    from tests.conftest import eval_audio
    from tests.support.live import record_live

    gap = np.zeros(SAMPLE_RATE // 2, np.float32)
    samples = np.concatenate([part for clip in ("mfa_acoustic_spont", "mfa_cold_spont", "mfa_cold3_spont")
                              for part in (load_audio(eval_audio(clip)).samples, gap)])
    live, words = record_live(transcriber, samples)
    regions = live.regions
    whole = recover_filled_pauses(samples, words, regions)
    assert len(whole) >= 10  # measured: 14 over the three clips (78.6 s)

    frames, left = _measure_while_recording(samples)
    assert left <= filled_pauses._frame_count(int(3.3 * SAMPLE_RATE))  # only the last stretch after the stop
    # After the stop the search reads the measures: no level or spectrum is computed again.
    def measured_again(*args, **kwargs):
        raise AssertionError("the recording was measured again after the stop")

    monkeypatch.setattr(filled_pauses, "_frame_levels", measured_again)
    monkeypatch.setattr(filled_pauses, "_power_spectra", measured_again)
    _same(recover_filled_pauses(samples, words, regions, frames), whole)
