"""The review screen: weeks of practice at once.

Trends as terminal charts (textual-plotext), the first week against the last seven days, the
three things to work on next, the best attempt per question, and every attempt (enter opens its
detail). The history is read and the trends computed in a thread worker; the result arrives as
a :class:`HistoryScreen.Loaded` message, so the screen draws at once and never waits on SQLite.
"""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Label, Static
from textual.worker import Worker, WorkerState

from coach.storage.models import AttemptSummary
from coach.storage.threads import Row, threaded, turn_label
from coach.storage.trends import METRICS, Trends
from coach.ui.widgets.steady_footer import SteadyFooter
from coach.ui.widgets.title_bar import TitleBar
from coach.ui.widgets.trend_chart import TrendChart

_LEGEND = ("[b]Reading the charts[/]\n\n"
           "[blue]dots[/]: one answer each, evenly spaced, oldest on the left; a date marks the first "
           "answer of that day\n"
           "[orange1]line[/]: the running average\n"
           "[green]green lines[/]: the good range\n\n"
           "Pace counts spoken answers only; STAR and time on the action count behavioral answers; "
           "the rubric counts think-aloud ones.\n\n"
           "[dim]escape: back · f5: reload · tab: the tables below · c: compare an attempt with the one "
           "before it[/]")

#: Attempt rows added before the first paint (enough to fill the table); the rest follow in chunks.
_FIRST_ROWS = 40
_CHUNK_ROWS = 200


