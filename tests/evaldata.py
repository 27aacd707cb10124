"""The human references in ../shared/eval: transcripts and word alignments, read once."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

EVAL = Path(__file__).resolve().parent.parent.parent / "shared" / "eval"
# Without ../shared/eval the tests parametrised by clip must still be collected, so that each
# skips with the one-line reason (an empty parameter list would skip with pytest's own words).
CLIPS = sorted(p.stem for p in (EVAL / "audio").glob("*.wav")) or [
    "jfk_ask_not", "librispeech_61-70968-0000", "ljspeech_LJ001_0001-0032", "mfa_acoustic_spont",
    "mfa_cold3_spont", "mfa_cold_spont", "mfa_elicited_fillers"]
ALIGNED = sorted(p.stem for p in (EVAL / "align").glob("*.TextGrid")) or [
    "mfa_acoustic_spont", "mfa_cold3_spont", "mfa_cold_spont"]
FILLERS = {"uh", "um", "hm", "hmm", "er", "erm"}
_MARKUP = re.compile(r"<[^>]*>|\[[^\]]*\]")

#: Two alignment "silences" that are not silent, found by looking at the audio and the
#: reference transcript; a pause detector is right not to report them.
NOT_SILENT = {
    ("mfa_acoustic_spont", 13.9): "the reference has 'intensity uh we're': the aligner left that 'uh' "
                                  "unaligned and called its 0.35 s of voice silence",
    ("mfa_cold3_spont", 16.87): "the speaker coughs here (-13 dBFS, 16.99-17.47 s); the aligner put the "
                                "<VOCNOISE> after it, at 17.56 s",
}


@dataclass(frozen=True)
class Interval:
    start: float
    end: float
    label: str


def reference_text(clip: str) -> str:
    """The human transcript with noise and cut-off markup dropped."""
    text = (EVAL / "ref" / f"{clip}.txt").read_text(encoding="utf-8")
    return " ".join(_MARKUP.sub(" ", text).split())


def reference_words(clip: str, *, fillers: bool = False) -> list[str]:
    words = re.findall(r"[\w']+", reference_text(clip).lower())
    return words if fillers else [w for w in words if w not in FILLERS]


@cache
def alignment(clip: str) -> tuple[Interval, ...]:
    """The `words` tier, silences (empty labels) included."""
    from praatio import textgrid

    grid = textgrid.openTextgrid(str(EVAL / "align" / f"{clip}.TextGrid"), includeEmptyIntervals=True)
    return tuple(Interval(e.start, e.end, e.label.strip().lower()) for e in grid.getTier("words").entries)


def aligned_words(clip: str) -> list[Interval]:
    """Spoken words: no silences, fillers or noise markers."""
    return [i for i in alignment(clip) if i.label and i.label not in FILLERS and not i.label.startswith("<")]


def aligned_silences(clip: str, min_s: float = 0.5) -> list[Interval]:
    """Silences of at least ``min_s`` between the first and the last spoken sound."""
    sounds = [i for i in alignment(clip) if i.label]
    first, last = sounds[0].start, sounds[-1].end
    return [i for i in alignment(clip)
            if not i.label and i.end - i.start >= min_s and i.start >= first and i.end <= last]


def aligned_wpm(clip: str) -> float:
    """Words per minute from the first spoken word to the last, fillers not counted."""
    words = aligned_words(clip)
    return 60 * len(words) / (words[-1].end - words[0].start)
