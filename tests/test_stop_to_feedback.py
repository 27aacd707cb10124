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
