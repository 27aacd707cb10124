"""Answering without a microphone: type the answer, or name an audio file recorded elsewhere."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, TextArea


class TypedAnswerScreen(ModalScreen[str | None]):
    """Returns the typed text (mode "text") or a file path (mode "file"), or None."""

    BINDINGS = [Binding("escape", "cancel", "Cancel"), Binding("ctrl+s", "submit", "Analyse")]

    def __init__(self, question: str, mode: str = "text") -> None:
        super().__init__()
        self.question = question
        self.mode = mode

    def compose(self) -> ComposeResult:
        with Vertical(id="typed"):
            yield Label(self.question, id="typed-question")
            if self.mode == "text":
                yield Label("Type or paste your answer (ctrl+s to analyse):")
                yield TextArea(id="answer")
            else:
                yield Label("Path to an audio file (WAV, FLAC, OGG, MP3, M4A):")
                yield Input(placeholder="~/recordings/answer.wav", id="path")
            with Horizontal(id="typed-buttons"):
                yield Button("Analyse", variant="primary", id="submit")
                yield Button("Cancel", id="cancel")

    @on(Button.Pressed, "#submit")
    def action_submit(self) -> None:
        if self.mode == "text":
            value = self.query_one("#answer", TextArea).text.strip()
        else:
            value = self.query_one("#path", Input).value.strip()
        if not value:
            self.notify("Nothing to analyse yet.", severity="warning")
            return
        self.dismiss(value)

    @on(Input.Submitted, "#path")
    def _path_entered(self) -> None:
        self.action_submit()

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
