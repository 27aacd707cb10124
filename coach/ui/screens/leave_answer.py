"""Escape while an answer is being recorded: analyse it, keep it for later, discard it, or go on."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Static

from coach.ui.duration import spoken_duration


class LeaveAnswerScreen(ModalScreen[str]):
    """Returns "analyse", "keep", "discard" or "continue"; the recording runs on until then."""

    BINDINGS = [
        Binding("escape", "choose('continue')", "Keep answering"),
        Binding("a", "choose('analyse')", "Analyse"),
        Binding("k", "choose('keep')", "Keep for later"),
        Binding("d", "choose('discard')", "Discard"),
    ]

    def __init__(self, recorded_s: float) -> None:
        super().__init__()
        self.recorded_s = recorded_s

    def compose(self) -> ComposeResult:
        with Vertical(id="leave-answer"):
            yield Label("[b]Stop this answer?[/]")
            yield Static(f"{spoken_duration(self.recorded_s)} recorded so far. The recording goes on until you "
                         "choose.")
            with Vertical(id="leave-buttons"):
                yield Button("Analyse it (a)", variant="primary", id="analyse")
                yield Button("Keep it, analyse later (k)", id="keep")
                yield Button("Discard it (d)", variant="error", id="discard")
                yield Button("Keep answering (esc)", id="continue")

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id)

    def action_choose(self, choice: str) -> None:
        self.dismiss(choice)
