"""How it sounded (coach/analysis/prosody.py): synthetic speech with known properties, made at
test time with espeak-ng (SSML for pitch, sox for level), and the real eval clips."""

from __future__ import annotations

import json
import math
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import pytest
import soundfile

from coach.analysis import prosody
from coach.audio.files import Audio
from coach.speech.transcriber import Word
from coach.speech.vad import SpeechRegion, speech_regions
from tests.conftest import eval_audio, run_coach
from tests.support import speech

RATE = speech.RATE
#: Statements a tiny model hears right, each ended by a 0.6 s pause.
STATEMENTS = (
    "At my last company, our fraud model was flagging far too many good customers.",
    "My goal was to cut the false positives before the holiday season started.",
    "I pulled three months of disputes and found that new accounts were scored unfairly.",
    "After the launch, our false positives went down by thirty percent overall.",
)


def _espeak_ssml(ssml: str, voice: str = speech.VOICE) -> np.ndarray:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "s.wav"
        subprocess.run(["espeak-ng", "-m", "-v", voice, "-s", str(speech.WPM), "-w", str(out), ssml], check=True,
                       capture_output=True, timeout=60, stdin=subprocess.DEVNULL)
        x, rate = soundfile.read(out, dtype="float64")
    return speech.resample(speech._trim(x), rate)


def _join(parts: list[np.ndarray], gap_s: float = 0.6) -> tuple[np.ndarray, list[tuple[float, float]]]:
    """Sentences with pauses between them, and each sentence's (start, end) in seconds."""
    gap = np.zeros(int(gap_s * RATE))
    out, spans, t = [gap], [], gap_s
    for p in parts:
        spans.append((t, t + len(p) / RATE))
        out += [p, gap]
        t += (len(p) + len(gap)) / RATE
    return np.concatenate(out).clip(-1, 1).astype(np.float32), spans


def _voice(samples: np.ndarray, words=()) -> prosody.Voice:
    return prosody.measure_voice(prosody.track(samples, speech_regions(samples)), list(words))


def _assert_finite(value) -> None:
    """No NaN or infinity anywhere in the JSON."""
    text = json.dumps(value, allow_nan=True)
    assert "NaN" not in text and "Infinity" not in text, text


@pytest.fixture(scope="module")
def star_text() -> str:
    return " ".join(STATEMENTS)


def test_flat_espeak_is_monotone_and_plain_espeak_is_not(star_text):
    flat = _voice(_espeak_ssml(f'<speak><prosody range="x-low">{star_text}</prosody></speak>').astype(np.float32))
    plain = _voice(_espeak_ssml(f"<speak>{star_text}</speak>").astype(np.float32))
    assert flat.monotone is True and flat.pitch["variation_band"] == "monotone"
    assert plain.monotone is False
    # The reference figures, measured with Praat: about 0.9 semitones flat, 3.5 plain.
    assert flat.pitch["range_semitones"] < 1.5 < 3.0 < plain.pitch["range_semitones"]
    assert flat.pitch["variation"] < prosody.MONOTONE_PVQ < plain.pitch["variation"]
    _assert_finite(flat.to_json())


@pytest.mark.needs_eval
@pytest.mark.parametrize("clip", ["jfk_ask_not", "mfa_acoustic_spont", "mfa_elicited_fillers",
                                  "librispeech_61-70968-0000"])
def test_real_speech_is_not_called_monotone(clip):
    samples, rate = soundfile.read(eval_audio(clip), dtype="float32")
    assert rate == RATE
    voice = _voice(samples)
    assert voice.monotone is False
    assert voice.pitch["variation"] >= prosody.TYPICAL_PVQ[0]
    assert 6.0 <= voice.pitch["range_semitones"] <= 14.0


def _sox_quieter_tail(x: np.ndarray, share: float = 0.4, db: float = -18.0) -> np.ndarray:
    """The last ``share`` of a sentence made ``db`` quieter with sox's own ``vol`` effect."""
    if shutil.which("sox") is None:
        pytest.skip("sox is needed to make the quieter sentence endings: apt-get install sox")
    cut = int(len(x) * (1 - share))
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = Path(tmp) / "in.wav", Path(tmp) / "out.wav"
        soundfile.write(src, x[cut:], RATE, subtype="FLOAT")
        subprocess.run(["sox", str(src), str(dst), "vol", f"{db}dB"], check=True, capture_output=True, timeout=60)
        tail, _ = soundfile.read(dst, dtype="float64")
    return np.concatenate([x[:cut], tail])


def _analyse(samples: np.ndarray, transcriber):
    from coach.analysis.answer import analyse_audio
    from coach.settings import Settings

    return analyse_audio(Audio(samples), Settings(), transcriber=transcriber)


def _overlaps(moment: dict, span: tuple[float, float]) -> bool:
    return moment["start"] < span[1] and moment["end"] > span[0]


