"""What is done while the answer is spoken, so that little is left after the stop key: the voice
activity of each utterance is kept for the analysis, and the finished sentences are encoded for
the relevance check ahead of time."""

from __future__ import annotations

import numpy as np
import pytest

from coach.analysis.pace import find_pauses
from coach.speech.vad import SpeechRegion, speech_regions
from tests.support import speech
from tests.support.live import record_live

pytestmark = pytest.mark.slow

ANSWER = ["Our fraud model was flagging too many good customers.", 1.2,
          "I was asked to cut the false alarms without missing real fraud.", 0.9,
          "So I rebuilt the features around how often a card was used in the last hour.", 1.5,
          "The false alarms fell by a third within a month."]


def test_voice_activity_found_while_speaking_matches_a_pass_over_the_whole_answer(transcriber):
    samples = speech.speak(ANSWER).astype(np.float32)
    live, words = record_live(transcriber, samples)
    whole = speech_regions(samples)

    assert len(live.regions) == len(whole), (live.regions, whole)
    for mine, theirs in zip(live.regions, whole):
        assert abs(mine.start - theirs.start) <= 0.15 and abs(mine.end - theirs.end) <= 0.15, (mine, theirs)
    live_pauses = find_pauses(live.regions, 0.3, 1.0)
    whole_pauses = find_pauses(whole, 0.3, 1.0)
    assert [round(p.duration_s, 1) for p in live_pauses] == pytest.approx(
        [round(p.duration_s, 1) for p in whole_pauses], abs=0.2)
    assert len(whole_pauses) >= 3  # the script's three pauses, at least


def test_an_utterance_cut_in_the_middle_of_speech_stays_one_region():
    from coach.speech.live import LiveTranscriber

    live = LiveTranscriber(transcriber=None, get_samples=lambda: np.zeros(0, np.float32))  # type: ignore[arg-type]
    live._add_regions([SpeechRegion(0.5, 24.0)], 0.0)
    live._add_regions([SpeechRegion(0.01, 3.0)], 24.0)  # the next utterance, going on at once
    live._add_regions([SpeechRegion(1.0, 2.0)], 28.0)
    assert live.regions == [SpeechRegion(0.5, 27.0), SpeechRegion(29.0, 30.0)]


def test_the_analysis_of_a_live_answer_does_not_read_the_whole_recording_again(transcriber, monkeypatch):
    from coach.analysis import answer
    from coach.audio.files import Audio
    from coach.settings import Settings

    samples = speech.speak(ANSWER).astype(np.float32)
    live, words = record_live(transcriber, samples)

    def whole_pass(_samples):
        raise AssertionError("voice activity was measured again over the whole recording")

    monkeypatch.setattr(answer, "speech_regions", whole_pass)
    analysis = answer.analyse_audio(Audio(samples, None), Settings(), transcriber=transcriber,
                                    question=answer.QuestionContext(text="Tell me about a model you improved."),
                                    words=words, untranscribed=live.untranscribed, regions=live.regions)
    assert analysis.speech_regions == live.regions
    assert "false alarms" in analysis.transcript.lower()


def test_finished_sentences_are_encoded_while_the_answer_goes_on(transcriber):
    from coach.analysis import embeddings
    from coach.analysis.answer import QuestionContext
    from coach.analysis.language import TimedText, parse
    from coach.analysis.relevance import _sentences
    from coach.session import _LanguageAhead

    if not embeddings.available():
        pytest.skip("the sentence encoder is not installed")
    samples = speech.speak(ANSWER).astype(np.float32)
    _, words = record_live(transcriber, samples)
    encoder = embeddings.load()
    encoder._cache.clear()
    ahead = _LanguageAhead(QuestionContext(text="Tell me about a model you improved.", kind="behavioral"))
    ahead.prepare(words)
    sentences = _sentences(parse(TimedText.from_words(words)))
    assert len(sentences) >= 3
    assert all(sentence in encoder._cache for sentence in sentences[:-1])
    assert "Tell me about a model you improved." in encoder._cache
    # The last sentence may still go on when the user keeps speaking: it is left to the stop.
    assert sentences[-1] not in encoder._cache


class _Counting:
    """A transcriber that counts its decodes (and the audio given to each), and otherwise is the real one."""

    def __init__(self, real):
        self.real, self.calls = real, []

    def load(self):
        return self.real.load()

    def transcribe(self, samples, **kwargs):
        self.calls.append(len(samples) / 16_000)
        return self.real.transcribe(samples, **kwargs)


def _feed(live, recorded, samples, upto_s: float, step_s: float = 0.3) -> None:
    """Let the worker look at the recording every ``step_s``, as it grows to ``upto_s`` seconds."""
    for n in range(recorded["n"], int(upto_s * 16_000) + 1, int(step_s * 16_000)):
        recorded["n"] = n
        live._transcribe_finished()


def test_the_last_utterance_is_read_while_the_speaker_pauses_so_the_stop_finds_nothing_left(transcriber):
    from coach.speech.live import LiveTranscriber

    # 0.8 s of silence after the last word: longer than the pause that starts reading ahead,
    # shorter than the one that ends an utterance at the growing edge.
    samples = speech.speak([*ANSWER, 0.8]).astype(np.float32)
    counting = _Counting(transcriber)
    recorded = {"n": 0}
    live = LiveTranscriber(counting, lambda: samples[: recorded["n"]])
    _feed(live, recorded, samples, len(samples) / 16_000)
    before_stop = len(counting.calls)
    words = live.stop(samples)

    assert len(counting.calls) == before_stop, "the stop decoded again what was read ahead"
    text = " ".join(w.text for w in words).lower()
    assert "within a month" in text and "customers" in text, text
    assert [w.start for w in words] == sorted(w.start for w in words)
    assert live.regions[-1].end == pytest.approx(speech_regions(samples)[-1].end, abs=0.15)


def test_a_reading_ahead_the_speaker_talks_over_is_read_again_whole(transcriber):
    from coach.speech.live import LiveTranscriber

    # A 0.55 s pause inside an utterance (one that does not end it): read ahead, then the
    # speaker goes on. The worker looks every 0.1 s so that it sees the pause at the edge.
    samples = speech.speak(["I rebuilt the features around card use in the last hour.", 0.55,
                            "and the false alarms fell by a third.", 0.3]).astype(np.float32)
    recorded = {"n": 0}
    counting = _Counting(transcriber)
    live = LiveTranscriber(counting, lambda: samples[: recorded["n"]])
    _feed(live, recorded, samples, len(samples) / 16_000, step_s=0.1)
    words = live.stop(samples)

    text = " ".join(w.text for w in words).lower()
    assert text.count("features") == 1 and text.count("alarms") == 1, text
    assert len(counting.calls) >= 2  # the reading ahead, and the whole utterance again
    assert counting.calls[-1] == pytest.approx(len(samples) / 16_000, abs=0.01)  # read whole
