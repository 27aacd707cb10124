"""How the answer sounded: pitch variety, level, trailing off, uptalk and clarity.

Pitch and level come from Praat's own algorithms through praat-parselmouth: To Pitch (ac) and
To Intensity, run only over the stretches the voice-activity detector heard as speech, on a
20 ms grid (half Praat's default step: the summaries below need no finer grid, and the cost
halves). :func:`track` turns samples into frames; it can run a piece at a time while the answer
is being recorded, and :func:`measure_voice` turns the frames plus the timed words into the
measures, cheaply, after the stop.

The reference figures (README, "How it sounded"):
- pitch variation quotient (PVQ, Hincks 2004, 2005): standard deviation of F0 over mean F0 in
  10 s windows of speech, averaged. Hincks (2004) measured 20 ten-minute student presentations:
  speakers' means from 0.11 to 0.235, single 10 s windows from 0.06 to 0.36.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from coach.speech.transcriber import Word
from coach.speech.vad import SpeechRegion

RATE = 16_000
STEP_S = 0.02
#: Praat's usual speech range; octave errors outside one octave of the speaker's median are
#: dropped afterwards (see :func:`_clean_f0`).
PITCH_FLOOR_HZ = 75.0
PITCH_CEILING_HZ = 500.0
#: Praat's intensity is in dB re 2e-5 Pa with samples taken as pascals; full scale 1.0 is 93.98 dB.
_PRAAT_DB_AT_FULL_SCALE = 20 * np.log10(1 / 2e-5)

#: Hincks (2004): lowest 10 s window in her corpus; an answer averaging below it is monotone.
MONOTONE_PVQ = 0.06
#: Hincks (2004): the range of the speakers' ten-minute means.
TYPICAL_PVQ = (0.11, 0.235)
PVQ_WINDOW_S = 10.0
#: A window needs this much voiced speech for its PVQ to mean anything.
_MIN_VOICED_S = 1.0
#: Speech quieter than this (median, dBFS) is a microphone too far away or turned down: the
#: recorder itself counts blocks under -42 dBFS as not speaking.
QUIET_DBFS = -40.0
#: A good recording level band for speech, as trends show it.
GOOD_LEVEL_DBFS = (-30.0, -12.0)
#: Trailing off: the last 40% of a sentence's words this far below its first 60%.
TRAIL_SHARE = 0.4
TRAIL_DROP_DB = 10.0
_MIN_SENTENCE_WORDS = 5
#: Uptalk: the statement's last word (its 80th percentile) this far above the rest of the sentence
#: (median). Set on espeak-ng statements: plain endings came out at -1.1 st or lower, endings raised
#: 30% with SSML at -0.6 to +1.7 st.
UPTALK_RISE_ST = 1.0
#: A rise the speaker carries straight on from is a continuation rise ("..., and"), which
#: English uses mid-thought whatever Whisper's punctuation says: only a rise followed by a pause
#: (or the end of the answer) ends a statement as a question would.
_UPTALK_PAUSE_S = 0.4
#: Clarity: Whisper's word probability below this, and the word quiet or fast.
UNSURE_PROBABILITY = 0.5
QUIET_WORD_DB = 10.0
FAST_WORD_SHARE = 0.6
#: Samples at or above this magnitude are clipped; more than this share of speech, and levels lie.
_CLIP_LEVEL = 0.99
CLIPPED_SHARE = 0.005
#: Spans of speech tracked at once: regions closer than this are joined, and none is longer
#: than the longest span, so memory stays flat in the answer's length.
_JOIN_GAP_S = 0.5
_MAX_SPAN_S = 30.0
_PAD_S = 0.05


@dataclass
class VoiceFrames:
    """Pitch (0 = unvoiced) and level per 20 ms frame over the speech, with clipping counts."""

    times: np.ndarray = field(default_factory=lambda: np.zeros(0))
    f0: np.ndarray = field(default_factory=lambda: np.zeros(0))
    dbfs: np.ndarray = field(default_factory=lambda: np.zeros(0))
    speech_samples: int = 0
    clipped_samples: int = 0

    @staticmethod
    def join(parts: Sequence[VoiceFrames]) -> VoiceFrames:
        if not parts:
            return VoiceFrames()
        return VoiceFrames(np.concatenate([p.times for p in parts]), np.concatenate([p.f0 for p in parts]),
                           np.concatenate([p.dbfs for p in parts]), sum(p.speech_samples for p in parts),
                           sum(p.clipped_samples for p in parts))

    def covered_until(self) -> float:
        return float(self.times[-1]) if len(self.times) else 0.0


def _spans(regions: Sequence[SpeechRegion], duration_s: float) -> list[tuple[float, float]]:
    spans: list[list[float]] = []
    for r in regions:
        start, end = max(0.0, r.start - _PAD_S), min(duration_s, r.end + _PAD_S)
        if spans and start - spans[-1][1] < _JOIN_GAP_S and end - spans[-1][0] <= _MAX_SPAN_S:
            spans[-1][1] = max(spans[-1][1], end)
        else:
            spans.append([start, end])
    out = []
    for start, end in spans:  # one region longer than a span: cut it in pieces
        while end - start > _MAX_SPAN_S:
            out.append((start, start + _MAX_SPAN_S))
            start += _MAX_SPAN_S
        out.append((start, end))
    return out


def track(samples, regions: Sequence[SpeechRegion], offset_s: float = 0.0) -> VoiceFrames:
    """Pitch and level frames over ``regions`` of ``samples`` (16 kHz mono; an array or a
    SampleFile, read one span at a time). Times are in seconds plus ``offset_s``."""
    import parselmouth

    duration = len(samples) / RATE
    parts = []
    for start, end in _spans(regions, duration):
        a, b = int(start * RATE), int(end * RATE)
        x = np.asarray(samples[a:b], dtype=np.float64)
        if len(x) < int(0.1 * RATE):  # shorter than Praat's analysis window
            continue
        clipped = int(np.count_nonzero(np.abs(x) >= _CLIP_LEVEL))
        sound = parselmouth.Sound(x, sampling_frequency=RATE, start_time=start + offset_s)
        pitch = sound.to_pitch_ac(time_step=STEP_S, pitch_floor=PITCH_FLOOR_HZ, pitch_ceiling=PITCH_CEILING_HZ)
        times = pitch.xs()
        f0 = np.nan_to_num(pitch.selected_array["frequency"], nan=0.0)
        intensity = sound.to_intensity(minimum_pitch=PITCH_FLOOR_HZ, time_step=STEP_S)
        level = intensity.values[0]
        if len(level) == 0:
            continue
        db = np.interp(times, intensity.xs(), level) - _PRAAT_DB_AT_FULL_SCALE
        # Digital silence gives Praat's -300 dB floor: keep it finite but far below any speech.
        db = np.maximum(np.nan_to_num(db, nan=-120.0, neginf=-120.0), -120.0)
        parts.append(VoiceFrames(times, f0, db, len(x), clipped))
    return VoiceFrames.join(parts)


# -- Measures --------------------------------------------------------------------------------------


def _semitones(f0: np.ndarray, ref: float) -> np.ndarray:
    return 12.0 * np.log2(f0 / ref)


def _clean_f0(f0: np.ndarray) -> np.ndarray:
    """Voiced frames with octave errors dropped: pitch more than an octave from the speaker's
    median is, in speech, almost always Praat locking onto a harmonic or a subharmonic (creaky
    voice, a cold), not intonation."""
    voiced = f0 > 0
    if not voiced.any():
        return f0
    median = np.median(f0[voiced])
    keep = voiced & (f0 >= median / 2) & (f0 <= median * 2)
    return np.where(keep, f0, 0.0)


def _pvq(times: np.ndarray, f0: np.ndarray) -> float | None:
    """Hincks' pitch variation quotient: SD/mean of F0 per 10 s window, averaged over windows."""
    voiced = f0 > 0
    if not voiced.any():
        return None
    values, weights = [], []
    start = times[0]
    while start <= times[-1]:
        inside = voiced & (times >= start) & (times < start + PVQ_WINDOW_S)
        n = int(inside.sum())
        if n * STEP_S >= _MIN_VOICED_S:
            window = f0[inside]
            values.append(float(window.std() / window.mean()))
            weights.append(n)
        start += PVQ_WINDOW_S
    if not values:  # under a second voiced in every window: the whole answer as one window
        window = f0[voiced]
        if len(window) * STEP_S < _MIN_VOICED_S / 2:
            return None
        return float(window.std() / window.mean())
    return float(np.average(values, weights=weights))


