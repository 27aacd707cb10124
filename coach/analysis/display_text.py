"""The transcript's text from Whisper's words, with the splits Whisper makes inside a word repaired.

Whisper sometimes ends a word inside a number or a hyphenated word, so joining the words with
spaces shows "10 ,000", "0 .81" and "trade -off". The transcript the user reads, the text spaCy
parses and every word's character span are built here together, so they always agree.

The transcript the user reads also shows, in brackets, the fillers recovered from the audio
(coach/analysis/filled_pauses.py) where they were heard; they are placed here too, and never
enter the transcript that is analysed (pace and word error count Whisper's words only).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

#: ",000" or ".81" after a digit: the rest of a number.
_NUMBER_REST = re.compile(r"[.,]\d")
#: "-off" after a letter or digit: the rest of a hyphenated word ("trade-off", "10-fold").
_HYPHEN_REST = re.compile(r"-[^\W_]")
#: Punctuation on its own after a word ("word ," / "20 %").
_CLOSING = re.compile(r"[.,;:!?%]+")


def _attached(previous: str, word: str) -> bool:
    """True when ``word`` continues ``previous`` with no space between them."""
    if not previous or not word:
        return False
    last = previous[-1]
    if _NUMBER_REST.match(word):
        return last.isdigit()
    if _HYPHEN_REST.match(word):
        return last.isalnum()
    return _CLOSING.fullmatch(word) is not None and last.isalnum()


def join_words(words: Sequence[str]) -> tuple[str, list[tuple[int, int]]]:
    """The text of ``words`` and each word's (start, end) character span in it.

    Words are joined with one space, except a word that continues the one before it.
    ``text[start:end]`` is the word for every span.
    """
    parts: list[str] = []
    spans: list[tuple[int, int]] = []
    offset = 0
    previous = ""
    for word in words:
        if parts and not _attached(previous, word):
            parts.append(" ")
            offset += 1
        parts.append(word)
        spans.append((offset, offset + len(word)))
        offset += len(word)
        previous = word
    return "".join(parts), spans


# --- Fillers heard in the audio ----------------------------------------------------------------

#: How a filler recovered from the audio is written in the transcript the user reads: in
#: brackets, because Whisper did not write it (it is not in the transcript that is analysed).
RECOVERED_FORMAT = "({})"


@dataclass(frozen=True)
class Insertion:
    """Text shown in the transcript that is not part of it: a filler recovered from the audio.

    ``at`` is the character position in the transcript it is shown at; ``text`` is what is
    inserted there, separating space included; ``label`` is the visible mark ("(um)").
    """

    at: int
    text: str
    label: str
    start: float
    end: float


def filler_slot(word_times: Sequence[tuple[float, float]], start: float, end: float) -> int:
    """How many of the words come before a filler heard from ``start`` to ``end`` seconds.

    A filler goes before the first word whose middle is later than its own middle. For words
    apart from it that is plain time order; for a word whose timestamps Whisper stretched over
    the filler, the word itself lies on the side with more room (filled_pauses only recovers a
    filler that leaves a word room on one side), and that side holds the word's middle.
    """
    middle = (start + end) / 2
    for k, (word_start, word_end) in enumerate(word_times):
        if (word_start + word_end) / 2 > middle:
            return k
    return len(word_times)


def word_char_spans(transcript: str, words: Sequence[str]) -> list[tuple[int, int] | None]:
    """Each word's (start, end) in ``transcript``, found in order; None for a word not found."""
    spans: list[tuple[int, int] | None] = []
    cursor = 0
    for word in words:
        token = word.strip()
        at = transcript.find(token, cursor) if token else -1
        if at < 0:
            spans.append(None)
            continue
        spans.append((at, at + len(token)))
        cursor = at + len(token)
    return spans


def recovered_insertions(transcript: str, words: Sequence[tuple[str, float, float]],
                         fillers: Sequence[tuple[str, float, float]]) -> list[Insertion]:
    """Where each filler recovered from the audio is shown in the transcript: between the words
    it was heard between, in time order.

    Args:
        transcript: the text the words were joined into.
        words: (text, start, end) of each timed word, in order.
        fillers: (text, start, end) of each recovered filler.

    Returns:
        One :class:`Insertion` per filler, ordered by position and then time. A filler before
        the first word is shown at the start, one after the last word at the end; one that
        falls inside a word Whisper split ("10" ",000") goes after the whole of it.
    """
    spans = word_char_spans(transcript, [w[0] for w in words])
    timed = [((s, e), span) for (_, s, e), span in zip(words, spans) if span is not None]
    out: list[Insertion] = []
    for text, start, end in sorted(fillers, key=lambda f: (f[1], f[2])):
        slot = filler_slot([t for t, _ in timed], start, end)
        # Not between two parts of one written word: after the whole of it.
        while 0 < slot < len(timed) and timed[slot][1][0] > 0 and not transcript[timed[slot][1][0] - 1].isspace():
            slot += 1
        label = RECOVERED_FORMAT.format(text)
        if slot < len(timed):
            out.append(Insertion(timed[slot][1][0], label + " ", label, start, end))
        else:
            out.append(Insertion(len(transcript), (" " if transcript else "") + label, label, start, end))
    out.sort(key=lambda i: (i.at, i.start))
    if not transcript:  # fillers and no words: spaced from each other only
        out = [replace(i, text=" " + i.label) if k else i for k, i in enumerate(out)]
    return out


def shown_position(position: int, insertions: Sequence[Insertion], *, end: bool = False) -> int:
    """Where a character position of the transcript is in the text shown with ``insertions``.

    An insertion at a mark's start goes before it; at a mark's end (``end``), after it.
    """
    return position + sum(len(i.text) for i in insertions if i.at < position or (i.at == position and not end))


def insert_shown(transcript: str, insertions: Sequence[Insertion]) -> tuple[str, list[tuple[int, int]]]:
    """The transcript as shown, and each insertion's label span in it, in position order."""
    parts: list[str] = []
    labels: list[tuple[int, int]] = []
    cursor = shown = 0
    for ins in sorted(insertions, key=lambda i: (i.at, i.start)):
        parts.append(transcript[cursor:ins.at])
        shown += ins.at - cursor
        cursor = ins.at
        lead = ins.text.index(ins.label)
        labels.append((shown + lead, shown + lead + len(ins.label)))
        parts.append(ins.text)
        shown += len(ins.text)
    parts.append(transcript[cursor:])
    return "".join(parts), labels
