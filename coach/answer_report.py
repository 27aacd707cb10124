"""The readable report `coach analyze` prints (the TUI draws its own)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import RenderableType

    from coach.analysis.answer import AnswerAnalysis

from coach.analysis.pace import ACCEPTABLE_WPM, IDEAL_WPM

_BARS = "▁▂▃▄▅▆▇█"


def pace_verdict(wpm: float) -> str:
    if IDEAL_WPM[0] <= wpm <= IDEAL_WPM[1]:
        return "ideal"
    if ACCEPTABLE_WPM[0] <= wpm <= ACCEPTABLE_WPM[1]:
        return "acceptable"
    return "too slow" if wpm < ACCEPTABLE_WPM[0] else "too fast"


def sparkline(values: list[float], top: float = 220.0) -> str:
    return "".join(_BARS[min(len(_BARS) - 1, int(v / top * (len(_BARS) - 1)))] for v in values)


PART_STYLES = {"situation": "blue", "task": "magenta", "action": "green", "result": "yellow", "other": "bright_black"}


def render(analysis: AnswerAnalysis, width: int = 60) -> RenderableType:
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    coaching = analysis.coaching
    parts: list[RenderableType] = []
    title = Text(analysis.source or "typed answer", style="bold")
    if analysis.question.text:
        title.append(f"\n{analysis.question.text}", style="italic")
    parts.append(title)

    summary = Table.grid(padding=(0, 2))
    summary.add_column(style="bold")
    summary.add_column()
    summary.add_row("Length", _length_line(analysis))
    if analysis.untranscribed:
        summary.add_row("Not transcribed", Text(
            ", ".join(f"{_clock(r.start)}-{_clock(r.end)}" for r in analysis.untranscribed)
            + ": speech was heard here but no words could be made out", "yellow"))
    pace = analysis.pace
    if pace is not None:
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
            summary.add_row("", Text(f"{_clock(pause.start)}-{_clock(pause.end)}  {pause.duration_s:.1f} s silent",
                                     "yellow"))
    if coaching is not None:
        rate = coaching.filler_rate
        heard = sum(1 for f in coaching.fillers if f.source == "words")
        recovered = len(coaching.fillers) - heard
        line = f"{len(coaching.fillers)} ({rate['per_100_words']:.1f} per 100 words"
        line += f", {rate['per_minute']:.1f} per minute)" if rate["per_minute"] is not None else ")"
        line += "; under 4-5 per 100 words is normal"
        if recovered:
            line += f"; {recovered} recovered from the audio"
        summary.add_row("Fillers", line)
        summary.add_row("Hedges", f"{len(coaching.hedges)}" + (": " + ", ".join(sorted({h.text.lower() for h in coaching.hedges}))
                                                              if coaching.hedges else ""))
    if analysis.model is not None:
        summary.add_row("Model", f"{analysis.model.name} ({analysis.model.source}, {analysis.model.compute_type})")
    parts += [Text(""), summary]
    if analysis.voice is not None:
        parts += [Text(""), Text("How it sounded", style="bold"), voice_block(analysis.voice)]

    if coaching is not None:
        if coaching.star is not None:
            parts += [Text(""), Text("STAR", style="bold"), *_star_lines(coaching.star, width)]
        if coaching.think_aloud is not None:
            parts += [Text(""), Text("Reasoning out loud", style="bold"), _rubric_table(coaching.think_aloud)]
        scores = Table.grid(padding=(0, 2))
        scores.add_column(style="bold")
        scores.add_column()
        for name, value in coaching.scores.items():
            colour = "green" if value >= 75 else "yellow" if value >= 50 else "red"
            scores.add_row(name.replace("_", " "), Text.assemble(("█" * (value // 5), colour), f" {value}"))
        parts += [Text(""), Text("Scores (0-100)", style="bold"), scores]
        parts += [Text(""), Text("What to work on", style="bold")]
        parts += [Text(f"{i}. {tip}") for i, tip in enumerate(coaching.tips, 1)] or [Text("Nothing major: well done.")]
        parts += [Text.assemble(("Strength: ", "bold green"), coaching.strength)]
        if coaching.follow_up:
            parts += [Text.assemble(("Next question: ", "bold cyan"), (coaching.follow_up, "italic"))]
    heading = Text("Transcript", style="bold")
    heading.append_text(voice_legend(analysis))
    recovered = recovered_fillers(analysis)
    if recovered:
        heading.append(f"  {RECOVERED_LEGEND}", "dim")
    parts += [Text(""), heading, with_recovered(highlighted_transcript(analysis, voice=True), recovered)]
    return Group(*parts)


#: The same words and colours as the feedback screen's strip (coach/ui/widgets/voice_strip.py).
_BAND_COLOURS = {"monotone": "red", "flat": "yellow", "typical": "green", "lively": "green"}
#: Each voice moment's colour (its underline in the transcript, its mark under the feedback
#: screen's strip) and what one is called, in the order they are listed.
VOICE_MOMENTS = {"trailing_off": ("orange1", "faded ending"), "uptalk": ("magenta", "rising statement"),
                 "clarity": ("cyan", "unclear")}
_MOMENTS = (("trailing_off", "Faded endings"), ("uptalk", "Rising statements"), ("clarity", "May be hard to follow"))


def voice_detail(kind: str, moment) -> str:
    """What was measured on one voice moment (prosody.Moment), in words."""
    return {"trailing_off": f"{moment.detail:.0f} dB quieter", "uptalk": f"rose {moment.detail:.1f} semitones",
            "clarity": f"word probability {moment.detail:.2f}"}[kind]


def voice_spans(transcript: str, words, voice) -> list[tuple[int, int, str, object]]:
    """Where each voice moment is in the transcript: (start char, end char, kind, prosody.Moment),
    in transcript order.

    A moment is a stretch of time; it covers the timed words it overlaps (from the first one's
    first character to the last one's last), found in order in the transcript as the fillers'
    marks are. A moment no word overlaps (a point in time) takes the word it falls in; one
    that falls between words is left out.

    Args:
        transcript: the text shown.
        words: (text, start, end) of each timed word, in order.
        voice: prosody.Voice, or None.
    """
    if voice is None:
        return []
    located, cursor = [], 0
    for text, start, end in words:
        token = text.strip()
        at = transcript.find(token, cursor) if token else -1
        if at < 0:
            continue
        located.append((at, at + len(token), float(start), float(end)))
        cursor = at + len(token)
    out = []
    for kind in VOICE_MOMENTS:
        for moment in getattr(voice, kind, None) or []:
            covered = [w for w in located if w[2] < moment.end and w[3] > moment.start]
            if not covered:
                covered = [w for w in located if w[2] <= moment.start <= w[3]][:1]
            if covered:
                out.append((covered[0][0], covered[-1][1], kind, moment))
    out.sort(key=lambda span: (span[0], span[3].start))
    return out


def analysis_voice_spans(analysis: AnswerAnalysis) -> list[tuple[int, int, str, object]]:
    """voice_spans of an analysis: its voice moments in its transcript."""
    return voice_spans(analysis.transcript, [(w.text, w.start, w.end) for w in analysis.words], analysis.voice)


#: The key each voice moment's measure is stored under in the analysis JSON (prosody.Voice.to_json).
_STORED_DETAIL = {"trailing_off": "drop_db", "uptalk": "rise_semitones", "clarity": "probability"}


def stored_voice(analysis: dict) -> SimpleNamespace | None:
    """The voice moments of an analysis read back from the history (``AnswerAnalysis.to_json()``),
    shaped as voice_spans reads them; entries that are not well-formed are left out."""
    import math

    from coach.analysis.prosody import Moment

    voice = analysis.get("voice") if isinstance(analysis, dict) else None
    if not isinstance(voice, dict):
        return None
    kinds = {}
    for kind, key in _STORED_DETAIL.items():
        moments = []
        for item in voice.get(kind) or []:
            values = [item.get(name) for name in ("start", "end", key)] if isinstance(item, dict) else [None]
            if all(isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) for v in values):
                moments.append(Moment(values[0], values[1], str(item.get("text", "")), values[2]))
        kinds[kind] = moments
    return SimpleNamespace(**kinds)


def voice_legend(analysis: AnswerAnalysis):
    """What each underline colour in the transcript means (only the kinds it has), or nothing."""
    from rich.text import Text

    kinds = [kind for kind in VOICE_MOMENTS if getattr(analysis.voice, kind, None)]
    legend = Text()
    if kinds:
        legend.append("  underlined: ", "dim")
        for i, kind in enumerate(kinds):
            colour, name = VOICE_MOMENTS[kind]
            legend.append(", " if i else "", "dim")
            # The colour named too, for a report read without colour (piped, or saved to a file).
            legend.append(f"{name} ({colour.rstrip('0123456789')})", f"underline {colour}")
    return legend


def voice_block(voice) -> RenderableType:
    """How it sounded: pitch variation against its bands, level against its band, and each
    faded ending, rising statement and unclear word with its time."""
    from rich.table import Table
    from rich.text import Text

    from coach.analysis.prosody import GOOD_LEVEL_DBFS, MONOTONE_PVQ, QUIET_DBFS, TYPICAL_PVQ

    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold")
    table.add_column()
    pitch = voice.pitch
    if pitch and pitch.get("variation") is not None:
        band = pitch["variation_band"]
        table.add_row("Pitch variation", Text.assemble(
            (f"{pitch['variation']:.2f} ({band})", _BAND_COLOURS.get(band, "")),
            f"; {TYPICAL_PVQ[0]:.2f}-{TYPICAL_PVQ[1]:.3g} typical, under {MONOTONE_PVQ:.2f} monotone; "
            f"range {pitch['range_semitones']:.1f} semitones around {pitch['median_hz']:.0f} Hz"))
    elif pitch:
        table.add_row("Pitch", f"range {pitch['range_semitones']:.1f} semitones around {pitch['median_hz']:.0f} Hz "
                               "(too little voiced speech for a variation figure)")
    loud = voice.loudness
    if loud:
        level = loud["median_dbfs"]
        low, high = GOOD_LEVEL_DBFS
        verdict = ("too quiet" if loud["too_quiet"] else "good" if low <= level <= high
                   else "quiet" if level < low else "loud")
        table.add_row("Level", Text.assemble(
            (f"{level:.0f} dBFS ({verdict})", {"good": "green", "too quiet": "red"}.get(verdict, "yellow")),
            f"; {low:.0f} to {high:.0f} good, under {QUIET_DBFS:.0f} too quiet; spread {loud['spread_db']:.0f} dB"))
    for key, label in _MOMENTS:
        moments = getattr(voice, key)
        if moments is None:
            continue
        style = VOICE_MOMENTS[key][0]
        table.add_row(label, Text(str(len(moments)) if moments else "none", style if moments else ""))
        for m in moments:
            table.add_row("", Text.assemble((f"{_clock(m.start)}-{_clock(m.end)}", style),
                                            f"  \"{m.text.strip()}\"  {voice_detail(key, m)}"))
    if voice.reason:
        table.add_row("Not measured", Text(voice.reason, "yellow"))
    return table


def _star_lines(star: dict, width: int) -> list:
    from rich.text import Text

    bar = Text()
    shares = star["time_share"]
    for label in ("situation", "task", "action", "result", "other"):
        cells = round(shares[label] * width)
        bar.append("█" * cells, PART_STYLES[label])
    legend = Text()
    seconds = star.get("time_s")
    for label in ("situation", "task", "action", "result", "other"):
        amount = f"{seconds[label]:.0f} s" if seconds else f"{shares[label]:.0%}"
        legend.append("■ ", PART_STYLES[label])
        legend.append(f"{label} {amount}  ")
    facts = Text()
    missing = [p for p, present in star["present"].items() if not present]
    facts.append("all four parts" if not missing else "missing: " + ", ".join(missing), "green" if not missing else "red")
    facts.append("; in order" if star["in_order"] else "; out of order")
    facts.append("; result has a number" if star["result_quantified"] else "; result has no number")
    if star["ownership"]:
        facts.append(f"; told as \"{star['ownership']}\" (I {star['i_count']}, we {star['we_count']})")
    return [bar, legend, facts]


def _rubric_table(rubric) -> RenderableType:
    from rich.table import Table
    from rich.text import Text

    from coach.analysis.think_aloud import checklist

    table = Table.grid(padding=(0, 2))
    table.add_column()
    table.add_column()
    for ok, line in checklist(rubric):
        table.add_row(Text("✓", "green") if ok else Text("✗", "red"), line)
    return table


def highlighted_transcript(analysis: AnswerAnalysis, *, voice: bool = False):
    """The transcript with fillers (red) and hedges (yellow) marked, and with ``voice`` the words of
    each voice moment underlined in its colour (VOICE_MOMENTS)."""
    from rich.text import Text

    text = Text(analysis.transcript)
    if voice:
        # Underlined first: a filler's or hedge's colour, styled after, wins over the underline's
        # colour, and the underline stays, so a filler inside a faded ending is still red.
        for start, end, kind, _ in analysis_voice_spans(analysis):
            text.stylize(f"underline {VOICE_MOMENTS[kind][0]}", start, end)
    if analysis.coaching is not None:
        for phrase in analysis.coaching.fillers:
            if phrase.start_char >= 0:
                text.stylize("bold red", phrase.start_char, phrase.end_char)
        for phrase in analysis.coaching.hedges:
            text.stylize("bold yellow", phrase.start_char, phrase.end_char)
    return text


#: The mark of a filler heard in the audio: the filler style, in brackets (see display_text).
RECOVERED_STYLE = "bold red"
RECOVERED_LEGEND = "(um) in brackets: a filler heard in the audio, not in Whisper's words"


def recovered_fillers(analysis: AnswerAnalysis) -> list:
    """Where the transcript shows each filler recovered from the audio (display_text.Insertion)."""
    from coach.analysis.display_text import recovered_insertions

    coaching = analysis.coaching
    if coaching is None or not analysis.words:
        return []
    heard = [(p.text, p.start, p.end) for p in coaching.fillers
             if p.source == "audio" and p.start is not None and p.end is not None]
    if not heard:
        return []
    return recovered_insertions(analysis.transcript, [(w.text, w.start, w.end) for w in analysis.words], heard)


def with_recovered(text, insertions):
    """``text`` (the marked-up transcript) with the recovered fillers shown where they were heard.

    The marks already on ``text`` stay on their words; the fillers get the filler style.
    """
    from rich.text import Text

    if not insertions:
        return text
    out = Text(style=text.style, justify=text.justify, overflow=text.overflow, no_wrap=text.no_wrap, end=text.end)
    cursor = 0
    for insertion in sorted(insertions, key=lambda i: (i.at, i.start)):
        if insertion.at > cursor:
            out.append_text(text[cursor:insertion.at])
        cursor = insertion.at
        lead = insertion.text.index(insertion.label)
        out.append(insertion.text[:lead])
        out.append(insertion.label, RECOVERED_STYLE)
        out.append(insertion.text[lead + len(insertion.label):])
    if cursor < len(text.plain):
        out.append_text(text[cursor:])
    return out


def shown_transcript(analysis: AnswerAnalysis):
    """The transcript as the user reads it: fillers and hedges marked, recovered fillers shown."""
    return with_recovered(highlighted_transcript(analysis), recovered_fillers(analysis))


def _length_line(analysis: AnswerAnalysis) -> str:
    coaching = analysis.coaching
    if analysis.duration_s is None:
        line = "typed"
        if coaching is not None:
            line = f"{coaching.word_count} words, about {coaching.length.duration_s:.0f} s spoken at 150 wpm"
    else:
        line = f"{analysis.duration_s:.1f} s recorded, {analysis.speech_s:.1f} s of speech, {len(analysis.words)} words"
    if coaching is not None:
        verdict = coaching.length.verdict.replace("_", " ")
        line += f"; target {coaching.length.target_s:.0f} s: {verdict}"
    elif analysis.target_s:
        line += f"; target {analysis.target_s:.0f} s"
    return line


def _clock(seconds: float) -> str:
    minutes, rest = divmod(seconds, 60)
    return f"{int(minutes)}:{rest:04.1f}"
