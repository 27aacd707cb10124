"""Pace and pauses: words over time, and silences between stretches of speech."""

from __future__ import annotations

from dataclasses import dataclass

from coach.analysis.lexicon import is_filled_pause
from coach.speech.transcriber import Word
from coach.speech.vad import SpeechRegion

#: Pace reference ranges from PRODUCT.md (MS Speaker Coach, Street & Brady 1982, Read.ai): ideal,
#: and what listeners still follow without effort.
IDEAL_WPM = (130, 160)
ACCEPTABLE_WPM = (100, 165)


@dataclass(frozen=True)
class PaceWindow:
    start: float
    end: float
    wpm: float


@dataclass(frozen=True)
class Pace:
    #: Words per minute from the first word to the last.
    wpm: float
    #: Words per minute of speech only (voice activity), pauses left out.
    articulation_wpm: float
    windows: list[PaceWindow]


@dataclass(frozen=True)
class Pause:
    start: float
    end: float
    duration_s: float
    long: bool


def counted_words(words: list[Word]) -> list[Word]:
    """The words that count towards pace: filled pauses ("um", "uh") are sounds, not words."""
    return [w for w in words if not is_filled_pause(w.text)]


def measure_pace(words: list[Word], speech_s: float, duration_s: float, window_s: float = 10.0) -> Pace:
    """Pace over the answer, over speech time, and per window of ``window_s`` seconds."""
    spoken = counted_words(words)
    if not spoken:
        return Pace(wpm=0.0, articulation_wpm=0.0, windows=[])
    span = spoken[-1].end - spoken[0].start
    wpm = 60.0 * len(spoken) / span if span > 0 else 0.0
    articulation = 60.0 * len(spoken) / speech_s if speech_s > 0 else 0.0
    windows = []
    start = 0.0
    while start < duration_s:
        end = min(start + window_s, duration_s)
        # A word belongs to the window holding its midpoint, so no word counts twice.
        n = sum(1 for w in spoken if start <= (w.start + w.end) / 2 < end)
        length = end - start
        if length >= 1.0:  # a last sliver of a window would give a meaningless rate
            windows.append(PaceWindow(round(start, 2), round(end, 2), round(60.0 * n / length, 1)))
        start = end
    return Pace(wpm=round(wpm, 1), articulation_wpm=round(articulation, 1), windows=windows)


def find_pauses(regions: list[SpeechRegion], min_pause_s: float = 0.25, long_pause_s: float = 2.0) -> list[Pause]:
    """Silences between stretches of speech; the silence before the first word and after the
    last is waiting, not pausing, and is left out."""
    pauses = []
    for before, after in zip(regions, regions[1:]):
        gap = after.start - before.end
        if gap >= min_pause_s:
            pauses.append(Pause(round(before.end, 3), round(after.start, 3), round(gap, 3), gap >= long_pause_s))
    return pauses
