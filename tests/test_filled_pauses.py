"""Filled pauses: Whisper's "um"s, and the ones recovered from the audio.

Synthetic signals pin down the signal processing (a steady harmonic vowel is a filler; noise,
silence, a tone or a drawn-out word are not); the real eval recordings check recall and false
alarms against the human references with the default model. The margins below are what was
measured (benchmarks/fillers_audio.py) less one or two fillers.
"""

from __future__ import annotations

import numpy as np
import pytest

from coach.analysis.filled_pauses import Filler, fillers_from_words, find_filled_pauses, recover_filled_pauses
from coach.speech.transcriber import Word
from coach.speech.vad import SpeechRegion

SR = 16_000


# --- Synthetic sounds -----------------------------------------------------------------------


def _vowel(seconds: float, f0: float = 120.0, formants=((700, 90), (1200, 110), (2600, 160)),
           level: float = 0.05, seed: int = 0) -> np.ndarray:
    """A held vowel: harmonics of f0 shaped by formant peaks, with a little natural jitter."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * SR)) / SR
    pitch = f0 * (1 + 0.01 * np.sin(2 * np.pi * 3 * t))  # a slow 1 % vibrato, as voices have
    phase = 2 * np.pi * np.cumsum(pitch) / SR
    out = np.zeros_like(t)
    for k in range(1, int(4000 / f0)):
        freq = k * f0
        gain = sum(1 / (1 + ((freq - f) / bw) ** 2) for f, bw in formants) / k  # voice: -6 dB/octave
        out += gain * np.sin(k * phase + rng.uniform(0, 2 * np.pi))
    return (level * out / np.sqrt(np.mean(out ** 2))).astype(np.float32)


def _nasal(seconds: float, f0: float = 120.0, level: float = 0.025) -> np.ndarray:
    """A hummed "m": voice with one low resonance and little above it, softer than the vowel."""
    return _vowel(seconds, f0, formants=((250, 60), (1100, 300)), level=level, seed=1)


def _speech(seconds: float, seed: int = 0, level: float = 0.05) -> np.ndarray:
    """Word-like sound: vowels that change every 70 ms with hissing consonants between them."""
    rng = np.random.default_rng(seed)
    pieces = []
    while sum(len(p) for p in pieces) < seconds * SR:
        if rng.random() < 0.3:
            hiss = np.diff(rng.standard_normal(int(0.06 * SR) + 1)).astype(np.float32)
            pieces.append(level * 0.6 * hiss / hiss.std())
        else:
            formants = ((rng.uniform(300, 850), 90), (rng.uniform(900, 2300), 120), (rng.uniform(2400, 3200), 160))
            pieces.append(_vowel(0.07, rng.uniform(100, 150), formants, level, seed=int(rng.integers(1 << 30))))
    return np.concatenate(pieces)[: int(seconds * SR)]


def _silence(seconds: float) -> np.ndarray:
    return np.zeros(int(seconds * SR), np.float32)


def _with_room_noise(x: np.ndarray, level: float = 3e-4) -> np.ndarray:
    return x + level * np.random.default_rng(7).standard_normal(len(x)).astype(np.float32)


def _answer(middle: np.ndarray) -> tuple[np.ndarray, float, float]:
    """Speech, a short pause, ``middle``, a short pause, speech; and where ``middle`` lies."""
    start = 1.0 + 0.25
    x = np.concatenate([_speech(1.0, seed=1), _silence(0.25), middle, _silence(0.25), _speech(1.0, seed=2)])
    return _with_room_noise(x), start, start + len(middle) / SR


def _words_around(start: float, end: float) -> list[Word]:
    """Plausibly timed words over the two stretches of speech of :func:`_answer`."""
    before = [Word(t, 0.25 * i, 0.25 * (i + 1), 0.9) for i, t in enumerate(["so", "this", "is", "the"])]
    after = [Word(t, end + 0.25 + 0.25 * i, end + 0.25 + 0.25 * (i + 1), 0.9)
             for i, t in enumerate(["plan", "we", "had", "then"])]
    return before + after


def _everywhere(x: np.ndarray) -> list[SpeechRegion]:
    return [SpeechRegion(0.0, len(x) / SR)]


# --- Synthetic tests ------------------------------------------------------------------------


@pytest.mark.parametrize("f0", [85.0, 120.0, 220.0])
def test_a_held_vowel_no_word_covers_is_recovered(f0):
    x, start, end = _answer(_vowel(0.6, f0=f0))
    found = recover_filled_pauses(x, _words_around(start, end), _everywhere(x))
    assert len(found) == 1
    filler = found[0]
    assert filler.source == "audio" and filler.text == "uh"
    assert filler.start == pytest.approx(start, abs=0.1)
    assert filler.end == pytest.approx(end, abs=0.1)


@pytest.mark.parametrize("kind", ["silence", "white noise", "brown noise", "440 Hz tone", "speech"])
def test_other_sounds_in_the_gap_are_not_fillers(kind):
    rng = np.random.default_rng(3)
    seconds = 0.6
    n = int(seconds * SR)
    if kind == "silence":
        middle = _silence(seconds)
    elif kind == "white noise":
        middle = 0.05 * rng.standard_normal(n).astype(np.float32)
    elif kind == "brown noise":
        walk = np.cumsum(rng.standard_normal(n))
        walk -= np.convolve(walk, np.ones(801) / 801, "same")  # keep it from drifting off
        middle = (0.05 * walk / walk.std()).astype(np.float32)
    elif kind == "440 Hz tone":
        middle = (0.05 * np.sqrt(2) * np.sin(2 * np.pi * 440 * np.arange(n) / SR)).astype(np.float32)
    else:  # changing, word-like sound that Whisper happened not to transcribe
        middle = _speech(seconds, seed=5)
    x, start, end = _answer(middle)
    assert recover_filled_pauses(x, _words_around(start, end), _everywhere(x)) == []


def test_a_vowel_closing_into_a_hum_is_an_um():
    x, start, end = _answer(np.concatenate([_vowel(0.35), _nasal(0.35)]))
    found = recover_filled_pauses(x, _words_around(start, end), _everywhere(x))
    assert [f.text for f in found] == ["um"]


def test_a_filler_under_a_stretched_word_is_recovered():
    # Whisper pulled the start of "this" back over the "uh" before it: 0.9 s for four letters.
    # (As in the eval clips, a few tens of milliseconds of near-silence part the two.)
    vowel, word = _vowel(0.6), _speech(0.26, seed=9)
    x = _with_room_noise(np.concatenate([_speech(1.0, seed=1), _silence(0.25), vowel, _silence(0.04), word,
                                         _silence(0.3)]))
    words = [Word("so", 0.0, 0.5, 0.9), Word("then", 0.5, 1.0, 0.9), Word("this", 1.25, 2.15, 0.9)]
    found = recover_filled_pauses(x, words, _everywhere(x))
    assert len(found) == 1 and found[0].start == pytest.approx(1.25, abs=0.1)


def test_a_drawn_out_word_is_not_a_filler():
    # "sooo": the steady sound is the word itself; nothing is left of the word beside it.
    x, start, end = _answer(_vowel(0.6))
    words = _words_around(start, end) + [Word("so", start, end, 0.9)]
    assert recover_filled_pauses(x, sorted(words, key=lambda w: w.start), _everywhere(x)) == []


def test_a_vowel_inside_a_plausibly_timed_word_is_not_a_filler():
    x, start, end = _answer(_vowel(0.6))
    words = _words_around(start, end) + [Word("everything", start - 0.1, end + 0.1, 0.9)]
    assert recover_filled_pauses(x, sorted(words, key=lambda w: w.start), _everywhere(x)) == []


def test_far_from_voice_activity_nothing_is_recovered():
    x, start, end = _answer(_vowel(0.6))
    regions = [SpeechRegion(0.0, 0.5), SpeechRegion(end + 1.0, len(x) / SR)]
    assert recover_filled_pauses(x, _words_around(start, end), regions) == []


def test_fillers_from_words_keeps_whispers_filled_pauses():
    words = [Word("Um,", 0.0, 0.3, 0.8), Word("I", 0.3, 0.4, 0.9), Word("like", 0.4, 0.6, 0.9),
             Word("uh.", 0.7, 0.9, 0.6), Word("Hmm...", 1.0, 1.4, 0.7), Word("umbrella", 1.5, 2.0, 0.9)]
    assert fillers_from_words(words) == [
        Filler("um", 0.0, 0.3, "words"), Filler("uh", 0.7, 0.9, "words"), Filler("hmm", 1.0, 1.4, "words"),
    ]


def test_find_merges_both_sources_without_counting_one_filler_twice():
    first, start, end = _answer(_vowel(0.6))
    second, start2, end2 = _answer(_vowel(0.5, f0=110, seed=4))
    x = np.concatenate([first, second])
    shift = len(first) / SR
    words = _words_around(start, end) + [Word("uh,", start + 0.1, end - 0.1, 0.5)]
    words += [Word(w.text, w.start + shift, w.end + shift, w.probability) for w in _words_around(start2, end2)]
    words.sort(key=lambda w: w.start)
    found = find_filled_pauses(x, words, _everywhere(x))
    assert [f.source for f in found] == ["words", "audio"]
    assert found[1].start == pytest.approx(shift + start2, abs=0.1)
    assert found == sorted(found, key=lambda f: f.start)


@pytest.mark.parametrize("samples", [np.zeros(0, np.float32), np.zeros(8000, np.float32),
                                     np.zeros(SR * 3, np.float32), _vowel(0.2)])
def test_nothing_to_find_in_empty_silent_or_tiny_input(samples):
    assert recover_filled_pauses(samples, [], [SpeechRegion(0.0, len(samples) / SR)]) == []
    assert find_filled_pauses(samples, [], []) == []


# --- The real recordings, with the default model ----------------------------------------------


@pytest.fixture(scope="module")
def eval_runs(transcriber):
    """Per clip: samples, voice activity and the default model's words (transcribed once)."""
    from coach.audio.files import load_audio
    from coach.speech.vad import speech_regions
    from tests import evaldata
    from tests.conftest import eval_audio

    runs = {}
    for clip in evaldata.CLIPS:
        samples = load_audio(eval_audio(clip)).samples
        runs[clip] = (samples, speech_regions(samples), transcriber.transcribe(samples).words)
    return runs


