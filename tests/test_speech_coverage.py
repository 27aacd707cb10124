"""Never lose speech (issue 16): in a longer answer whose voice changes level part-way, every
stretch of speech is covered by words, and no pause is reported over speech.

Two versions: real recordings from ../shared/eval (a loud clip, then a quieter, hoarse one,
joined with digital silence, as in the issue), and speech espeak-ng makes at test time (two
voices at levels 20 dB apart), which needs nothing outside the checkout.
"""

from __future__ import annotations

import jiwer
import numpy as np
import pytest
import soundfile

from coach.analysis.answer import analyse_file
from coach.audio.files import SAMPLE_RATE
from coach.settings import Settings
from coach.speech.transcriber import plan_chunks, uncovered_speech
from coach.speech.vad import SpeechRegion
from tests import evaldata
from tests.conftest import eval_audio
from tests.support import speech

pytestmark = pytest.mark.slow


def _normalise(text: str) -> str:
    from whisper_normalizer.english import EnglishTextNormalizer

    return EnglishTextNormalizer()(text)


def _join(parts: list[np.ndarray], gap_s: float) -> tuple[np.ndarray, list[float]]:
    """The parts with digital silence between them, and where each part starts (s)."""
    out, starts, at = [], [], 0
    for i, part in enumerate(parts):
        if i:
            out.append(np.zeros(int(gap_s * SAMPLE_RATE), np.float32))
            at += int(gap_s * SAMPLE_RATE)
        starts.append(at / SAMPLE_RATE)
        out.append(part.astype(np.float32))
        at += len(part)
    return np.concatenate(out), starts


def _overlap(a0: float, a1: float, b0: float, b1: float) -> float:
    return max(0.0, min(a1, b1) - max(a0, b0))


@pytest.mark.needs_eval
def test_a_quieter_hoarse_voice_after_a_loud_one_keeps_its_words_and_pauses(tmp_path, transcriber):
    loud, quiet = "mfa_acoustic_spont", "mfa_cold_spont"  # speech levels about 11 dB apart
    parts = [soundfile.read(eval_audio(clip), dtype="float32")[0] for clip in (loud, quiet)]
    samples, starts = _join(parts, 0.5)
    path = tmp_path / "joined.wav"
    soundfile.write(path, samples, SAMPLE_RATE, subtype="PCM_16")

    joined = analyse_file(path, Settings(), transcriber=transcriber)
    alone = analyse_file(eval_audio(quiet), Settings(), transcriber=transcriber)

    # No dropped region: voice activity heard the quiet clip as it does alone, and words cover it.
    quiet_speech = sum(_overlap(r.start, r.end, starts[1], joined.duration_s) for r in joined.speech_regions)
    assert quiet_speech >= 0.9 * alone.speech_s
    assert uncovered_speech(joined.speech_regions, joined.words) == []
    reference = _normalise(" ".join(evaldata.reference_words(loud) + evaldata.reference_words(quiet)))
    alone_both = analyse_file(eval_audio(loud), Settings(), transcriber=transcriber).transcript + " " + alone.transcript
    assert jiwer.wer(reference, _normalise(joined.transcript)) <= jiwer.wer(reference, _normalise(alone_both)) + 0.03

    # No pause over speech that the clip alone does not have: a pause of a second or more that
    # covers more than 0.2 s of the words the human aligner timed must be the clip's own pause
    # (issue 16 measured one of 16.4 s in the middle of the quiet clip). Known and measured: in
    # the joined answer voice activity misses one faint word of the quiet clip that it hears
    # alone ("and" at 19.65-20.16 s, 9 dB over the noise), so that pause ends 0.7 s later.
    alone_pauses = {"loud": [], "quiet": [(p.start + starts[1], p.end + starts[1]) for p in alone.pauses]}
    for key, clip, start in zip(("loud", "quiet"), (loud, quiet), starts):
        for word in evaldata.aligned_words(clip):
            w0, w1 = word.start + start, word.end + start
            for pause in joined.pauses:
                if pause.duration_s >= 1.0 and _overlap(pause.start, pause.end, w0, w1) > 0.2:
                    assert any(abs(a - pause.start) <= 0.3 and -0.3 <= pause.end - b <= 1.0
                               for a, b in alone_pauses[key]), (clip, word, pause)
    assert max(p.duration_s for p in joined.pauses) < 4.0


LOUD_TEXT = (
    0.4,
    "At my last company, our fraud model was flagging too many good customers.", 0.6,
    "My goal was to cut the false positives before the holiday season.", 0.6,
    "I pulled three months of disputes, and I found that new accounts were scored unfairly.", 0.6,
    "I retrained the model with better features, and I ran an experiment with the risk team.", 0.3,
)
QUIET_TEXT = (
    0.3,
    "After the launch, our false positives went down by thirty percent.", 0.6,
    "Thank you for having me, I am glad to talk about my work today.", 0.4,
)


