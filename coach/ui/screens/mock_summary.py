"""The end of a mock round: time per answer against its target, and the average scores."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from coach.ui.duration import round_length, spoken_duration
from coach.ui.widgets.title_bar import TitleBar


def _clip(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


class MockSummaryScreen(Screen):
    BINDINGS = [Binding("escape", "app.pop_screen", "Home")]

    def __init__(self, mock) -> None:
        super().__init__()
        self.mock = mock

    def compose(self) -> ComposeResult:
        mock = self.mock
        summary = mock.summary()
        yield TitleBar()
        with Vertical(id="mock-summary"):
            yield Static(f"[b]Mock round for {mock.role}[/]: {summary['answered']} of {summary['planned']} "
                         f"questions answered in {spoken_duration(summary['elapsed_s'])} of a "
                         f"{round_length(mock.minutes)} round.", id="mock-headline")
            table = DataTable(id="answers", cursor_type="row")
            table.add_columns("#", "question", "kind", "target", "answer", "verdict")
            # summary() lists the answers in the order they were given, as mock.answers holds them.
            for n, (row, (question, _analysis, _spent)) in enumerate(zip(summary["answers"], mock.answers,
                                                                          strict=True), 1):
                answer = f"{row['answer_s']:.0f} s" if row["answer_s"] else "typed"
                table.add_row(str(n), _clip(question.text, 60), row["kind"].replace("_", " "),
                              f"{row['target_s']:.0f} s", answer, (row["verdict"] or "").replace("_", " "))
            yield table
            scores = " · ".join(f"{k} {v}" for k, v in summary["mean_scores"].items())
            yield Static(f"[b]Average scores[/] {scores or 'none yet'}", id="mock-scores")
        yield Footer()