def _scores(eval_runs, clips, *, audio: bool = True):
    from benchmarks.fillers_audio import score_clip

    scores = {}
    for clip in clips:
        samples, regions, words = eval_runs[clip]
        fillers = find_filled_pauses(samples, words, regions) if audio else fillers_from_words(words)
        scores[clip] = score_clip(clip, samples, fillers, regions)
    return scores


@pytest.mark.slow
@pytest.mark.needs_eval
def test_the_default_model_is_deterministic_on_a_spontaneous_clip(transcriber, eval_runs):
    samples, _, words = eval_runs["mfa_cold3_spont"]
    assert transcriber.transcribe(samples).words == words


@pytest.mark.slow
@pytest.mark.needs_eval
def test_audio_recovery_finds_most_reference_fillers(eval_runs):
    from benchmarks.fillers_audio import MFA_CLIPS

    with_audio = _scores(eval_runs, MFA_CLIPS)
    words_only = _scores(eval_runs, MFA_CLIPS, audio=False)
    matched = sum(s.matched for s in with_audio.values())
    assert sum(s.reference for s in with_audio.values()) == 31
    # Measured: 27 of 31 (words alone: 14). The goal is 80 %, 25 of 31.
    assert matched >= 25, {c: (s.matched, s.missed) for c, s in with_audio.items()}
    assert matched >= sum(s.matched for s in words_only.values()) + 10