class HistoryScreen(Screen):
    """Trends, first week against the last seven days, best attempts, and every attempt."""

    CSS_PATH = "history.tcss"
    #: The page scrolls with the keyboard from the start; tab reaches the tables.
    AUTO_FOCUS = "#history"
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back"),
        Binding("f5", "reload", "Reload"),
        Binding("c", "compare", "Compare attempts"),
        # Pager keys: the page scrolls with them whatever has focus (the tables do not use them).
        Binding("j", "scroll_page(1)", "Down", show=False),
        Binding("k", "scroll_page(-1)", "Up", show=False),
    ]

    class Loaded(Message):
        """The history was read and the trends computed."""

        def __init__(self, attempts: list[AttemptSummary], trends: Trends, notices: list[str],
                     missing_audio: int, habits: list[str] | None = None) -> None:
            super().__init__()
            #: "Your habits" as sentences.
            self.habits = habits or []
            self.attempts = attempts
            self.trends = trends
            self.notices = notices
            self.missing_audio = missing_audio

    class LoadFailed(Message):
        """The history could not be read (locked, or from a newer coach); ``error`` says why."""

        def __init__(self, error: str) -> None:
            super().__init__()
            self.error = error

    def __init__(self) -> None:
        super().__init__()
        #: True once the charts and tables hold the history (tests and the benchmark wait on it).
        self.loaded = False
        self.attempts: list[AttemptSummary] = []
        self.trends: Trends | None = None
        #: True once every attempt is in the attempts table.
        self.all_rows_added = False
        self._fills = 0
        self._pending_rows: list[Row] | None = None

    def compose(self) -> ComposeResult:
        yield TitleBar()
        with VerticalScroll(id="history"):
            yield Static("Reading your history…", id="history-summary")
            yield Static(id="history-notice", classes="hidden")
            # Hidden until the history arrives, so the first paint is instant and the charts are
            # drawn once, with their data, rather than empty and again.
            with Vertical(id="history-body", classes="hidden"):
                yield from self._body()
        yield SteadyFooter()

    def _body(self) -> ComposeResult:
        with Horizontal(id="history-top"):
            with Vertical(id="focus-panel"):
                yield Label("Three things to work on next", classes="section")
                yield Static(id="focus")
            with Vertical(id="compare-panel"):
                yield Label("First week against the last 7 days", classes="section")
                yield Static(id="comparison")
        yield Label("Your habits (your last answers)", classes="section")
        yield Static(id="habits")
        yield Label("Trends", classes="section")
        with Grid(id="charts"):
            for key, spec in METRICS.items():
                yield TrendChart(spec, id=f"chart-{key}", classes="chart")
            yield Static(_LEGEND, id="chart-legend")
        yield Label("Best attempt per question (tab to it; enter opens the attempt)", classes="section")
        yield DataTable(id="best", cursor_type="row", zebra_stripes=True)
        yield Label("Your attempts, newest first (enter opens one, c compares it with the one before)",
                    classes="section")
        yield DataTable(id="attempts", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        self.sub_title = "history and trends"
        self.load_history()

    def action_reload(self) -> None:
        self.loaded = self.all_rows_added = False
        self.load_history()

    @work(thread=True, exclusive=True, group="history", exit_on_error=False)
    def load_history(self) -> None:
        """Read every attempt (metrics only, no transcripts) and compute the trends."""
        from coach.analysis.habits import RECENT_ANSWERS, describe, find_habits
        from coach.errors import CoachError
        from coach.storage import History
        from coach.storage.trends import compute_trends

        try:
            with History(self.app.settings) as history:
                attempts = history.attempts(newest_first=False)
                transcripts = history.recent_transcripts(RECENT_ANSWERS)
                notices = list(history.notices)
        except CoachError as exc:
            self.post_message(self.LoadFailed(str(exc)))
            return
        trends = compute_trends(attempts)
        missing = sum(1 for a in attempts if a.audio_missing)
        self.post_message(self.Loaded(attempts, trends, notices, missing, describe(find_habits(transcripts))))

    @on(Worker.StateChanged)
    def _worker_failed(self, event: Worker.StateChanged) -> None:
        # Anything the worker did not turn into a LoadFailed is a bug, but the user still gets a sentence.
        if event.worker.group == "history" and event.state == WorkerState.ERROR:
            self.post_message(self.LoadFailed(f"The history could not be read ({event.worker.error})."))

    def on_history_screen_load_failed(self, message: LoadFailed) -> None:
        self.query_one("#history-summary", Static).update(f"[red]{message.error}[/]")
        self.notify(message.error, title="History", severity="error", timeout=15)

    def on_history_screen_loaded(self, message: Loaded) -> None:
        self.attempts = message.attempts
        self.trends = trends = message.trends
        for notice in message.notices:
            self.notify(notice, title="History", severity="warning", timeout=20)
        notice = self.query_one("#history-notice", Static)
        lines = list(message.notices)
        if message.missing_audio:
            lines.append(f"{message.missing_audio} recording{'s are' if message.missing_audio != 1 else ' is'} no "
                         "longer on disk; those attempts keep their analyses but cannot be replayed.")
        notice.update("\n".join(lines))
        notice.set_class(not lines, "hidden")
        self.query_one("#history-summary", Static).update(self._summary(trends))
        self.query_one("#focus", Static).update(self._focus(trends))
        self.query_one("#comparison", Static).update(self._comparison(trends))
        self.query_one("#habits", Static).update(Text("\n").join(Text("· " + line) for line in message.habits))
        for key in METRICS:
            points = trends.series[key]
            self.query_one(f"#chart-{key}", TrendChart).show([p.at for p in points], [p.value for p in points])
        self._fill_best(trends)
        self._fill_attempts(message.attempts)
        self.query_one("#history-body").set_class(not trends.total, "hidden")
        self.loaded = True

    # -- contents ------------------------------------------------------------------------------

    @staticmethod
    def _summary(trends: Trends) -> Text:
        if not trends.total:
            return Text("No answers yet. Practise a question and every answer will be kept here, with its trends.")
        first = trends.first_at.astimezone().strftime("%d %b %Y").lstrip("0")
        last = trends.last_at.astimezone().strftime("%d %b %Y").lstrip("0")
        text = Text.assemble((f"{trends.total} answers", "bold"), f" from {first} to {last}")
        if trends.failed:
            text.append(f" · {trends.failed} not analysed", "red")
        return text

    @staticmethod
    def _focus(trends: Trends) -> Text:
        if not trends.analysed:
            return Text("Answer a few questions first.", "dim")
        if not trends.focus:
            return Text("Nothing stands out: every measure is in its good range. Keep it there.", "green")
        return Text("\n").join(Text.assemble((f"{i}. ", "bold"), f.text) for i, f in enumerate(trends.focus, 1))

    @staticmethod
    def _comparison(trends: Trends) -> Table | Text:
        if trends.baseline is None or trends.recent is None:
            return Text(trends.comparison_note or "Not enough answers to compare yet.", "dim")
        table = Table(box=None, padding=(0, 1), show_edge=False, header_style="bold")
        table.add_column("Measure")
        table.add_column("Week 1", justify="right")
        table.add_column("Last 7 d", justify="right")
        table.add_column("Change")
        for key, spec in METRICS.items():
            c = trends.comparisons[key]
            if c.baseline is None and c.recent is None:
                continue
            colour = {True: "green", False: "red", None: "default"}[c.improved]
            word = {True: "better", False: "worse", None: "same"}[c.improved]
            change = Text("-" if c.change is None else word, colour)
            recent = Text(spec.format(c.recent), {"good": "green", "fair": "yellow", "poor": "red"}.get(
                spec.verdict(c.recent) or "", "default"))
            table.add_row(spec.title, spec.format(c.baseline), recent, change)
        return table

    def _fill_best(self, trends: Trends) -> None:
        table = self.query_one("#best", DataTable)
        table.clear(columns=True)
        table.add_columns("Question", "Kind", "Tries", "First", "Best", "Latest")
        for q in trends.questions:
            if q.best_attempt_id is None:
                continue
            table.add_row(_clip(q.label, self._question_width(54, 70)), q.kind.replace("_", " "), str(q.attempts), _score(q.first_score),
                          _score(q.best_score), _score(q.latest_score), key=str(q.best_attempt_id))

    def _fill_attempts(self, attempts: list[AttemptSummary]) -> None:
        table = self.query_one("#attempts", DataTable)
        table.clear(columns=True)
        table.add_columns("#", "When", "Question", "Pace", "Fill/min", "Structure", "Score")
        # Each follow-up right under the answer it follows, indented: a turn, not a question of its own.
        newest_first = threaded(attempts[::-1])
        self._fills += 1
        self._add_attempt_rows(newest_first[:_FIRST_ROWS])
        # Measuring a DataTable's cells costs about 0.2 ms a row; the rows below the fold are
        # added once the charts have been painted (or after a moment, if none is in view), a
        # chunk per refresh, so the screen opens at once.
        self._pending_rows = newest_first[_FIRST_ROWS:]
        self.set_timer(0.5, self._start_remaining_rows)

    @on(TrendChart.Drawn)
    def _start_remaining_rows(self) -> None:
        pending, self._pending_rows = self._pending_rows, None
        if pending is not None:
            self._add_remaining_rows(pending, self._fills)

    def _add_remaining_rows(self, remaining: list[Row], fill: int) -> None:
        if fill != self._fills:
            return  # a reload started a new fill; these rows are stale
        self._add_attempt_rows(remaining[:_CHUNK_ROWS])
        if len(remaining) > _CHUNK_ROWS:
            self.call_after_refresh(self._add_remaining_rows, remaining[_CHUNK_ROWS:], fill)
        else:
            self.all_rows_added = True

    def _add_attempt_rows(self, threads: list[Row]) -> None:
        table = self.query_one("#attempts", DataTable)
        width = self._question_width(68, 50)
        rows = []
        for row in threads:
            attempt = row.attempt
            m = attempt.metrics
            if attempt.analysed:
                structure = (f"STAR {round(m.star_completeness * 4)}/4" if m.star_completeness is not None else
                             f"rubric {m.think_score:.0f}" if m.think_score is not None else "-")
                cells = (f"{m.wpm:.0f}" if m.wpm is not None else "typed",
                         f"{m.fillers_per_min:.1f}" if m.fillers_per_min is not None else "-", structure,
                         _score(m.overall))
            else:
                cells = ("-", "-", "-", Text("failed", "red"))
            # ✎: the attempt has a note of yours (read on its page).
            label = _clip(turn_label(row), width - 2) + " ✎" if attempt.note else _clip(turn_label(row), width)
            rows.append((str(attempt.id), attempt.created_at.astimezone().strftime("%d %b %H:%M"),
                         Text(label, "italic") if attempt.is_follow_up else label, *cells))
        for row in rows:
            table.add_row(*row, key=row[0])

    def _question_width(self, other_columns: int, most: int) -> int:
        """How much of a question fits beside a table's other columns on this terminal, so the
        scores on the right stay on screen at 80 columns."""
        return max(20, min(most, self.size.width - other_columns))

    # -- actions -------------------------------------------------------------------------------

    def action_scroll_page(self, lines: int) -> None:
        scroll = self.query_one("#history", VerticalScroll)
        scroll.scroll_relative(y=lines, animate=False)

    @on(DataTable.RowSelected)
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        if event.row_key.value is not None:
            self._open(int(event.row_key.value))

    def action_compare(self) -> None:
        """The attempt under the cursor of the focused table against the one before it."""
        table = self.focused if isinstance(self.focused, DataTable) else None
        if table is None or not table.row_count:
            self.notify("Tab to an attempt in the tables below, then press c to compare it with the attempt "
                        "before it at the same question.", title="Compare")
            return
        from coach.ui.screens.compare import CompareScreen

        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        self.app.push_screen(CompareScreen(int(key)))

    def _open(self, attempt_id: int) -> None:
        from coach.ui.screens.attempt import AttemptScreen

        self.app.push_screen(AttemptScreen(attempt_id))


def _clip(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _score(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}"
