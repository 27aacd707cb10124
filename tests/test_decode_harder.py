"""A failed-looking chunk is decoded again at rising temperatures only while that helps
(Transcriber._decode_harder). The decodes are scripted here: what is under test is when the
steps stop and which decode is kept, not Whisper (tests/test_speech*.py run the real one)."""

from __future__ import annotations

import pytest

from coach.speech import transcriber as transcriber_module
from coach.speech.transcriber import Chunk, Piece, Transcriber, Word
from coach.speech.vad import SpeechRegion

# One chunk of 20 s of speech: a decode's words cover the seconds they span.
CHUNK = Chunk((Piece(0.0, 0.0, 20.0),), (SpeechRegion(0.0, 20.0),))


def _words(seconds: float) -> list[Word]:
    return [Word(f"w{i}", float(i), float(i) + 0.9, 0.9) for i in range(int(seconds))]


def _harder(monkeypatch, greedy_s: float, scripted: list[tuple[float, bool]]):
    """Run _decode_harder after a greedy decode that read ``greedy_s`` seconds; each stronger
    decode reads the next (seconds, still suspect) of ``scripted``. Returns (words kept, the
    temperatures tried)."""
    tried = []

    def decode(self, whisper, audio, chunk, prompt, *, temperature=None):
        seconds, suspect = scripted[len(tried)]
        tried.append(temperature)
        return _words(seconds), suspect, None

    monkeypatch.setattr(Transcriber, "_decode", decode)
    monkeypatch.setattr(transcriber_module, "_STRONG_TEMPERATURES", (0.0, 0.2, 0.4, 0.6))
    transcriber = Transcriber.__new__(Transcriber)
    found, _cut = transcriber._decode_harder(None, None, CHUNK, None, _words(greedy_s), None)
    return found, tried


def test_a_sound_decode_ends_the_steps_and_is_kept(monkeypatch):
    found, tried = _harder(monkeypatch, 8, [(12, True), (18, False), (20, False)])
    assert tried == [0.0, 0.2]
    assert len(found) == 18


def test_the_steps_stop_when_one_reads_no_more_than_the_one_before(monkeypatch):
    # The beam reads less than the greedy decode did: hotter samples are not tried, and the
    # greedy words stand (the 20-minute benchmark answer's one failed-looking chunk).
    found, tried = _harder(monkeypatch, 15, [(6, True), (20, False)])
    assert tried == [0.0]
    assert len(found) == 15


def test_the_steps_go_on_while_each_reads_more(monkeypatch):
    found, tried = _harder(monkeypatch, 4, [(8, True), (12, True), (11, True), (20, False)])
    assert tried == [0.0, 0.2, 0.4]  # 0.4 read less than 0.2: no 0.6
    assert len(found) == 12


@pytest.mark.parametrize("greedy_s", [0, 5])
def test_every_temperature_at_most_once(monkeypatch, greedy_s):
    found, tried = _harder(monkeypatch, greedy_s, [(6, True), (7, True), (8, True), (9, True)])
    assert tried == [0.0, 0.2, 0.4, 0.6]
    assert len(found) == 9


def test_no_step_after_one_that_read_all_the_speech(monkeypatch):
    # The beam reads all 20 s but still looks failed ("uh, uh, uh" is a repetition by nature):
    # a sample could not be kept, as it could not read more (the 20-minute benchmark answer's
    # one failed-looking chunk, whose sample at 0.2 cost 4.8 s for 8 words).
    found, tried = _harder(monkeypatch, 15, [(20, True), (20, True)])
    assert tried == [0.0]
    assert len(found) == 20


def test_a_greedy_decode_that_read_all_the_speech_is_not_decoded_again(monkeypatch):
    found, tried = _harder(monkeypatch, 20, [(20, False)])
    assert tried == []
    assert len(found) == 20
