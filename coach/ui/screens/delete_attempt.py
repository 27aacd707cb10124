"""``d`` on an attempt: delete it and its recording, after saying exactly what goes and what stays."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Static

from coach.storage.models import Attempt


def deletion_summary(attempt: Attempt, turns: int) -> str:
    """What deleting ``attempt`` does, in one or two sentences."""
    when = attempt.created_at.astimezone().strftime("%d %b %Y %H:%M").lstrip("0")
    lines = [f"Your answer of {when} to \"{attempt.question_label}\" and its analysis are deleted for good."]
    if attempt.audio_path is not None:
        lines.append(f"The recording {attempt.audio_path.name} is deleted with it (if it is in coach's data "
                     "folder; a file of your own is left in place).")
    if turns:
        lines.append(f"Its {turns} follow-up{'s' if turns > 1 else ''} stay{'s' if turns == 1 else ''} in the "
                     "history as answers of their own.")
    return " ".join(lines)


class DeleteAttemptScreen(ModalScreen[bool]):
    """Returns True to delete, False to keep."""

    BINDINGS = [
        Binding("escape", "choose(False)", "Keep it"),
        Binding("y", "choose(True)", "Delete"),
    ]

    def __init__(self, attempt: Attempt, turns: int = 0) -> None:
        super().__init__()
        self.attempt = attempt
        self.turns = turns

    def compose(self) -> ComposeResult:
        with Vertical(id="delete-attempt"):
            yield Label(f"[b]Delete attempt {self.attempt.id}?[/]")
            yield Static(Text(deletion_summary(self.attempt, self.turns)))
            with Vertical(id="delete-buttons"):
                yield Button("Delete it (y)", variant="error", id="delete")
                yield Button("Keep it (esc)", id="keep")

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "delete")

    def action_choose(self, delete: bool) -> None:
        self.dismiss(delete)
