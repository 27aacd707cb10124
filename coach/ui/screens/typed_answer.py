"""Answering without a microphone: type the answer, or name an audio file recorded elsewhere."""

from __future__ import annotations

from pathlib import Path

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static, TextArea


def path_problem(typed: str) -> str | None:
    """What is wrong with a typed audio-file path that can be told without reading the file."""
    path = Path(typed).expanduser()
    if not path.exists():
        folder = path.parent
        if not folder.is_dir():
            return f"There is no folder {folder}: check the path."
        return f"There is no file {path.name} in {folder}: check the spelling."
    if path.is_dir():
        return f"{path} is a folder: add the audio file's name."
    return None


class TypedAnswerScreen(ModalScreen[str | None]):
    """Returns the typed text (mode "text") or a file path (mode "file"), or None.

    Args:
        value: the path to start with (a path that failed, to correct rather than retype).
        problem: what was wrong with ``value``.
        context: a line above the question (where a mock round stands).
    """

    BINDINGS = [Binding("escape", "cancel", "Cancel"), Binding("ctrl+s", "submit", "Analyse")]

    def __init__(self, question: str, mode: str = "text", *, value: str = "", problem: str | None = None,
                 context: str | None = None) -> None:
        super().__init__()
        self.question = question
        self.mode = mode
        self.value = value
        self.problem = problem
        self.context = context

    def compose(self) -> ComposeResult:
        with Vertical(id="typed"):
            if self.context:
                yield Label(self.context, id="typed-context")
            yield Label(self.question, id="typed-question")
            if self.mode == "text":
                yield Label("Type or paste your answer (ctrl+s to analyse):")
                yield TextArea(id="answer")
            else:
                yield Label("Path to an audio file (WAV, FLAC, OGG, MP3, M4A):")
                yield Input(self.value, placeholder="~/recordings/answer.wav", id="path")
                yield Static(self.problem or "", id="typed-problem")
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
        if self.mode == "file":
            problem = path_problem(value)
            if problem:
                # The dialog stays open with the path as typed, to be corrected.
                self.query_one("#typed-problem", Static).update(problem)
                return
        self.dismiss(value)

    @on(Input.Submitted, "#path")
    def _path_entered(self) -> None:
        self.action_submit()

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
