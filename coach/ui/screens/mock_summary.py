"""The end of a mock round: time per answer against its target, and the average scores."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from coach.ui.widgets.title_bar import TitleBar


class MockSummaryScreen(Screen):
    BINDINGS = [Binding("escape", "app.pop_screen", "Home")]

    def __init__(self, mock) -> None:
        super().__init__()
        self.mock = mock

    def compose(self) -> ComposeResult:
        summary = self.mock.summary()
        yield TitleBar()
        with Vertical(id="mock-summary"):
            yield Static(f"[b]Mock round for {self.mock.role}[/]: {summary['answered']} of {summary['planned']} "
                         f"questions in {summary['elapsed_s'] / 60:.0f} of {self.mock.minutes:.0f} minutes.")
            table = DataTable(id="answers", cursor_type="row")
            table.add_columns("question", "kind", "target", "answer", "verdict")
            for row in summary["answers"]:
                answer = f"{row['answer_s']:.0f} s" if row["answer_s"] else "typed"
                table.add_row(row["id"], row["kind"].replace("_", " "), f"{row['target_s']:.0f} s", answer,
                              (row["verdict"] or "").replace("_", " "))
            yield table
            scores = " · ".join(f"{k} {v}" for k, v in summary["mean_scores"].items())
            yield Static(f"[b]Average scores[/] {scores or 'none yet'}")
        yield Footer()
