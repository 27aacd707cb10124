"""After a crash or a kill: offer to analyse the answers whose recording was never finished."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Static


class RecoveryScreen(ModalScreen[None]):
    BINDINGS = [Binding("a", "analyse", "Analyse it"), Binding("k", "keep", "Keep the file"),
                Binding("escape", "later", "Later")]

    def __init__(self, found: list[tuple[Path, dict]]) -> None:
        super().__init__()
        self.found = found

    def compose(self) -> ComposeResult:
        audio, metadata = self.found[0]
        when = datetime.fromtimestamp(audio.stat().st_mtime).strftime("%d %b %H:%M")
        question = metadata.get("question") or "an unknown question"
        with Vertical(id="recovery"):
            yield Label("[b]An answer was not finished[/]")
            yield Static(f"The recording from {when} ({question}) stopped without being analysed, probably "
                         f"because coach was closed or crashed. It is saved at {audio}.")
            if len(self.found) > 1:
                yield Static(f"{len(self.found) - 1} more unfinished recording(s) are in the same folder.")
            with Horizontal():
                yield Button("Analyse it (a)", variant="primary", id="analyse")
                yield Button("Keep the file, stop asking (k)", id="dismiss")
                yield Button("Later (Esc)", id="later")

    @on(Button.Pressed, "#analyse")
    def action_analyse(self) -> None:
        from coach.audio.recorder import mark_recovered

        audio, metadata = self.found[0]
        mark_recovered(audio)
        self.analyse(audio, metadata)

    @work(thread=True, exclusive=True, group="analysis", exit_on_error=False)
    def analyse(self, audio: Path, metadata: dict) -> None:
        from coach.analysis.answer import QuestionContext, analyse_file

        context = QuestionContext(text=metadata.get("question"), kind=metadata.get("kind") or "behavioral",
                                  target_s=metadata.get("target_s"), question_id=metadata.get("question_id"))
        try:
            analysis = analyse_file(audio, self.app.settings, transcriber=self.app.transcriber, question=context)
        except Exception as exc:
            self.app.call_from_thread(self.notify, str(exc), title="Could not analyse", severity="error")
            self.app.call_from_thread(self.dismiss, None)
            return
        self.app.call_from_thread(self._show, analysis, audio, metadata)

    def _show(self, analysis, audio: Path, metadata: dict) -> None:
        from coach.questions.bank import Question
        from coach.ui.screens.feedback import FeedbackScreen

        question = next((q for q in self.app.questions if q.id == metadata.get("question_id")), None)
        if question is None:
            question = Question(id="recovered", kind=analysis.question.kind, category="recovered", competencies=(),
                                roles=(), target_s=analysis.question.target_s or 90, text=analysis.question.text or "",
                                follow_ups=(), concepts=(), source="")
        self.dismiss(None)
        feedback = FeedbackScreen(question, analysis, audio)
        # A recovered answer is an attempt like any other: kept, and comparable with the others.
        self.app.save_attempt(analysis, audio, on_saved=feedback.attempt_saved)
        self.app.push_screen(feedback)

    @on(Button.Pressed, "#dismiss")
    def action_keep(self) -> None:
        from coach.audio.recorder import mark_recovered

        mark_recovered(self.found[0][0])
        self.dismiss(None)

    @on(Button.Pressed, "#later")
    def action_later(self) -> None:
        self.dismiss(None)