def test_sentences_made_quieter_at_the_end_are_trailing_off_and_the_others_are_not(transcriber):
    parts = [_espeak_ssml(f"<speak>{s}</speak>") for s in STATEMENTS]
    faded = {0, 2}
    parts = [_sox_quieter_tail(p) if i in faded else p for i, p in enumerate(parts)]
    samples, spans = _join(parts)
    analysis = _analyse(samples, transcriber)
    voice = analysis.to_json()["voice"]
    _assert_finite(voice)
    flagged = {i for i, span in enumerate(spans) for m in voice["trailing_off"] if _overlaps(m, span)}
    assert flagged == faded, voice["trailing_off"]
    assert all(m["drop_db"] >= prosody.TRAIL_DROP_DB for m in voice["trailing_off"])


def test_a_statement_ending_in_a_rise_is_uptalk_and_a_plain_one_is_not(transcriber):
    def statement(text: str, rise: bool) -> np.ndarray:
        head, last = text[:-1].rsplit(" ", 1)
        ending = f'<prosody pitch="+30%">{last}.</prosody>' if rise else f"{last}."
        return _espeak_ssml(f"<speak>{head} {ending}</speak>")

    risen = {1, 3}
    samples, spans = _join([statement(s, i in risen) for i, s in enumerate(STATEMENTS)])
    voice = _analyse(samples, transcriber).to_json()["voice"]
    flagged = {i for i, span in enumerate(spans) for m in voice["uptalk"] if _overlaps(m, span)}
    assert flagged == risen, voice["uptalk"]
    assert voice["trailing_off"] == []


def test_a_question_that_rises_is_not_uptalk():
    words = [Word("Can", 0.0, 0.2, 0.9), Word("we", 0.2, 0.4, 0.9),
             Word("start?", 0.4, 1.0, 0.9)]
    times = np.arange(0, 1.0, prosody.STEP_S)
    f0 = np.where(times < 0.4, 100.0, 140.0)  # a big final rise, as questions have
    frames = prosody.VoiceFrames(times, f0, np.full(len(times), -20.0), len(times) * 320, 0)
    assert prosody.measure_voice(frames, words).uptalk == []
    statement = [*words[:2], Word("start.", 0.4, 1.0, 0.9)]
    assert [m.text for m in prosody.measure_voice(frames, statement).uptalk] == ["start."]


def test_a_whisper_has_no_pitch_and_says_why():
    whisper = speech.speak((0.3, STATEMENTS[0], 0.3), voice="en-us+whisper").astype(np.float32)
    voice = _voice(whisper)
    data = voice.to_json()
    _assert_finite(data)
    assert data["pitch"] is None and data["monotone"] is None and data["uptalk"] is None
    assert "voiced" in data["reason"]
    assert data["loudness"] is not None  # a whisper still has a level


def test_noise_without_voicing_and_no_speech_at_all_give_reasons_not_nan():
    rng = np.random.default_rng(0)
    noise = (rng.standard_normal(3 * RATE) * 0.1).astype(np.float32)
    data = _voice(noise).to_json()
    _assert_finite(data)
    assert data["pitch"] is None and data["reason"]
    empty = prosody.measure_voice(prosody.VoiceFrames(), []).to_json()
    assert empty["pitch"] is None and empty["loudness"] is None and empty["reason"]


def test_clipping_leaves_levels_out_with_the_reason():
    clean = speech.speak((0.3, STATEMENTS[1], 0.3)).astype(np.float32)
    clipped = np.clip(clean * 40, -1, 1)
    data = _voice(clipped).to_json()
    _assert_finite(data)
    assert data["loudness"] is None and data["trailing_off"] is None and data["clarity"] is None
    assert "clips" in data["reason"]
    assert _voice(clean).to_json()["loudness"] is not None


def test_a_distant_microphone_is_too_quiet():
    clean = speech.speak((0.3, STATEMENTS[1], 0.3)).astype(np.float32)
    level = _voice(clean).loudness["median_dbfs"]
    far = clean * 10 ** ((prosody.QUIET_DBFS - 8 - level) / 20)
    quiet = _voice(far).loudness
    assert quiet["too_quiet"] is True and not _voice(clean).loudness["too_quiet"]
    assert math.isclose(quiet["median_dbfs"], prosody.QUIET_DBFS - 8, abs_tol=1.5)


def test_unsure_quiet_words_are_clarity_moments_and_sure_ones_are_not():
    times = np.arange(0, 2.0, prosody.STEP_S)
    db = np.where(times >= 1.5, -45.0, -20.0)
    frames = prosody.VoiceFrames(times, np.full(len(times), 120.0), db, len(times) * 320, 0)
    # Same length and speed each: only the level and Whisper's certainty differ.
    words = [Word("team", 0.0, 0.5, 0.95), Word("ship", 0.5, 1.0, 0.3),
             Word("fast", 1.0, 1.5, 0.9), Word("then.", 1.5, 2.0, 0.3)]
    assert [m.text for m in prosody.measure_voice(frames, words).clarity] == ["then."]