def test_speech_made_at_test_time_a_quiet_second_voice_is_not_lost(tmp_path, transcriber):
    loud = speech.speak(LOUD_TEXT)
    loud = loud / np.max(np.abs(loud)) * 0.7
    quiet = speech.speak(QUIET_TEXT, voice="en-gb")
    quiet = quiet / np.max(np.abs(quiet)) * 0.07  # 20 dB quieter
    samples, starts = _join([loud, quiet], 0.5)
    path = tmp_path / "two_levels.wav"
    soundfile.write(path, samples, SAMPLE_RATE, subtype="PCM_16")

    analysis = analyse_file(path, Settings(), transcriber=transcriber)

    assert uncovered_speech(analysis.speech_regions, analysis.words) == []
    quiet_words = [w for w in analysis.words if w.start >= starts[1] - 0.2]
    heard = _normalise(" ".join(w.text for w in quiet_words))
    assert jiwer.wer(_normalise(speech.text(QUIET_TEXT)), heard) <= 0.2, heard
    assert jiwer.wer(_normalise(speech.text(LOUD_TEXT) + " " + speech.text(QUIET_TEXT)),
                     _normalise(analysis.transcript)) <= 0.15
    # The longest silence in the script is 0.6 s inside a voice, 0.8 s between the two.
    assert max(p.duration_s for p in analysis.pauses) <= 1.3
    quiet_speech = sum(_overlap(r.start, r.end, starts[1], analysis.duration_s) for r in analysis.speech_regions)
    assert quiet_speech >= 0.6 * (len(quiet) / SAMPLE_RATE - 1.3)


def test_chunks_are_cut_in_pauses_and_shorten_only_long_silences():
    regions = [SpeechRegion(1.0, 2.0), SpeechRegion(2.5, 10.0), SpeechRegion(15.0, 20.0), SpeechRegion(21.0, 40.0)]
    chunks = plan_chunks(regions, 41.0)
    assert [len(c.regions) for c in chunks] == [3, 1]
    first, second = chunks
    # The lead-in and the 0.5 s pause stay whole; of the 5 s silence only 0.5 s a side is kept.
    assert [(p.source, p.length) for p in first.pieces] == [(0.0, 10.5), (14.5, 6.0)]
    assert first.length_s <= 28.0 and second.length_s <= 28.0
    # Times in a chunk map back to the recording across the cut.
    assert first.to_source(12.0) == pytest.approx(16.0)
    assert second.pieces[0].source == pytest.approx(20.5)


def test_speech_longer_than_a_chunk_is_split():
    chunks = plan_chunks([SpeechRegion(0.2, 70.0)], 70.5)
    assert len(chunks) == 3
    assert all(c.length_s <= 28.0 for c in chunks)
    assert chunks[0].pieces[0].source == 0.0 and chunks[-1].pieces[-1].source + chunks[-1].pieces[-1].length == 70.5


def test_the_live_path_keeps_the_quiet_voice_too(transcriber):
    """The practice screen transcribes utterance by utterance while the user speaks."""
    from coach.speech.vad import speech_regions
    from tests.support.live import record_live

    loud = speech.speak(LOUD_TEXT)
    quiet = speech.speak(QUIET_TEXT, voice="en-gb")
    samples, starts = _join([loud / np.max(np.abs(loud)) * 0.7, quiet / np.max(np.abs(quiet)) * 0.07], 0.5)
    live, words = record_live(transcriber, samples)

    assert live.untranscribed == []
    assert uncovered_speech(speech_regions(samples), words) == []
    heard = _normalise(" ".join(w.text for w in words if w.start >= starts[1] - 0.2))
    assert jiwer.wer(_normalise(speech.text(QUIET_TEXT)), heard) <= 0.2, heard


def test_speech_that_could_not_be_transcribed_is_reported_with_its_times():
    from rich.console import Console

    from coach.analysis.answer import AnswerAnalysis
    from coach.answer_report import render
    from coach.speech.vad import SpeechRegion

    analysis = AnswerAnalysis(transcript="we shipped it", duration_s=12.0, speech_s=6.0,
                              untranscribed=[SpeechRegion(4.0, 6.5)])
    assert analysis.to_json()["untranscribed"] == [{"start": 4.0, "end": 6.5}]
    console = Console(width=120, record=True)
    console.print(render(analysis))
    shown = console.export_text()
    assert "Not transcribed" in shown and "no words could be made out" in shown
    assert AnswerAnalysis(transcript="typed").to_json()["untranscribed"] is None