def variation_band(pvq: float) -> str:
    if pvq < MONOTONE_PVQ:
        return "monotone"
    if pvq < TYPICAL_PVQ[0]:
        return "flat"
    if pvq <= TYPICAL_PVQ[1]:
        return "typical"
    return "lively"


def _sentences(words: Sequence[Word]) -> list[list[Word]]:
    """Sentences from Whisper's own punctuation (cheap, and a '?' marks a question)."""
    out: list[list[Word]] = []
    current: list[Word] = []
    for w in words:
        current.append(w)
        if w.text.rstrip("\"')").endswith((".", "?", "!")):
            out.append(current)
            current = []
    if current:
        out.append(current)
    return out


def _inside(times: np.ndarray, start: float, end: float) -> np.ndarray:
    return (times >= start) & (times <= end)


def _level(frames: VoiceFrames, words: Sequence[Word]) -> float | None:
    """A stretch's level: the median of its louder half of frames, so the gaps between words
    (which any speech has) do not count as quietness."""
    mask = np.zeros(len(frames.times), bool)
    for w in words:
        mask |= _inside(frames.times, w.start, w.end)
    db = frames.dbfs[mask]
    if len(db) < 3:
        return None
    return float(np.median(db[db >= np.median(db)]))


def _round(x: float | None, digits: int = 2) -> float | None:
    return None if x is None or not np.isfinite(x) else round(float(x), digits)


