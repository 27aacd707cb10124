"""One stored attempt in detail: scores, structure, tips, the transcript with fillers and hedges
marked, and replay of the recording."""

from __future__ import annotations

import re

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Label, Static
from textual.worker import Worker, WorkerState

from coach.storage.models import Attempt, AttemptSummary
from coach.ui.widgets.seekable_transcript import MOMENT_HELP, VOICE_UNDERLINES, SeekableTranscript
from coach.ui.widgets.steady_footer import SteadyFooter
from coach.ui.widgets.title_bar import TitleBar


def _timed_words(analysis: dict) -> list[tuple[str, float, float]]:
    return [(str(w.get("text", "")), float(w["start"]), float(w["end"])) for w in analysis.get("words") or []
            if isinstance(w, dict) and isinstance(w.get("start"), int | float) and isinstance(w.get("end"), int | float)]


def _voice_spans(attempt: Attempt) -> list[tuple[int, int, str, object]]:
    """Where the stored voice moments (faded endings, rising statements, unclear words) are in the
    transcript (answer_report.voice_spans)."""
    from coach.answer_report import stored_voice, voice_spans

    analysis = attempt.analysis or {}
    return voice_spans(attempt.transcript or "", _timed_words(analysis), stored_voice(analysis))


def highlighted_transcript(attempt: Attempt) -> Text:
    """The transcript with fillers (red) and hedges (yellow) marked, and the voice's moments
    underlined in their colours, as on the feedback screen.

    Uses the character ranges stored with the attempt; an attempt stored without them (from an
    older version) has its phrases found again in order in the text.
    """
    from coach.answer_report import VOICE_MOMENTS

    text = Text(attempt.transcript or "")
    # Underlined first, so that a filler inside a faded ending keeps its own colour too.
    for start, end, kind, _ in _voice_spans(attempt):
        text.stylize(f"underline {VOICE_MOMENTS[kind][0]}", start, end)
    styles = {"filler": "bold red", "hedge": "bold yellow"}
    if attempt.highlights:
        for mark in attempt.highlights:
            text.stylize(styles.get(mark.kind, "bold"), mark.start_char, mark.end_char)
        return text
    analysis = attempt.analysis or {}
    plain = text.plain
    for kind, key in (("filler", "fillers"), ("hedge", "hedges")):
        position = 0
        for phrase in analysis.get(key) or []:
            found = re.compile(rf"\b{re.escape(str(phrase.get('text', '')))}\b", re.I).search(plain, position)
            if found:
                text.stylize(styles[kind], found.start(), found.end())
                position = found.end()
    return text


_TRANSCRIPT_LABEL = "Transcript ([red]fillers[/], [yellow]hedges[/]{voice})"


def attempt_moments(attempt: Attempt):
    """The words and flagged moments of a stored attempt, from its analysis JSON and highlights."""
    from coach.answer_report import voice_detail
    from coach.ui.widgets.seekable_transcript import transcript_moments

    analysis = attempt.analysis or {}
    words = _timed_words(analysis)
    pauses = [(float(p["start"]), float(p["end"])) for p in analysis.get("pauses") or []
              if isinstance(p, dict) and p.get("long") and isinstance(p.get("start"), int | float)
              and isinstance(p.get("end"), int | float)]
    marks = [(m.start_char, m.end_char, m.kind, None) for m in attempt.highlights]
    voice = [(a, b, kind, m.start, voice_detail(kind, m)) for a, b, kind, m in _voice_spans(attempt)]
    return transcript_moments(attempt.transcript or "", words, marks, pauses, voice)


def _rubric(rubric: dict) -> Text:
    """The think-aloud rubric as ticks and crosses (the stored JSON shape of ``ThinkAloudRubric``)."""
    lines = Text()

    def line(ok: bool, label: str) -> None:
        lines.append("✓ " if ok else "✗ ", "green" if ok else "red")
        lines.append(label + "\n")

    questions = rubric.get("clarifying_questions") or []
    line(bool(questions), f"clarifying questions: {len(questions)}")
    line(bool(rubric.get("assumptions_stated")), "assumptions stated")
    line(bool(rubric.get("signposting")), "structure announced")
    line(bool(rubric.get("tradeoffs_discussed")), "a trade-off with both sides")
    line(bool(rubric.get("summary_at_end")), "summary at the end")
    covered, missed = rubric.get("concepts_covered") or [], rubric.get("concepts_missed") or []
    if covered or missed:
        line(not missed, f"concepts {len(covered)}/{len(covered) + len(missed)}"
                         + (f"; missed: {', '.join(missed)}" if missed else ""))
    silence = rubric.get("longest_silence_s")
    if silence is not None:
        line(silence <= 5, f"longest silence {silence:.1f} s")
    lines.rstrip()
    return lines


