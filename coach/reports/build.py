"""``coach report``: the user's progress as Markdown, or as one self-contained HTML page with charts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from html import escape

from coach.errors import CoachError
from coach.process import printable
from coach.reports.svg import line_chart, score_bar, sparkline
from coach.storage.history import History
from coach.storage.models import AttemptSummary
from coach.storage.threads import Row, threaded, turn_label
from coach.storage.trends import METRICS, Comparison, MetricSpec, Trends, compute_trends

FORMATS = ("md", "html")
_RECENT_ROWS = 15


@dataclass(frozen=True)
class _Data:
    attempts: list[AttemptSummary]  # oldest first
    trends: Trends
    since: datetime | None
    generated: datetime
    #: "Your habits" as sentences (coach.analysis.habits.describe).
    habits: list[str]


def build_report(db: History, since: datetime | None = None, fmt: str = "md", *, now: datetime | None = None) -> str:
    """The progress report over the attempts given since ``since`` (all when None).

    Args:
        db: the history to report on.
        since: only attempts from this moment on (a naive time is local time).
        fmt: "md" for Markdown with tables, "html" for one self-contained page with inline SVG charts.
        now: the moment "the last 7 days" end (tests); default now.

    Raises:
        CoachError: an unknown format.
    """
    if fmt not in FORMATS:
        raise CoachError(f"Unknown report format {fmt!r}; use md or html.")
    now = now or datetime.now(UTC)
    from coach.analysis.habits import RECENT_ANSWERS, describe, find_habits

    attempts = db.attempts(since=since, newest_first=False)
    habits = describe(find_habits(db.recent_transcripts(RECENT_ANSWERS, since=since)))
    data = _Data(attempts, compute_trends(attempts, now=now), since, now, habits)
    return _html(data) if fmt == "html" else _markdown(data)


# -- shared wording ------------------------------------------------------------------------------

def _date(moment: datetime | None) -> str:
    return moment.astimezone().strftime("%d %b %Y").lstrip("0") if moment else "-"


def _when(moment: datetime) -> str:
    return moment.astimezone().strftime("%Y-%m-%d %H:%M")


def _subtitle(data: _Data) -> str:
    trends = data.trends
    # The three counts partition the answers: one that was not analysed is counted there only,
    # whether it was spoken or typed.
    analysed = [a for a in data.attempts if a.analysed]
    spoken = sum(1 for a in analysed if a.metrics.spoken or a.audio_path is not None)
    typed = len(analysed) - spoken
    not_analysed = len(data.attempts) - len(analysed)
    text = (f"{trends.total} answer{'s' if trends.total != 1 else ''} from {_date(trends.first_at)} to "
            f"{_date(trends.last_at)}: {spoken} spoken, {typed} typed")
    if not_analysed:
        text += f", {not_analysed} not analysed"
    if data.since:
        text += f" (since {_date(data.since)})"
    return text


def _change(spec: MetricSpec, comparison: Comparison) -> str:
    change = comparison.change
    if change is None:
        return "-"
    arrow = "▲" if change > 0 else "▼" if change < 0 else "="
    amount = f"{abs(change) * 100:.0f} pts" if spec.percent else spec.format(abs(change))
    verdict = {True: "better", False: "worse", None: "same"}[comparison.improved]
    return f"{arrow} {amount} ({verdict})"


def _range(spec: MetricSpec) -> str:
    low, high = spec.good
    if spec.key == "length_ratio":
        return "0.67x-1.33x"
    if spec.percent:
        return "100%" if low == high else f"{low * 100:.0f}-{high * 100:.0f}%"
    if spec.better == "lower":
        return f"under {spec.format(high)}"
    return f"{spec.format(low)}-{spec.format(high)}"


def _signed(change: float | None) -> str:
    if change is None:
        return "-"
    rounded = round(change)
    return f"{rounded:+d}" if rounded else "0"


def _score(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}"


def _attempt_cells(attempt: AttemptSummary) -> list[str]:
    m = attempt.metrics
    if not attempt.analysed:
        return ["-"] * 5
    return [
        f"{m.wpm:.0f}" if m.wpm is not None else "typed",
        f"{m.fillers_per_min:.1f}" if m.fillers_per_min is not None else "-",
        f"{m.star_completeness * 4:.0f}/4" if m.star_completeness is not None else
        (f"{m.think_score:.0f}" if m.think_score is not None else "-"),
        f"{m.length_ratio:.2f}x" if m.length_ratio is not None else "-",
        _score(m.overall),
    ]


def _latest(data: _Data) -> list[Row]:
    """The latest answers, newest first, each with its follow-ups under it (a turn is part of its
    answer, so it never counts against the rows or stands as a question of its own)."""
    answers = [a for a in data.attempts if not a.is_follow_up or a.parent_id is None]
    latest = answers[-_RECENT_ROWS:][::-1]
    shown = {a.id for a in latest}
    turns = [a for a in data.attempts if a.is_follow_up and a.parent_id in shown]
    return threaded(latest + turns)


_EMPTY = "No answers yet. Practise with `coach` and every answer is kept here, with its trends."


# -- Markdown ------------------------------------------------------------------------------------

def _md(text: str) -> str:
    """A table cell: pipes escaped, on one line, no control characters."""
    return printable(str(text)).replace("|", "\\|")


def _markdown(data: _Data) -> str:
    trends = data.trends
    lines = ["# Your interview practice", ""]
    if not trends.total:
        return "\n".join(lines + [_EMPTY, ""])
    lines += [f"_{_subtitle(data)}. Generated {_when(data.generated)}._", ""]
    lines += ["## Three things to work on next", ""]
    lines += [f"{i}. {f.text}" for i, f in enumerate(trends.focus, 1)] or [
        "Nothing stands out: every measure is in its good range. Keep practising to stay there."]
    lines += [""]

    lines += ["## Your habits", ""] + [f"- {printable(line)}" for line in data.habits] + [""]

    lines += ["## First week against the last 7 days", ""]
    if trends.baseline is not None and trends.recent is not None:
        lines += [f"Your {trends.baseline.label} against your {trends.recent.label}.", "",
                  "| Measure | First week | Last 7 days | Change | Good range |", "|---|---:|---:|---|---|"]
        for key, spec in METRICS.items():
            c = trends.comparisons[key]
            if c.baseline is None and c.recent is None:
                continue
            lines.append(f"| {spec.title} | {spec.format(c.baseline)} | {spec.format(c.recent)} | {_change(spec, c)} "
                         f"| {_range(spec)} |")
    else:
        lines.append(trends.comparison_note or "Not enough answers to compare yet.")
    lines += [""]

    lines += ["## Trends", "", "Oldest on the left; each bar is the mean of a stretch of answers.", "",
              "| Measure | Trend | Latest (mean of last 10) | Answers | Good range |", "|---|---|---:|---:|---|"]
    for key, spec in METRICS.items():
        points = trends.series[key]
        values = [p.value for p in points]
        latest = sum(values[-10:]) / len(values[-10:]) if values else None
        lines.append(f"| {spec.title} | {sparkline(values) or '-'} | {spec.format(latest)} | {len(values)} "
                     f"| {_range(spec)} |")
    lines += [""]

    lines += ["## Progress per question", "", "Overall score (the mean of an answer's 0-100 scores).", "",
              "| Question | Kind | Attempts | First | Best | Latest | Change |", "|---|---|---:|---:|---:|---:|---:|"]
    for q in trends.questions:
        change = _signed(q.change)
        lines.append(f"| {_md(_clip(q.label, 80))} | {q.kind.replace('_', ' ')} | {q.attempts} "
                     f"| {_score(q.first_score)} | {_score(q.best_score)} | {_score(q.latest_score)} | {change} |")
    lines += [""]

    lines += ["## Latest answers", "",
              "| # | When | Question | Pace (wpm) | Fillers/min | STAR / rubric | Length | Score |",
              "|---:|---|---|---:|---:|---:|---:|---:|"]
    for row in _latest(data):
        attempt = row.attempt
        cells = _attempt_cells(attempt)
        question = _clip(turn_label(row), 60)
        if attempt.analysis_error:
            question += f" (not analysed: {_clip(attempt.analysis_error, 60)})"
        if attempt.note:
            question += f" (your note: {_clip(attempt.note, 80)})"
        lines.append(f"| {attempt.id} | {_when(attempt.created_at)} | {_md(question)} | " + " | ".join(cells) + " |")
    lines += ["", "_Made offline by coach; nothing in this report left your machine._", ""]
    return "\n".join(lines)


def _clip(text: str | None, width: int) -> str:
    text = printable(text)
    return text if len(text) <= width else text[: width - 1] + "…"


# -- HTML ----------------------------------------------------------------------------------------

_CSS = """
:root { --ink:#22262e; --muted:#6b7280; --line:#e4e7ec; --good:#2e9e5b; --fair:#d19a00; --poor:#c94a3b;
        --accent:#1f3b73; --card:#ffffff; --bg:#f5f6f8; }
* { box-sizing: border-box; }
body { margin:0; background:var(--bg); color:var(--ink); font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,
       Helvetica,Arial,sans-serif; }
main { max-width: 1120px; margin: 0 auto; padding: 28px 24px 48px; }
h1 { font-size: 28px; margin: 0 0 4px; }
h2 { font-size: 18px; margin: 32px 0 12px; }
.sub, .note, footer { color: var(--muted); }
.tiles { display:grid; grid-template-columns: repeat(auto-fill, minmax(150px, 1fr)); gap: 12px; margin-top: 20px; }
.tile { background:var(--card); border-radius: 10px; padding: 12px 14px; border-top: 4px solid var(--line); }
.tile.good { border-top-color: var(--good); } .tile.fair { border-top-color: var(--fair); }
.tile.poor { border-top-color: var(--poor); }
.tile .label { font-size: 12px; color: var(--muted); }
.tile .value { font-size: 24px; font-weight: 650; }
.tile .delta { font-size: 12px; color: var(--muted); }
.focus { background: var(--card); border-radius: 10px; padding: 6px 20px 10px; border-left: 5px solid var(--accent); }
.focus li { margin: 10px 0; }
.grid { display:grid; grid-template-columns: repeat(auto-fill, minmax(500px, 1fr)); gap: 14px; }
.chart { background: var(--card); border-radius: 10px; max-width: 100%; height: auto; }
table { width:100%; border-collapse: collapse; background: var(--card); border-radius: 10px; overflow: hidden; }
th, td { text-align:left; padding: 7px 10px; border-bottom: 1px solid var(--line); vertical-align: middle; }
th { font-size: 12px; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); background:#fafbfc; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.better { color: var(--good); } .worse { color: var(--poor); }
.err { color: var(--poor); font-size: 12px; }
tr.turn td { background: #fafbfc; color: var(--muted); }
tr.turn td:nth-child(3) { padding-left: 28px; }
@media print { body { background: #fff; } .chart, table, .tile, .focus { border: 1px solid var(--line); } }
"""


def _html(data: _Data) -> str:
    trends = data.trends
    body: list[str] = ['<h1>Your interview practice</h1>']
    if not trends.total:
        body.append(f"<p>{escape(_EMPTY)}</p>")
        return _page(body)
    body.append(f'<p class="sub">{escape(_subtitle(data))}. Generated {escape(_when(data.generated))}.</p>')
    body.append(_tiles(trends))

    body.append('<h2>Three things to work on next</h2><section class="focus"><ol>')
    body += [f"<li>{escape(f.text)}</li>" for f in trends.focus] or [
        "<li>Nothing stands out: every measure is in its good range. Keep practising to stay there.</li>"]
    body.append("</ol></section>")

    body.append('<h2>Your habits</h2><section class="focus habits"><ul>')
    body += [f"<li>{escape(line)}</li>" for line in data.habits]
    body.append("</ul></section>")

    body.append("<h2>Trends</h2>")
    body.append('<p class="note">One dot per answer; the line is the running average; the green band is the good '
                "range.</p><div class=\"grid\">")
    for key, spec in METRICS.items():
        points = trends.series[key]
        body.append(line_chart([p.at for p in points], [p.value for p in points], title=spec.title,
                               band=spec.good, percent=spec.percent, unit=spec.unit))
    body.append("</div>")

    body.append("<h2>First week against the last 7 days</h2>")
    if trends.baseline is not None and trends.recent is not None:
        body.append(f'<p class="note">Your {escape(trends.baseline.label)} against your '
                    f'{escape(trends.recent.label)}.</p>')
        body.append('<table><tr><th>Measure</th><th class="num">First week</th><th class="num">Last 7 days</th>'
                    "<th>Change</th><th>Good range</th></tr>")
        for key, spec in METRICS.items():
            c = trends.comparisons[key]
            if c.baseline is None and c.recent is None:
                continue
            css = {True: "better", False: "worse", None: ""}[c.improved]
            body.append(f"<tr><td>{escape(spec.title)}</td><td class=\"num\">{spec.format(c.baseline)}</td>"
                        f"<td class=\"num\">{spec.format(c.recent)}</td>"
                        f"<td class=\"{css}\">{escape(_change(spec, c))}</td><td>{escape(_range(spec))}</td></tr>")
        body.append("</table>")
    else:
        body.append(f'<p class="note">{escape(trends.comparison_note or "Not enough answers to compare yet.")}</p>')

    body.append("<h2>Progress per question</h2>")
    body.append('<p class="note">Overall score: the mean of an answer\'s 0-100 scores.</p>')
    body.append('<table><tr><th>Question</th><th>Kind</th><th class="num">Attempts</th><th class="num">First</th>'
                '<th class="num">Best</th><th>Latest</th><th class="num">Change</th></tr>')
    for q in trends.questions:
        change = _signed(q.change)
        css = "" if change in ("-", "0") else ("better" if q.change > 0 else "worse")
        body.append(f"<tr><td>{escape(_clip(q.label, 110))}</td><td>{escape(q.kind.replace('_', ' '))}</td>"
                    f"<td class=\"num\">{q.attempts}</td><td class=\"num\">{_score(q.first_score)}</td>"
                    f"<td class=\"num\">{_score(q.best_score)}</td>"
                    f"<td>{score_bar(q.latest_score)} {_score(q.latest_score)}</td>"
                    f"<td class=\"num {css}\">{change}</td></tr>")
    body.append("</table>")

    body.append("<h2>Latest answers</h2>")
    body.append('<table><tr><th class="num">#</th><th>When</th><th>Question</th><th class="num">Pace</th>'
                '<th class="num">Fillers/min</th><th class="num">STAR / rubric</th><th class="num">Length</th>'
                '<th>Score</th></tr>')
    for row in _latest(data):
        attempt = row.attempt
        cells = _attempt_cells(attempt)
        question = escape(_clip(turn_label(row), 90))
        if attempt.analysis_error:
            question += f'<br><span class="err">not analysed: {escape(attempt.analysis_error)}</span>'
        if attempt.note:
            question += f'<br><span class="note">your note: {escape(printable(attempt.note))}</span>'
        nested = ' class="turn"' if row.depth else ""
        body.append(f"<tr{nested}><td class=\"num\">{attempt.id}</td><td>{escape(_when(attempt.created_at))}</td>"
                    f"<td>{question}</td>" + "".join(f'<td class="num">{escape(c)}</td>' for c in cells[:4])
                    + f"<td>{score_bar(attempt.metrics.overall, 70)} {escape(cells[4])}</td></tr>")
    body.append("</table>")
    return _page(body)


def _tiles(trends: Trends) -> str:
    """One tile per measure: the latest week's mean, coloured against its good range."""
    out = ['<div class="tiles">']
    for key, spec in METRICS.items():
        c = trends.comparisons[key]
        values = [p.value for p in trends.series[key]]
        current = c.recent if c.recent is not None else (sum(values[-10:]) / len(values[-10:]) if values else None)
        verdict = spec.verdict(current) or ""
        delta = f"{_change(spec, c)} since week 1" if c.change is not None else (
            "latest answers" if current is not None else "no answers yet")
        out.append(f'<div class="tile {verdict}"><div class="label">{escape(spec.title)}</div>'
                   f'<div class="value">{escape(spec.format(current))}</div>'
                   f'<div class="delta">{escape(delta)} · good {escape(_range(spec))}</div></div>')
    out.append("</div>")
    return "".join(out)


def _page(body: list[str]) -> str:
    return ("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>coach: your interview practice</title><style>{_CSS}</style></head><body><main>"
            + "\n".join(body)
            + "<footer><p>Made offline by coach; nothing in this report left your machine.</p></footer>"
              "</main></body></html>\n")
