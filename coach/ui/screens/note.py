"""``n`` on an attempt: a short note of your own, kept with it ("nervous: first time on camera")."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static

from coach.storage.history import NOTE_MAX_CHARS


class NoteScreen(ModalScreen[str | None]):
    """Returns the note to keep ("" removes it), or None when nothing changes."""

    CSS_PATH = "history.tcss"
    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel")]

    def __init__(self, attempt_id: int, note: str | None) -> None:
        super().__init__()
        self.attempt_id = attempt_id
        self.note = note or ""

    def compose(self) -> ComposeResult:
        with Vertical(id="note-dialog"):
            yield Label(f"[b]Your note on attempt {self.attempt_id}[/]")
            yield Input(self.note, placeholder="What to remember about this answer", max_length=NOTE_MAX_CHARS,
                        id="note-input")
            yield Static(f"[dim]enter keeps it (empty removes it) · escape leaves it as it was · at most "
                         f"{NOTE_MAX_CHARS} characters[/]")

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value)
