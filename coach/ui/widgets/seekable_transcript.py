"""A transcript you can move through by flagged moment (filler, hedge, long pause, and the voice's
faded endings, rising statements and unclear words) or by word, and hear the recording from the
one selected.

:func:`transcript_moments` is plain logic over the analysis' words, marks, pauses and voice moments; the
widget only draws the selection. The screens bind the keys and start the playback.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.text import Text
from textual.widgets import Static

from coach.answer_report import RECOVERED_LEGEND

#: Playback starts this long before a word, so its first sound is not cut.
LEAD_IN_S = 0.4
#: A long pause is heard from this long before it starts: the words that led into it, then the silence.
PAUSE_LEAD_IN_S = 1.5
_NAMES = {"filler": "Filler", "hedge": "Hedge", "pause": "Long pause", "word": "Word",
          "trailing_off": "Faded ending", "uptalk": "Rising statement", "clarity": "Unclear"}
#: The voice's moments (coach/analysis/prosody.py), named with what was measured on them.
VOICE_KINDS = ("trailing_off", "uptalk", "clarity")


@dataclass(frozen=True)
class Moment:
    """One place in the answer: its kind, what it is, when it starts, and the characters it marks."""

    kind: str  # "filler" | "hedge" | "pause" | "word" | one of VOICE_KINDS
    label: str
    start_s: float
    char_start: int
    char_end: int
    #: A filler heard in the audio that Whisper did not write (shown in brackets).
    recovered: bool = False
    #: What was measured on a voice moment ("12 dB quieter").
    detail: str = ""

    @property
    def play_from_s(self) -> float:
        """Where playback starts for this moment, in seconds into the recording."""
        lead = PAUSE_LEAD_IN_S if self.kind == "pause" else LEAD_IN_S
        return max(0.0, self.start_s - lead)

    def describe(self) -> str:
        at = _clock(self.start_s)
        what = f"{_NAMES[self.kind]} \"{self.label}\"" if self.kind != "pause" else f"{_NAMES['pause']} ({self.label})"
        if self.detail:
            what += f", {self.detail},"
        if self.recovered:
            what += " heard in the audio, not in Whisper's words,"
        return f"{what} at {at} · f plays from {_clock(self.play_from_s)}"


def _clock(seconds: float) -> str:
    return f"{int(seconds // 60)}:{seconds % 60:04.1f}"


#: The line under a transcript with moments, on the feedback screen and an attempt's page.
MOMENT_HELP = ("[dim]] and [ step through the fillers, hedges, long pauses and underlined words, . and , word by word; "
               "f plays from there[/]")
#: What the voice's underline colours mean, in a transcript's heading (answer_report.VOICE_MOMENTS).
VOICE_UNDERLINES = "; underlined: [orange1]faded[/], [magenta]rose[/], [cyan]unclear[/]"


def word_spans(transcript: str, words: Sequence[tuple[str, float, float]]) -> list[Moment]:
    """Each timed word found in order in the transcript (a word not found there is skipped)."""
    out, cursor = [], 0
    for text, start, _end in words:
        token = text.strip()
        if not token:
            continue
        at = transcript.find(token, cursor)
        if at < 0:
            continue
        out.append(Moment("word", token, float(start), at, at + len(token)))
        cursor = at + len(token)
    return out


def transcript_moments(transcript: str, words: Sequence[tuple[str, float, float]],
                       marks: Sequence[tuple[int, int, str, float | None]],
                       pauses: Sequence[tuple[float, float]],
                       voice: Sequence[tuple[int, int, str, float, str]] = ()) -> tuple[list[Moment], list[Moment]]:
    """The transcript's words and its flagged moments, both in transcript order.

    Args:
        transcript: the text shown.
        words: (text, start, end) of each timed word, in order.
        marks: (start char, end char, "filler" or "hedge", start time if known) of each mark; a mark
            without a time takes the time of the word it covers (or the next word).
        pauses: (start, end) of each long pause; it is shown on the word before the silence.
        voice: (start char, end char, kind, start time, what was measured) of each voice moment
            (kind one of VOICE_KINDS; the characters from answer_report.voice_spans).
    """
    spans = word_spans(transcript, words)
    flagged: list[Moment] = []
    for start_char, end_char, kind, start in marks:
        if start is None:
            later = [w for w in spans if w.char_end > start_char]
            if not later:
                continue
            start = later[0].start_s
        flagged.append(Moment(kind, transcript[start_char:end_char], float(start), start_char, end_char))
    for start, end in pauses:
        before = [w for w in spans if w.start_s < start]
        if not before:
            continue
        word = before[-1]
        flagged.append(Moment("pause", f"{end - start:.1f} s of silence after \"{word.label}\"", float(start),
                              word.char_start, word.char_end))
    for start_char, end_char, kind, start, detail in voice:
        flagged.append(Moment(kind, transcript[start_char:end_char], float(start), start_char, end_char,
                              detail=detail))
    flagged.sort(key=lambda m: (m.char_start, m.start_s))
    return spans, flagged


def with_recovered(text: Text, words: list[Moment], moments: list[Moment],
                   insertions: Sequence) -> tuple[Text, list[Moment], list[Moment]]:
    """The transcript with the fillers recovered from the audio shown where they were heard
    (display_text.Insertion), its words and moments moved to match, and one filler moment for
    each recovered filler, so it can be stepped to and played from like the others."""
    if not insertions:
        return text, words, moments
    from dataclasses import replace

    from coach.analysis.display_text import insert_shown, shown_position
    from coach.answer_report import with_recovered as shown

    def moved(m: Moment) -> Moment:
        return replace(m, char_start=shown_position(m.char_start, insertions),
                       char_end=shown_position(m.char_end, insertions, end=True))

    ordered = sorted(insertions, key=lambda i: (i.at, i.start))
    _, labels = insert_shown(text.plain, ordered)
    heard = [Moment("filler", i.label.strip("()"), float(i.start), a, b, recovered=True)
             for i, (a, b) in zip(ordered, labels)]
    flagged = sorted([moved(m) for m in moments] + heard, key=lambda m: (m.char_start, m.start_s))
    return shown(text, ordered), [moved(w) for w in words], flagged


#: Shown on hover over a transcript with recovered fillers.
RECOVERED_TOOLTIP = RECOVERED_LEGEND


class SeekableTranscript(Static):
    """The marked-up transcript with one moment or word selected (shown reversed)."""

    def __init__(self, text: Text | None = None, words: list[Moment] | None = None,
                 moments: list[Moment] | None = None, *, recovered: Sequence = (), **kwargs) -> None:
        """``text``, ``words`` and ``moments`` are in the transcript's characters; ``recovered``
        (display_text.Insertion) are the fillers heard in the audio, shown where they were heard."""
        text, words, moments = with_recovered(text if text is not None else Text(), words or [], moments or [],
                                              recovered)
        super().__init__(text, **kwargs)
        self.base = text
        self.words = words
        self.moments = moments
        #: The moment or word selected, or None before the first move.
        self.selected: Moment | None = None
        if recovered:
            self.tooltip = RECOVERED_TOOLTIP

    def show(self, text: Text, words: list[Moment], moments: list[Moment], recovered: Sequence = ()) -> None:
        """Another transcript (a screen that reads its attempt after composing); nothing selected."""
        text, words, moments = with_recovered(text, words, moments, recovered)
        self.base, self.words, self.moments, self.selected = text, words, moments, None
        self.tooltip = RECOVERED_TOOLTIP if recovered else None
        self.update(text)

    def _select(self, moment: Moment | None) -> Moment | None:
        if moment is not None:
            self.selected = moment
            text = self.base.copy()
            text.stylize("reverse", moment.char_start, moment.char_end)
            self.update(text)
        return self.selected

    def step_moment(self, step: int) -> Moment | None:
        """The next (``step`` 1) or previous (-1) flagged moment; wraps round at the ends."""
        if not self.moments:
            return None
        if self.selected is None or self.selected not in self.moments:
            # From a word (or from nothing): the first moment after it, or the last one before it.
            at = self.selected.char_start if self.selected is not None else -1
            if step > 0:
                index = next((i for i, m in enumerate(self.moments) if m.char_start > at), 0)
            else:
                index = max((i for i, m in enumerate(self.moments) if m.char_start < at), default=-1)
        else:
            index = self.moments.index(self.selected) + step
        return self._select(self.moments[index % len(self.moments)])

    def step_word(self, step: int) -> Moment | None:
        """The next or previous word from the selection (the first word before any)."""
        if not self.words:
            return None
        if self.selected is None:
            return self._select(self.words[0])
        at = self.selected.char_start
        if step > 0:
            later = [w for w in self.words if w.char_start > at]
            return self._select(later[0] if later else self.words[-1])
        earlier = [w for w in self.words if w.char_start < at]
        return self._select(earlier[-1] if earlier else self.words[0])


def show_moment(line: Static, moment: Moment | None, none: str) -> None:
    """Name the selected moment on ``line`` (under the transcript), or say there is none to step to."""
    if moment is None:
        line.update(f"This answer has no {none} to step through; p plays it from the start.")
        return
    line.update(moment.describe())
    line.scroll_visible(animate=False)  # the line under the transcript, so both are in view
