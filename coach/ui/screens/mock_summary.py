"""The end of a mock round: time per answer against its target, the interviewer's notes on the
round (built in :mod:`coach.reports.round_notes`), the average scores, and each answer's full
feedback a key away (the only place to see it when the round held its feedback to the end)."""

from __future__ import annotations

from pathlib import Path

from rich.markup import escape
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Static

from coach.ui.duration import round_length, spoken_duration
from coach.ui.widgets.steady_footer import SteadyFooter
from coach.ui.widgets.title_bar import TitleBar


def _clip(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


class MockSummaryScreen(Screen):
    CSS_PATH = "mock_summary.tcss"
    BINDINGS = [
        # Ahead of the table's own enter, so that the footer names what it does.
        Binding("enter", "open_answer", "Full feedback", priority=True),
        Binding("escape", "app.pop_screen", "Home"),
        # The notes run below an 80x24 screen; the table has the focus and would take these keys.
        Binding("pagedown", "scroll_notes(1)", "Scroll down", show=False, priority=True),
        Binding("pageup", "scroll_notes(-1)", "Scroll up", show=False, priority=True),
    ]

    def __init__(self, mock) -> None:
        super().__init__()
        self.mock = mock

    def compose(self) -> ComposeResult:
        from coach.reports.round_notes import round_notes

        mock = self.mock
        summary = mock.summary()
        #: The interviewer's notes, kept for tests and for the text they hold.
        self.notes = round_notes(mock.answers)
        yield TitleBar()
        with VerticalScroll(id="mock-summary"):
            yield Static(f"[b]Mock round for {mock.role}[/]: {summary['answered']} of {summary['planned']} "
                         f"questions answered in {spoken_duration(summary['elapsed_s'])} of a "
                         f"{round_length(mock.minutes)} round.", id="mock-headline")
            if mock.answers:
                pick = "pick an answer and press [b]enter[/] for its full feedback."
                yield Static(f"The feedback was held to the end of the round: {pick}" if mock.hold_feedback
                             else pick.capitalize(), id="mock-open-hint")
            table = DataTable(id="answers", cursor_type="row")
            table.add_columns("#", "question", "kind", "target", "answer", "verdict")
            # The question gets what the other columns leave of the width, so the verdict stays in view.
            width = max(24, min(60, self.app.size.width - 52))
            # summary() lists the answers in the order they were given, as mock.answers holds them.
            for n, (row, (question, _analysis, _spent)) in enumerate(zip(summary["answers"], mock.answers,
                                                                          strict=True), 1):
                answer = f"{row['answer_s']:.0f} s" if row["answer_s"] else "typed"
                table.add_row(str(n), _clip(question.text, width), row["kind"].replace("_", " "),
                              f"{row['target_s']:.0f} s", answer, (row["verdict"] or "").replace("_", " "))
            yield table
            yield Static("[b]Interviewer's notes[/]", classes="section")
            for note in self.notes.answers:
                yield Static(escape(note.text), classes="answer-note")
            yield Static(escape(self.notes.overall), id="mock-overall")
            if self.notes.signals:
                yield Static("[b]Signal by competency[/] [dim](each answer's content scores: structure, result, "
                             "ownership, reasoning, coverage, relevance)[/]", classes="section")
                yield Static("\n".join(escape(s.line()) for s in self.notes.signals), id="mock-signals")
            scores = " · ".join(f"{k} {v}" for k, v in summary["mean_scores"].items())
            yield Static(f"[b]Average scores[/] {scores or 'none yet'}", id="mock-scores")
        yield SteadyFooter()

    def on_mount(self) -> None:
        self.query_one("#answers", DataTable).focus()

    def action_scroll_notes(self, direction: int) -> None:
        page = self.query_one("#mock-summary", VerticalScroll)
        (page.scroll_page_down if direction > 0 else page.scroll_page_up)(animate=False)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "open_answer":
            return bool(self.mock.answers)
        return True

    @on(DataTable.RowSelected, "#answers")
    def _selected(self, event: DataTable.RowSelected) -> None:
        self.open_answer(event.cursor_row)

    def action_open_answer(self) -> None:
        self.open_answer(self.query_one("#answers", DataTable).cursor_row)

    def open_answer(self, index: int) -> None:
        """The answer's full feedback, as it would have shown after the answer; escape comes back here."""
        if not 0 <= index < len(self.mock.answers):
            return
        question, analysis, _spent = self.mock.answers[index]
        if analysis is None or analysis.coaching is None:
            self.notify("This answer was not analysed: it has no feedback.", title="Feedback")
            return
        from coach.ui.screens.feedback import FeedbackScreen

        # A spoken answer's analysis names its recording: replay and play-from work from here too.
        audio = Path(analysis.source) if analysis.source and analysis.duration_s is not None else None
        self.app.push_screen(FeedbackScreen(question, analysis, audio, mock=self.mock, reviewing=index + 1))
