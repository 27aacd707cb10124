"""Whisper reads a chunk in one window; when its text ends early the rest goes into the next chunk.

faster-whisper, given a chunk whose text ends before the chunk does, starts a second window at the
last word: a full 30 s encoder pass over a few seconds of audio. The transcriber stops it there
and starts its next chunk at that word instead, as Whisper's own seek does over a whole file
(issue 10: 76 windows against 47 on a 20-minute answer before).
"""

from __future__ import annotations

import numpy as np
import pytest

from coach.speech.transcriber import Chunk, Piece, _one_window, plan_chunks, uncovered_speech
from coach.speech.vad import SpeechRegion, speech_regions
from tests.support import speech


class _Model:
    def __init__(self) -> None:
        self.seen: list[int] = []

    def encode(self, features):
        self.seen.append(features)
        return features


def _windows(model, has_words, count):
    with _one_window(model, has_words) as ended:
        for n in range(count):
            model.encode(n)
    return ended


def test_the_second_window_is_stopped_once_the_first_gave_words():
    model = _Model()
    ended = _windows(model, lambda: True, 3)
    assert ended.is_set() and model.seen == [0]
    assert "encode" not in vars(model)  # the model's own method is back


def test_a_first_window_without_words_does_not_stop_the_next():
    model = _Model()
    ended = _windows(model, lambda: False, 3)
    assert not ended.is_set() and model.seen == [0, 1, 2]
    assert "encode" not in vars(model)


def test_an_error_inside_the_decoder_still_puts_the_method_back():
    model = _Model()
    with pytest.raises(ValueError), _one_window(model, lambda: True):
        raise ValueError("decoder failed")
    assert "encode" not in vars(model)


def test_a_chunk_planned_after_a_cut_starts_at_the_cut():
    regions = [SpeechRegion(10.0, 14.0), SpeechRegion(14.6, 30.0), SpeechRegion(31.0, 40.0)]
    first = plan_chunks(regions, 45.0)
    assert first == plan_chunks(regions, 45.0, floor=0.0)
    after = plan_chunks([SpeechRegion(22.4, 30.0), SpeechRegion(31.0, 40.0)], 45.0, floor=22.4)
    assert after[0].pieces[0].source == pytest.approx(22.4)
    assert all(p.source >= 22.4 for chunk in after for p in chunk.pieces)


def test_the_head_of_a_chunk_ends_at_the_cut():
    chunk = Chunk((Piece(10.0, 0.0, 5.0), Piece(20.0, 5.0, 10.0)),
                  (SpeechRegion(10.5, 14.5), SpeechRegion(20.5, 29.5)))
    head = chunk.head(24.0)
    assert head.pieces == (Piece(10.0, 0.0, 5.0), Piece(20.0, 5.0, 4.0))
    assert head.regions == (SpeechRegion(10.5, 14.5), SpeechRegion(20.5, 24.0))


@pytest.mark.slow
def test_speech_over_several_windows_is_read_once_and_whole(transcriber):
    script = speech.STAR_ANSWER + speech.THINK_ALOUD_ANSWER + speech.STAR_ANSWER
    samples = speech.speak(script).astype(np.float32)
    regions = speech_regions(samples)
    transcript = transcriber.transcribe(samples, regions=regions)
    assert uncovered_speech(regions, transcript.words) == []
    starts = [w.start for w in transcript.words]
    assert starts == sorted(starts)
    # No stretch read twice where one window stopped and the next began.
    for before, after in zip(transcript.words, transcript.words[1:]):
        assert after.start >= before.start
        assert not (before.text.lower() == after.text.lower() and after.start < before.end)
    said = speech.text(script).lower().split()
    assert abs(len(transcript.words) - len(said)) <= 0.1 * len(said)
