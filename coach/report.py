"""The readable report `coach analyze` prints (the TUI draws its own)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import RenderableType

    from coach.analysis.answer import AnswerAnalysis

#: Pace reference ranges from PRODUCT.md (MS Speaker Coach, Street & Brady 1982, Read.ai).
IDEAL_WPM = (130, 160)
ACCEPTABLE_WPM = (100, 165)
_BARS = "▁▂▃▄▅▆▇█"


def pace_verdict(wpm: float) -> str:
    if IDEAL_WPM[0] <= wpm <= IDEAL_WPM[1]:
        return "ideal"
    if ACCEPTABLE_WPM[0] <= wpm <= ACCEPTABLE_WPM[1]:
        return "acceptable"
    return "too slow" if wpm < ACCEPTABLE_WPM[0] else "too fast"


def sparkline(values: list[float], top: float = 220.0) -> str:
    return "".join(_BARS[min(len(_BARS) - 1, int(v / top * (len(_BARS) - 1)))] for v in values)


def render(analysis: AnswerAnalysis) -> RenderableType:
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    parts: list[RenderableType] = []
    title = Text(analysis.source or "answer", style="bold")
    if analysis.question:
        title.append(f"\n{analysis.question}", style="italic")
    parts.append(title)

    summary = Table.grid(padding=(0, 2))
    summary.add_column(style="bold")
    summary.add_column()
    summary.add_row("Length", _length_line(analysis))
    pace = analysis.pace
    verdict = pace_verdict(pace.wpm)
    colour = {"ideal": "green", "acceptable": "yellow"}.get(verdict, "red")
    summary.add_row(
        "Pace",
        Text.assemble((f"{pace.wpm:.0f} wpm", colour), f" ({verdict}; 130-160 ideal, 100-165 acceptable), ",
                      f"{pace.articulation_wpm:.0f} wpm while speaking"),
    )
    if pace.windows:
        summary.add_row(
            "Pace over time",
            f"{sparkline([w.wpm for w in pace.windows])}  per {pace.windows[0].end - pace.windows[0].start:.0f} s: "
            + ", ".join(f"{w.wpm:.0f}" for w in pace.windows),
        )
    long_pauses = [p for p in analysis.pauses if p.long]
    summary.add_row(
        "Pauses",
        f"{len(analysis.pauses)} of 0.25 s or more, {len(long_pauses)} long (2 s or more)"
        + (f", longest {max(p.duration_s for p in analysis.pauses):.1f} s" if analysis.pauses else ""),
    )
    for pause in long_pauses:
        summary.add_row("", Text(f"{_clock(pause.start)}-{_clock(pause.end)}  {pause.duration_s:.1f} s silent", "yellow"))
    summary.add_row("Model", f"{analysis.model.name} ({analysis.model.source}, {analysis.model.compute_type})")
    parts += [Text(""), summary, Text(""), Text("Transcript", style="bold"), Text(analysis.transcript)]
    return Group(*parts)


def _length_line(analysis: AnswerAnalysis) -> str:
    line = f"{analysis.duration_s:.1f} s recorded, {analysis.speech_s:.1f} s of speech, {len(analysis.words)} words"
    if analysis.target_s:
        ratio = analysis.duration_s / analysis.target_s
        line += f"; target {analysis.target_s:.0f} s ({ratio:.0%} of it)"
    return line


def _clock(seconds: float) -> str:
    minutes, rest = divmod(seconds, 60)
    return f"{int(minutes)}:{rest:04.1f}"