def _turns(turns: list[AttemptSummary]) -> Text:
    """One line per follow-up turn: what was asked, how long, whether it was answered."""
    lines = Text()
    for n, turn in enumerate(turns, 1):
        lines.append(f"{n}. ")
        lines.append(f"\"{turn.question_label}\"", "italic")
        m = turn.metrics
        if m.duration_s is not None:
            lines.append(f" · {m.duration_s:.0f} s")
        answered = turn.scores.get("answered")
        if answered is not None:
            lines.append(" · answered" if answered >= 50 else " · not answered", "green" if answered >= 50 else "red")
        if turn.analysis_error:
            lines.append(" · not analysed", "red")
        lines.append(f" (attempt {turn.id})\n", "dim")
    lines.rstrip()
    return lines


class AttemptScreen(Screen):
    """An attempt from the history, read in a worker; ``p`` replays its recording."""

    CSS_PATH = "history.tcss"
    BINDINGS = [
        Binding("p", "replay", "Replay"),
        # Play from a moment, as on the feedback screen (the line under the transcript names the keys).
        Binding("right_square_bracket", "moment(1)", "Next moment", key_display="]", show=False),
        Binding("left_square_bracket", "moment(-1)", "Previous moment", key_display="[", show=False),
        Binding("full_stop", "word(1)", "Next word", key_display=".", show=False),
        Binding("comma", "word(-1)", "Previous word", key_display=",", show=False),
        Binding("f", "play_from", "Play from here"),
        Binding("c", "compare", "Compare with the one before"),
        Binding("d", "delete", "Delete"),
        Binding("n", "note", "Note"),
        Binding("escape", "back", "Back"),
    ]

    class Loaded(Message):
        """The attempt was read from the history, with its follow-up turns and, for a turn, the
        attempt it follows up."""

        def __init__(self, attempt: Attempt, turns: list[AttemptSummary] | None = None,
                     parent: Attempt | None = None) -> None:
            super().__init__()
            self.attempt = attempt
            self.turns = turns or []
            self.parent = parent

    class Deleted(Message):
        """The attempt was deleted; ``note`` says what became of its recording."""

        def __init__(self, note: str) -> None:
            super().__init__()
            self.note = note

    class NoteSaved(Message):
        """The note was stored; ``note`` is it as kept (None when removed)."""

        def __init__(self, note: str | None) -> None:
            super().__init__()
            self.note = note

    class LoadFailed(Message):
        """The attempt could not be read; ``error`` says why."""

        def __init__(self, error: str) -> None:
            super().__init__()
            self.error = error

    def __init__(self, attempt_id: int) -> None:
        super().__init__()
        self.attempt_id = attempt_id
        self.attempt: Attempt | None = None
        #: How many follow-ups were answered as turns of this attempt.
        self.turn_count = 0

    def compose(self) -> ComposeResult:
        yield TitleBar()
        with VerticalScroll(id="attempt"):
            yield Static(f"Reading attempt {self.attempt_id}…", id="attempt-question")
            yield Static(id="attempt-meta")
            yield Static(id="attempt-notice", classes="hidden")
            yield Static(id="attempt-note", classes="hidden")
            yield Label("Scores", classes="section")
            yield Static(id="attempt-scores")
            yield Label("What to work on", classes="section", id="attempt-tips-label")
            yield Static(id="attempt-tips")
            yield Label(_TRANSCRIPT_LABEL.format(voice=""), classes="section", id="attempt-transcript-label")
            yield SeekableTranscript(id="attempt-transcript")
            yield Static(id="moment", classes="hidden")
        yield SteadyFooter()

    def on_mount(self) -> None:
        self.sub_title = f"attempt {self.attempt_id}"
        self.load_attempt()

    @work(thread=True, exclusive=True, group="attempt", exit_on_error=False)
    def load_attempt(self) -> None:
        from coach.errors import CoachError
        from coach.storage import History

        try:
            with History(self.app.settings) as history:
                attempt = history.attempt(self.attempt_id)
                parent = None
                if attempt.parent_id is not None:
                    try:
                        parent = history.attempt(attempt.parent_id)
                    except CoachError:
                        parent = None
                self.post_message(self.Loaded(attempt, history.turns(self.attempt_id), parent))
        except CoachError as exc:
            self.post_message(self.LoadFailed(str(exc)))

    @on(Worker.StateChanged)
    def _worker_failed(self, event: Worker.StateChanged) -> None:
        if event.worker.group == "attempt" and event.state == WorkerState.ERROR:
            self.post_message(self.LoadFailed(f"The attempt could not be read ({event.worker.error})."))

    def on_attempt_screen_load_failed(self, message: LoadFailed) -> None:
        self.query_one("#attempt-question", Static).update(f"[red]{message.error}[/]")

    def on_attempt_screen_loaded(self, message: Loaded) -> None:
        self.attempt = attempt = message.attempt
        self.turn_count = len(message.turns)
        self.refresh_bindings()
        analysis = attempt.analysis or {}
        self.query_one("#attempt-question", Static).update(Text(attempt.question_label, "bold"))
        meta = [attempt.created_at.astimezone().strftime("%d %b %Y %H:%M").lstrip("0"),
                attempt.kind.replace("_", " ")]
        m = attempt.metrics
        if m.duration_s is not None:
            length = f"{m.duration_s:.0f} s" if m.spoken else f"about {m.duration_s:.0f} s (typed)"
            meta.append(length + (f" of a {attempt.target_s:.0f} s target" if attempt.target_s else ""))
        if m.wpm is not None:
            meta.append(f"{m.wpm:.0f} wpm")
        if m.fillers_per_min is not None:
            meta.append(f"{m.fillers_per_min:.1f} fillers a minute")
        if attempt.model:
            meta.append(f"model {attempt.model}")
        if attempt.story:
            meta.append(f"story: {attempt.story}")
        if message.parent is not None:
            meta.append(f"follow-up to attempt {message.parent.id} (\"{message.parent.question_label}\")")
        self.query_one("#attempt-meta", Static).update(Text(" · ".join(meta)))

        self._show_note(attempt.note)
        notices = []
        if attempt.analysis_error:
            notices.append(f"Not analysed: {attempt.analysis_error} (`coach reanalyse {attempt.id}` tries again).")
        if attempt.audio_missing:
            notices.append(f"The recording {attempt.audio_path} is no longer on disk; the analysis is kept.")
        elif attempt.audio_path is not None:
            notices.append("Press p to replay the recording.")
        notice = self.query_one("#attempt-notice", Static)
        notice.update("\n".join(notices))
        notice.set_class(not notices, "hidden")

        scores = analysis.get("scores") or {}
        parts = []
        for name, value in scores.items():
            colour = "green" if value >= 75 else "yellow" if value >= 50 else "red"
            parts.append(f"{name} [{colour}]{value}[/]")
        self.query_one("#attempt-scores", Static).update(" · ".join(parts) or "No scores: the analysis failed.")
        tips = analysis.get("tips") or []
        lines = [f"{i}. {tip}" for i, tip in enumerate(tips, 1)]
        if analysis.get("strength"):
            lines.append(f"[b green]Strength:[/] {analysis['strength']}")
        self.query_one("#attempt-tips", Static).update("\n".join(lines) or "-")
        if isinstance(analysis.get("voice"), dict):
            self.query_one("#attempt-transcript-label", Label).update(_TRANSCRIPT_LABEL.format(voice=VOICE_UNDERLINES))
        transcript = self.query_one("#attempt-transcript", SeekableTranscript)
        if not attempt.transcript:
            transcript.show(Text("No transcript.", "dim"), [], [])
        elif attempt.audio_path is not None:
            transcript.show(highlighted_transcript(attempt), *attempt_moments(attempt))
        else:  # a typed answer has nothing to play
            transcript.show(highlighted_transcript(attempt), [], [])
        if transcript.words:
            help_line = self.query_one("#moment", Static)
            help_line.update(MOMENT_HELP)
            help_line.remove_class("hidden")
        self.refresh_bindings()
        rubric = analysis.get("think_aloud")
        if rubric:
            scroll = self.query_one("#attempt", VerticalScroll)
            anchor = self.query_one("#attempt-tips-label")
            scroll.mount(Label("Reasoning out loud", classes="section"), before=anchor)
            scroll.mount(Static(_rubric(rubric), id="attempt-rubric"), before=anchor)
        if message.turns:
            scroll = self.query_one("#attempt", VerticalScroll)
            anchor = self.query_one("#attempt-tips-label")
            scroll.mount(Label("Follow-ups answered after it", classes="section"), before=anchor)
            scroll.mount(Static(_turns(message.turns), id="attempt-turns"), before=anchor)
        star = analysis.get("star")
        if star and star.get("sentences"):
            from coach.ui.widgets.star_timeline import StarTimeline

            scroll = self.query_one("#attempt", VerticalScroll)
            anchor = self.query_one("#attempt-tips-label")
            scroll.mount(Label("STAR structure", classes="section"), before=anchor)
            scroll.mount(StarTimeline(star, id="attempt-star"), before=anchor)

    def action_replay(self) -> None:
        attempt = self.attempt
        self.app.toggle_replay(attempt.audio_path if attempt is not None else None)

    def _seekable(self) -> SeekableTranscript | None:
        """The transcript, when it can be stepped through (a spoken answer stored with word times)."""
        found = self.query("#attempt-transcript")  # empty while the screen is composed
        transcript = found.first() if found else None
        return transcript if isinstance(transcript, SeekableTranscript) and transcript.words else None

    def action_moment(self, step: int) -> None:
        transcript = self._seekable()
        if transcript is not None:
            self._show_moment(transcript, transcript.step_moment(step), "fillers, hedges or long pauses")

    def action_word(self, step: int) -> None:
        transcript = self._seekable()
        if transcript is not None:
            self._show_moment(transcript, transcript.step_word(step), "timed words")

    def _show_moment(self, transcript, moment, none: str) -> None:
        from coach.ui.widgets.seekable_transcript import show_moment

        show_moment(self.query_one("#moment", Static), moment, none)

    def action_play_from(self) -> None:
        """The recording from the selected moment (the first flagged one when none is selected yet)."""
        transcript = self._seekable()
        if transcript is None:
            self.action_replay()
            return
        moment = transcript.selected or transcript.step_moment(1) or transcript.step_word(1)
        if moment is None:
            self.action_replay()
            return
        self.query_one("#moment", Static).update(moment.describe())
        self.app.replay_from(self.attempt.audio_path, moment.play_from_s)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("moment", "word", "play_from"):
            return self._seekable() is not None  # a typed answer, or one stored without word times
        return True

    def action_compare(self) -> None:
        from coach.ui.screens.compare import CompareScreen

        self.app.stop_replay()
        self.app.push_screen(CompareScreen(self.attempt_id))

    def _show_note(self, note: str | None) -> None:
        line = self.query_one("#attempt-note", Static)
        line.update(Text.assemble(("Your note: ", "bold"), note or ""))
        line.set_class(not note, "hidden")

    def action_note(self) -> None:
        if self.attempt is None:  # still being read
            return
        from coach.ui.screens.note import NoteScreen

        self.app.push_screen(NoteScreen(self.attempt_id, self.attempt.note), self._note_written)

    def _note_written(self, note: str | None) -> None:
        if note is not None:
            self.save_note(note)

    @work(thread=True, exclusive=True, group="attempt-note", exit_on_error=False)
    def save_note(self, note: str) -> None:
        from coach.errors import CoachError
        from coach.storage import History

        try:
            with History(self.app.settings) as history:
                kept = history.set_note(self.attempt_id, note)
        except CoachError as exc:
            self.app.call_from_thread(self.app.notify, f"The note was not saved: {exc}", severity="error")
            return
        self.post_message(self.NoteSaved(kept))

    def on_attempt_screen_note_saved(self, message: NoteSaved) -> None:
        from dataclasses import replace

        self.attempt = replace(self.attempt, note=message.note)
        self._show_note(message.note)
        self.notify("Note kept." if message.note else "Note removed.", title="Note")

    def action_delete(self) -> None:
        if self.attempt is None:  # still being read
            return
        from coach.ui.screens.delete_attempt import DeleteAttemptScreen

        self.app.stop_replay()  # the recording may be the one playing
        self.app.push_screen(DeleteAttemptScreen(self.attempt, self.turn_count), self._delete_chosen)

    def _delete_chosen(self, delete: bool | None) -> None:
        if delete:
            self.delete_attempt()

    @work(thread=True, exclusive=True, group="attempt-delete", exit_on_error=False)
    def delete_attempt(self) -> None:
        from coach.errors import CoachError
        from coach.storage import History

        try:
            with History(self.app.settings) as history:
                done = history.delete_attempt(self.attempt_id)
        except (CoachError, OSError) as exc:
            self.app.call_from_thread(self.app.notify, f"The attempt was not deleted: {exc}", severity="error")
            return
        if done.audio_removed:
            note = " and its recording"
        elif done.audio_kept:
            note = f"; your own recording {done.audio_path} is left in place"
        else:
            note = ""
        self.post_message(self.Deleted(note))

    def on_attempt_screen_deleted(self, message: Deleted) -> None:
        self.app.notify(f"Deleted attempt {self.attempt_id}{message.note}.", title="Deleted")
        self.app.pop_screen()
        reload = getattr(self.app.screen, "action_reload", None)
        if callable(reload):  # the history behind it lists the attempt no more
            reload()

    def action_back(self) -> None:
        self.app.stop_replay()
        self.app.pop_screen()