@pytest.mark.slow
@pytest.mark.needs_eval
@pytest.mark.parametrize(("clip", "at_least", "at_most_false"), [("mfa_acoustic_spont", 2, 3),
                                                                 ("mfa_cold_spont", 3, 2),
                                                                 ("mfa_cold3_spont", 4, 1)])
def test_recovered_fillers_sit_where_the_alignment_puts_them(eval_runs, clip, at_least, at_most_false):
    # Measured: 3 of 3 (2 extra: the drawn-out words "lower" and "aaand"), 4 of 6 (1 extra, a
    # drawn-out "and") and 5 of 6 (none extra), all of them from the audio: tiny.en writes no
    # "um" or "uh" in these clips.
    score = _scores(eval_runs, [clip])[clip]
    assert score.matched >= at_least, score.missed
    assert score.from_audio >= at_least
    assert score.false <= at_most_false


@pytest.mark.slow
@pytest.mark.needs_eval
def test_no_fillers_are_invented_in_fluent_read_speech(eval_runs):
    from benchmarks.fillers_audio import CLEAN_CLIPS

    scores = _scores(eval_runs, CLEAN_CLIPS)
    minutes = sum(s.duration_s for s in scores.values()) / 60
    false = sum(s.false for s in scores.values())
    # Measured: none in 247 s. The goal is at most 1 per minute.
    assert false <= 1, {c: s.false for c, s in scores.items()}
    assert false / minutes <= 1.0


@pytest.mark.slow
@pytest.mark.needs_eval
def test_audio_alone_hears_the_held_fillers_of_the_elicited_clip(eval_runs):
    # Without words (decoding this clip falls back to sampling, so its words vary from run to
    # run): the held "uh"s and "um"s are found in their phrases; the staccato "uh uh uh" are
    # each shorter than 0.3 s and left to Whisper. Measured: 8 matched, 2 extra (the drawn-out
    # end of "Montreal", and "know" in "you know").
    from benchmarks.fillers_audio import score_clip

    samples, regions, _ = eval_runs["mfa_elicited_fillers"]
    score = score_clip("mfa_elicited_fillers", samples, recover_filled_pauses(samples, [], regions), regions)
    assert score.matched >= 7
    assert score.false <= 3