@dataclass(frozen=True)
class Moment:
    start: float
    end: float
    text: str
    detail: float  # dB dropped, semitones risen, or the word's probability

    def __post_init__(self) -> None:  # plain floats, so the JSON never holds numpy scalars
        for name in ("start", "end", "detail"):
            object.__setattr__(self, name, round(float(getattr(self, name)), 3))


@dataclass
class Voice:
    """The ``voice`` key of ``coach analyze --json``; None fields are unmeasurable, with ``reason``."""

    pitch: dict[str, Any] | None = None
    monotone: bool | None = None
    loudness: dict[str, Any] | None = None
    trailing_off: list[Moment] | None = None
    uptalk: list[Moment] | None = None
    clarity: list[Moment] | None = None
    reason: str | None = None
    #: A thinned pitch and level track for the feedback strip: (time, semitones or None, dBFS).
    strip: list[tuple[float, float | None, float]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        def moments(items: list[Moment] | None, key: str) -> list[dict] | None:
            if items is None:
                return None
            return [{"start": m.start, "end": m.end, "text": m.text, key: m.detail} for m in items]

        return {
            "pitch": self.pitch,
            "monotone": self.monotone,
            "loudness": self.loudness,
            "trailing_off": moments(self.trailing_off, "drop_db"),
            "uptalk": moments(self.uptalk, "rise_semitones"),
            "clarity": moments(self.clarity, "probability"),
            "reason": self.reason,
        }


def measure_voice(frames: VoiceFrames, words: Sequence[Word]) -> Voice:
    """The measures from tracked frames and the transcript's timed words. Never raises on odd
    audio and never returns NaN: what cannot be measured is None, with the reason."""
    reasons = []
    voice = Voice()
    if len(frames.times) == 0:
        voice.reason = "no speech long enough to measure the voice"
        return voice
    clipped = frames.speech_samples and frames.clipped_samples / frames.speech_samples > CLIPPED_SHARE
    f0 = _clean_f0(frames.f0)
    voiced = f0 > 0
    voiced_s = float(voiced.sum() * STEP_S)
    sentences = _sentences(words)

    if voiced_s < _MIN_VOICED_S / 2:
        reasons.append("no voiced speech (a whisper, or only noise): pitch cannot be measured")
    else:
        median = float(np.median(f0[voiced]))
        st = _semitones(f0[voiced], median)
        p10, p90 = np.percentile(st, [10, 90])
        pvq = _pvq(frames.times, f0)
        contours = []
        for sentence in sentences:
            inside = voiced & _inside(frames.times, sentence[0].start, sentence[-1].end)
            if inside.sum() < 5:
                continue
            s = _semitones(f0[inside], median)
            half = len(s) // 2
            contours.append({"start": sentence[0].start, "end": sentence[-1].end,
                             "median_semitones": _round(np.median(s)),
                             "range_semitones": _round(np.percentile(s, 90) - np.percentile(s, 10)),
                             "slope_semitones": _round(np.median(s[half:]) - np.median(s[:half]))})
        voice.pitch = {"median_hz": _round(median, 1), "range_semitones": _round(p90 - p10),
                       "variation": _round(pvq, 3), "variation_band": variation_band(pvq) if pvq is not None else None,
                       "voiced_s": _round(voiced_s, 1), "sentences": contours}
        voice.monotone = None if pvq is None else pvq < MONOTONE_PVQ
        voice.uptalk = _uptalk(frames.times, f0, median, sentences)

    if clipped:
        share = frames.clipped_samples / frames.speech_samples
        reasons.append(f"the recording clips ({share:.1%} of speech samples at full scale): levels cannot be "
                       "trusted; turn the input gain down")
    else:
        speech_db = frames.dbfs[frames.dbfs > -100]
        level = speech_level(frames)
        if level is None:
            reasons.append("too little speech to measure its level")
        else:
            p10, p90 = np.percentile(speech_db, [10, 90])
            voice.loudness = {"median_dbfs": _round(level, 1), "spread_db": _round(p90 - p10, 1),
                              "too_quiet": level < QUIET_DBFS}
            voice.trailing_off = _trailing(frames, sentences)
            voice.clarity = _clarity(frames, words, level)
    voice.reason = "; ".join(reasons) or None
    voice.strip = _strip(frames.times, f0, frames.dbfs, voice.pitch["median_hz"] if voice.pitch else None)
    return voice


def _trailing(frames: VoiceFrames, sentences: list[list[Word]]) -> list[Moment]:
    out = []
    for sentence in sentences:
        if len(sentence) < _MIN_SENTENCE_WORDS:
            continue
        cut = len(sentence) - max(2, round(len(sentence) * TRAIL_SHARE))
        head, tail = _level(frames, sentence[:cut]), _level(frames, sentence[cut:])
        if head is None or tail is None:
            continue
        if head - tail >= TRAIL_DROP_DB:
            out.append(Moment(sentence[cut].start, sentence[-1].end, " ".join(w.text for w in sentence[cut:]),
                              round(head - tail, 1)))
    return out


def _uptalk(times: np.ndarray, f0: np.ndarray, median: float, sentences: list[list[Word]]) -> list[Moment]:
    out = []
    for i, sentence in enumerate(sentences):
        if len(sentence) < 3 or sentence[-1].text.rstrip("\"')").endswith("?"):
            continue
        last = sentence[-1]
        if i + 1 < len(sentences) and sentences[i + 1][0].start - last.end < _UPTALK_PAUSE_S:
            continue
        voiced = f0 > 0
        # A statement ends below its own median (declination, then the final fall); a last
        # word above it is an ending that did not come down.
        body = voiced & _inside(times, sentence[0].start, last.start)
        final = np.flatnonzero(voiced & _inside(times, last.start, last.end))
        if body.sum() < 5 or len(final) < 5:
            continue
        # The final word's upper pitch (80th percentile) against what came before: a rise, or a
        # step up, shows there even when the word's last frames sag as voicing stops.
        rise = float(np.percentile(_semitones(f0[final], median), 80) - np.median(_semitones(f0[body], median)))
        if rise >= UPTALK_RISE_ST:
            out.append(Moment(last.start, last.end, last.text, round(rise, 1)))
    return out


def _clarity(frames: VoiceFrames, words: Sequence[Word], answer_db: float) -> list[Moment]:
    spoken = [w for w in words if w.end > w.start]
    if not spoken:
        return []
    per_char = np.median([(w.end - w.start) / max(1, len(w.text.strip(".,?!\"'"))) for w in spoken])
    out = []
    for w in spoken:
        if w.probability >= UNSURE_PROBABILITY:
            continue
        level = _level(frames, [w])
        quiet = level is not None and answer_db - level >= QUIET_WORD_DB
        fast = (w.end - w.start) < FAST_WORD_SHARE * per_char * max(1, len(w.text.strip(".,?!\"'")))
        if quiet or fast:
            out.append(Moment(w.start, w.end, w.text, w.probability))
    return out


def _strip(times: np.ndarray, f0: np.ndarray, db: np.ndarray, median: float | None,
           points: int = 240) -> list[tuple[float, float | None, float]]:
    """At most ``points`` evenly spaced samples: enough for a strip one terminal wide."""
    if len(times) == 0:
        return []
    idx = np.linspace(0, len(times) - 1, min(points, len(times))).astype(int)
    return [(round(float(times[i]), 2),
             round(float(_semitones(np.array([f0[i]]), median)[0]), 1) if median and f0[i] > 0 else None,
             round(float(db[i]), 1)) for i in idx]


def speech_level(frames: VoiceFrames) -> float | None:
    """The level of the speech in ``frames`` (dBFS): the median of the louder half of its
    frames, so the gaps between words do not count as quietness."""
    db = frames.dbfs[frames.dbfs > -100]
    if len(db) < 10:
        return None
    return float(np.median(db[db >= np.median(db)]))


def quiet_lately(parts: Sequence[VoiceFrames], min_speech_s: float = 2.0) -> bool:
    """Whether the last utterances tracked while recording (at least ``min_speech_s`` of speech)
    were too quiet: the live cue that says so before a whole answer is lost to a far microphone.
    Only speech counts (the tracked utterances), never the pauses between them."""
    recent: list[VoiceFrames] = []
    for part in reversed(parts):
        recent.append(part)
        if sum(len(p.times) for p in recent) * STEP_S >= min_speech_s:
            level = speech_level(VoiceFrames.join(recent))
            return level is not None and level < QUIET_DBFS
    return False