def test_track_reads_long_audio_a_span_at_a_time():
    regions = [SpeechRegion(0.0, 75.0)]
    spans = prosody._spans(regions, 80.0)
    assert all(end - start <= prosody._MAX_SPAN_S for start, end in spans)
    assert spans[0][0] == 0.0 and spans[-1][1] == pytest.approx(75.05)


def test_analyze_json_has_the_voice_keys(spoken_star_answer):
    result = run_coach("analyze", str(spoken_star_answer), "--json")
    assert result.returncode == 0, result.stderr
    voice = json.loads(result.stdout)["voice"]
    assert set(voice) == {"pitch", "monotone", "loudness", "trailing_off", "uptalk", "clarity", "reason"}
    assert {"median_hz", "range_semitones", "variation", "variation_band", "voiced_s", "sentences"} <= set(voice["pitch"])
    assert {"median_dbfs", "spread_db", "too_quiet"} == set(voice["loudness"])
    assert voice["pitch"]["sentences"] and {"start", "end", "median_semitones", "range_semitones",
                                            "slope_semitones"} == set(voice["pitch"]["sentences"][0])
    typed = run_coach("analyze", "--text", "I led the migration and we cut costs by a third last year.", "--json")
    assert typed.returncode == 0, typed.stderr
    assert json.loads(typed.stdout)["voice"] is None


async def test_feedback_screen_shows_the_strip_and_marks_the_moments(transcriber):
    from dataclasses import replace as dc_replace

    from coach.session import context_for
    from coach.settings import load_settings
    from coach.ui.app import make_app
    from coach.ui.screens.feedback import FeedbackScreen

    parts = [_espeak_ssml(f"<speak>{s}</speak>") for s in STATEMENTS[:2]]
    samples, _ = _join([_sox_quieter_tail(parts[0]), parts[1]])
    settings = load_settings()
    settings = dc_replace(settings, audio=dc_replace(settings.audio, input_device="no-such-microphone"),
                          voice=dc_replace(settings.voice, mute=True))
    app = make_app(settings)
    async with app.run_test(size=(120, 48)):
        question = app.questions[0]
        from coach.analysis.answer import analyse_audio

        analysis = analyse_audio(Audio(samples), settings, transcriber=transcriber, question=context_for(question))
        assert analysis.voice.trailing_off
        feedback = FeedbackScreen(question, analysis, None)
        await app.push_screen(feedback)
        strip = str(feedback.query_one("#voice-strip").render())
        assert "pitch" in strip and "level" in strip and "faded" in strip
        transcript = feedback._transcript()
        faded = analysis.voice.trailing_off[0]
        styled = [transcript.plain[s.start:s.end] for s in transcript.spans if "orange1" in str(s.style)]
        assert styled and all(piece in faded.text for piece in styled)


def test_the_live_cue_hears_a_quiet_utterance_and_not_a_normal_one():
    clean = speech.speak((0.3, STATEMENTS[1], 0.3)).astype(np.float32)
    far = clean * 10 ** (-30 / 20)  # a microphone several times further away

    def parts(x):
        return [prosody.track(x, speech_regions(x))]

    level = prosody.speech_level(parts(clean)[0])
    assert level > prosody.QUIET_DBFS
    assert prosody.quiet_lately(parts(far)) is (level - 30 < prosody.QUIET_DBFS) is True
    assert prosody.quiet_lately(parts(clean)) is False
    assert prosody.quiet_lately([]) is False  # nothing said yet: no cue


def test_the_live_path_tracks_each_utterance_and_measures_as_the_whole_answer_does(transcriber):
    """While recording, pitch and level are tracked per utterance (so the stop only tracks the
    last one); joined, they give the measures a pass over the whole answer gives."""
    from tests.support.live import record_live

    samples = speech.speak(speech.STAR_ANSWER).astype(np.float32)
    live, words = record_live(transcriber, samples)
    assert len(live.voice_parts) >= 3  # one per utterance, not one at the end
    joined = prosody.measure_voice(prosody.VoiceFrames.join(live.voice_parts), words)
    whole = prosody.measure_voice(prosody.track(samples, speech_regions(samples)), words)
    assert joined.pitch["median_hz"] == pytest.approx(whole.pitch["median_hz"], rel=0.03)
    assert joined.pitch["variation"] == pytest.approx(whole.pitch["variation"], abs=0.02)
    assert joined.loudness["median_dbfs"] == pytest.approx(whole.loudness["median_dbfs"], abs=1.0)
    assert joined.monotone == whole.monotone
