"""Screens that are planned but not built yet say so plainly."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Static

from coach.ui.widgets.steady_footer import SteadyFooter
from coach.ui.widgets.title_bar import TitleBar


class PlaceholderScreen(Screen):
    BINDINGS = [Binding("escape", "app.pop_screen", "Back")]

    def __init__(self, title: str, explanation: str) -> None:
        super().__init__()
        self.title_text = title
        self.explanation = explanation

    def compose(self) -> ComposeResult:
        yield TitleBar()
        with Vertical(id="placeholder"):
            yield Static(f"[b]{self.title_text}[/]  [yellow](not built yet)[/]")
            yield Static(self.explanation)
        yield SteadyFooter()
