"""The real model on real recordings: words, pace and pauses against human references."""

from __future__ import annotations

import jiwer
import pytest

from coach.analysis.answer import analyse_file
from coach.audio.files import load_audio
from coach.settings import Settings
from coach.speech.vad import speech_regions
from tests import evaldata
from tests.conftest import eval_audio

pytestmark = [pytest.mark.slow, pytest.mark.needs_eval]


def _normalise(text: str) -> str:
    from whisper_normalizer.english import EnglishTextNormalizer

    return EnglishTextNormalizer()(text)


def test_transcribes_jfk_word_for_word(transcriber):
    transcript = transcriber.transcribe(load_audio(eval_audio("jfk_ask_not")).samples)
    reference = evaldata.reference_text("jfk_ask_not")
    assert _normalise(transcript.text) == _normalise(reference)
    assert jiwer.wer(_normalise(reference), _normalise(transcript.text)) == 0
    assert [w.text.strip(",.").lower() for w in transcript.words[:4]] == ["and", "so", "my", "fellow"]
    for word in transcript.words:
        assert 0 <= word.start <= word.end <= 11.0
        assert 0 < word.probability <= 1


@pytest.mark.parametrize("clip", evaldata.ALIGNED)
def test_pace_matches_the_alignment(clip, transcriber):
    analysis = analyse_file(eval_audio(clip), Settings(), transcriber=transcriber)
    expected = evaldata.aligned_wpm(clip)
    assert analysis.pace.wpm == pytest.approx(expected, rel=0.05)
    assert analysis.speech_s < analysis.duration_s
    assert analysis.pace.articulation_wpm > analysis.pace.wpm
    assert sum(1 for w in analysis.pace.windows) == -(-int(analysis.duration_s) // 10)


@pytest.mark.parametrize("clip", evaldata.ALIGNED)
def test_every_aligned_silence_is_found_as_a_pause(clip):
    regions = speech_regions(load_audio(eval_audio(clip)).samples)
    gaps = [(before.end, after.start) for before, after in zip(regions, regions[1:])]
    for silence in evaldata.aligned_silences(clip):
        if (clip, silence.start) in evaldata.NOT_SILENT:
            continue
        assert any(abs(start - silence.start) <= 0.15 and abs(end - silence.end) <= 0.15 for start, end in gaps), (
            f"silence {silence.start:.2f}-{silence.end:.2f} s not found; gaps: {gaps}"
        )


def test_word_count_close_to_reference(transcriber):
    clip = "mfa_cold_spont"
    analysis = analyse_file(eval_audio(clip), Settings(), transcriber=transcriber)
    spoken = [w for w in analysis.words if w.text.strip(",.?!").lower() not in evaldata.FILLERS]
    assert len(spoken) == pytest.approx(len(evaldata.reference_words(clip)), rel=0.05)
