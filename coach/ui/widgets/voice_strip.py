"""How the answer sounded, over its timeline: pitch and level as two rows of bars, the moments
(faded endings, rising statements, unclear words) marked beneath, and the measures in one line."""

from __future__ import annotations

from rich.text import Text
from textual.widget import Widget

from coach.answer_report import VOICE_MOMENTS

_BARS = " ▁▂▃▄▅▆▇█"
#: Pitch shown from an octave-half below the speaker's median to one above; level from -60 dBFS.
_PITCH_SPAN_ST = (-6.0, 6.0)
_LEVEL_SPAN_DB = (-60.0, 0.0)
#: The mark, colour and word of each moment; the colours are the transcript's underlines.
MARKS = {"trailing_off": ("↘", VOICE_MOMENTS["trailing_off"][0], "faded"),
         "uptalk": ("↗", VOICE_MOMENTS["uptalk"][0], "rose"),
         "clarity": ("?", VOICE_MOMENTS["clarity"][0], "unclear")}


def _bar(value: float | None, low: float, high: float) -> str:
    if value is None:
        return " "
    share = min(1.0, max(0.0, (value - low) / (high - low)))
    return _BARS[1 + round(share * (len(_BARS) - 2))]


class VoiceStrip(Widget):
    DEFAULT_CSS = """
    VoiceStrip { height: 4; }
    """

    def __init__(self, voice, duration_s: float, **kwargs) -> None:
        super().__init__(**kwargs)
        self.voice = voice
        self.duration_s = max(duration_s, 0.1)

    def _cells(self, width: int) -> tuple[list[float | None], list[float | None]]:
        pitch: list[list[float]] = [[] for _ in range(width)]
        level: list[list[float]] = [[] for _ in range(width)]
        for t, st, db in self.voice.strip:
            cell = min(width - 1, int(t / self.duration_s * width))
            if st is not None:
                pitch[cell].append(st)
            level[cell].append(db)
        mean = lambda xs: sum(xs) / len(xs) if xs else None  # noqa: E731
        return [mean(c) for c in pitch], [max(c) if c else None for c in level]

    def render(self) -> Text:
        width = max(20, self.size.width - 8)
        pitch, level = self._cells(width)
        out = Text()
        out.append("pitch ", "bold")
        out.append("".join(_bar(v, *_PITCH_SPAN_ST) for v in pitch), "dodger_blue2")
        out.append("\nlevel ", "bold")
        out.append("".join(_bar(v, *_LEVEL_SPAN_DB) for v in level), "green3")
        marks = [" "] * width
        styles: list[str | None] = [None] * width
        for key, (mark, style, _) in MARKS.items():
            for moment in getattr(self.voice, key) or []:
                cell = min(width - 1, int(moment.end / self.duration_s * width))
                marks[cell], styles[cell] = mark, style
        out.append("\n      ")
        for mark, style in zip(marks, styles):
            out.append(mark, style or "")
        out.append("\n")
        out.append_text(summary(self.voice))
        return out


def summary(voice) -> Text:
    """The measures in one line, each against its band."""
    line = Text()
    if voice.pitch:
        p = voice.pitch
        band = p.get("variation_band")
        colour = {"monotone": "red", "flat": "yellow", "typical": "green", "lively": "green"}.get(band, "")
        if p.get("variation") is not None:
            line.append(f"pitch variation {p['variation']:.2f} ", "")
            line.append(f"({band})", colour)
            line.append(f", range {p['range_semitones']:.1f} st · ")
    if voice.loudness:
        level = voice.loudness["median_dbfs"]
        line.append(f"level {level:.0f} dBFS", "red" if voice.loudness["too_quiet"] else "")
        line.append(" (too quiet)" if voice.loudness["too_quiet"] else "", "red")
    for key, (mark, style, word) in MARKS.items():
        items = getattr(voice, key)
        if items:
            line.append(f" · {mark} {len(items)} {word}", style)
    if voice.reason:
        line.append(f" · {voice.reason}", "grey50")
    return line

