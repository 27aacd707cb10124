"""Ask a question aloud, record the answer while transcribing it, then hand over to feedback."""

from __future__ import annotations

from pathlib import Path

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Label, ProgressBar, Static

from coach.questions.bank import Question
from coach.ui.widgets.level_meter import LevelMeter
from coach.ui.widgets.steady_footer import SteadyFooter
from coach.ui.widgets.title_bar import TitleBar


class PracticeScreen(Screen):
    """One question: spoken, answered into the microphone, transcribed as the user talks."""

    BINDINGS = [
        Binding("space", "toggle_recording", "Start/stop"),
        Binding("q", "repeat_question", "Repeat question"),
        Binding("t", "type_answer", "Type answer"),
        Binding("f", "answer_from_file", "Audio file"),
        Binding("escape", "leave", "Back"),
    ]

    #: Shown while the question is read aloud.
    READING = "Reading the question… (press [b]space[/] to answer now)"

    class Spoken(Message, bubble=False):
        """The question has been read aloud (or could not be)."""

        def __init__(self, problem: str | None) -> None:
            super().__init__()
            self.problem = problem

    class Level(Message, bubble=False):
        """A microphone level reading; readings replace each other instead of queueing."""

        def __init__(self, dbfs: float) -> None:
            super().__init__()
            self.dbfs = dbfs

        def can_replace(self, message: Message) -> bool:
            return isinstance(message, PracticeScreen.Level)

    class Heard(Message, bubble=False):
        """An utterance has been transcribed."""

        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    class Analysed(Message, bubble=False):
        def __init__(self, analysis, audio: Path | None) -> None:
            super().__init__()
            self.analysis = analysis
            self.audio = audio

    class Failed(Message, bubble=False):
        """The answer could not be analysed; ``path`` is the audio file path as typed, for a file."""

        def __init__(self, error: str, path: str | None = None, recorded: bool = False) -> None:
            super().__init__()
            self.error = error
            self.path = path
            #: The answer was recorded here (its recording goes to the history as not analysed).
            self.recorded = recorded

    def __init__(self, question: Question, *, mock=None, text: str | None = None, story=None,
                 follow_up_of: int | None = None) -> None:
        super().__init__()
        #: The bank question; for a follow-up, the question of the answer it follows up.
        self.parent_question = question
        if follow_up_of is not None and text:
            from dataclasses import replace

            from coach.analysis.coaching import DEFAULT_TARGET_S

            # A follow-up is its own kind of question: a short, direct answer to what it asks.
            question = replace(question, kind="follow_up", text=text, target_s=DEFAULT_TARGET_S["follow_up"],
                               follow_ups=())
        self.question = question
        #: The history id of the answer this one follows up (a follow-up is a turn under it).
        self.follow_up_of = follow_up_of
        self.mock = mock
        #: The library story being rehearsed, if any.
        self.story = story
        #: The text asked (a follow-up replaces the bank question's text).
        self.asked = text or question.text
        self.recording = None
        # asking → recording → analysing → done; or no_microphone, typed, failed (space records
        # again); or leaving (the keep-or-discard dialog is open over a running recording); or, in
        # a mock round that holds its feedback, recorded (analysed and saved; space asks the next).
        self.state = "asking"
        self._heard: list[str] = []

    def compose(self) -> ComposeResult:
        yield TitleBar()
        with Vertical(id="practice"):
            yield Static(self._title(), id="meta")
            yield Static(self.asked, id="question")
            yield Static("", id="stories")
            yield Static("", id="notice")
            yield LevelMeter(id="level")
            yield ProgressBar(total=self.question.target_s, show_eta=False, show_percentage=False, id="elapsed")
            yield Label("", id="clock")
            yield Label("", id="cue")
            with VerticalScroll(id="live"):
                yield Static("", id="transcript")
        yield SteadyFooter()

    def _title(self) -> str:
        if self.story is not None:
            return f"Rehearsing the story \"{self.story.title}\" · target {self.question.target_s:.0f} s"
        kind = {"behavioral": "Behavioral", "follow_up": "Follow-up"}.get(self.question.kind, "Think aloud")
        line = f"{kind} · {self.question.category.replace('_', ' ')} · target {self.question.target_s:.0f} s"
        if self.mock is not None:
            line += f" · {self.mock_position()}"
        return line

    def mock_position(self) -> str:
        """Where the mock round stands, for every screen of the round."""
        from coach.ui.duration import spoken_duration

        return (f"mock round question {self.mock.index + 1} of {len(self.mock.questions)}, "
                f"{spoken_duration(self.mock.remaining_s)} left")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if self.state == "recorded":  # between two questions of a round that holds its feedback
            return action not in ("type_answer", "answer_from_file", "repeat_question")
        return True

    def on_mount(self) -> None:
        self.set_interval(0.25, self._tick)
        self.ask()
        if self.question.kind == "behavioral" and self.story is None:
            self.match_stories()

    class StoriesMatched(Message, bubble=False):
        def __init__(self, lines: list[str]) -> None:
            super().__init__()
            self.lines = lines

    @work(thread=True, exclusive=True, group="stories", exit_on_error=False)
    def match_stories(self) -> None:
        """The library's best stories for this question, shown before the user answers."""
        from coach.stories import best_stories_for

        try:
            matches = best_stories_for(self.asked, self.question.competencies, self.app.settings, limit=3)
        except Exception:  # a broken library must not get in the way of practising
            return
        from rich.markup import escape

        # Titles only: the reasons quote the story and would push the answer's notices off an
        # 80x24 terminal; the library (l) shows why each one fits.
        self.post_message(self.StoriesMatched([f"[b]{escape(m.story.title)}[/]" for m in matches]))

    def on_practice_screen_stories_matched(self, message: StoriesMatched) -> None:
        if message.lines:
            self.query_one("#stories", Static).update("Stories that fit: " + " · ".join(message.lines))

    def _notice(self, text: str) -> None:
        self.query_one("#notice", Static).update(text)

    # Asking ---------------------------------------------------------------------------------------

    def ask(self) -> None:
        if not self.app.settings.voice.mute:
            self._notice(self.READING if self.state == "asking" else "Reading the question again…")
        self.speak_question()

    @work(thread=True, exclusive=True, group="voice", exit_on_error=False)
    def speak_question(self) -> None:
        settings = self.app.settings
        if settings.voice.mute:
            self.post_message(self.Spoken("The voice is muted (settings): read the question."))
            return
        from coach.speech.voice import VoiceError, speak

        try:
            # Sentence by sentence: the first plays while the rest is made, with the configured
            # engine, rate and volume.
            speak(self.asked, settings.voice, device=settings.audio.output,
                  should_stop=lambda: self.state != "asking")
        except VoiceError as exc:
            self.post_message(self.Spoken(str(exc)))
            return
        self.post_message(self.Spoken(None))

    def on_practice_screen_spoken(self, message: Spoken) -> None:
        if self.state != "left":
            self.app.prepare_after(self.question, self.mock)  # while the user answers
        if message.problem and self.state == "asking":
            self._notice(message.problem)
        elif message.problem:  # the user is already answering: do not cover what the screen says
            self.notify(message.problem, title="Voice", severity="warning")
        elif self.state == "recording":
            self._notice(self._recording_notice())
        if self.state == "asking":
            self.start_recording()

    @staticmethod
    def _recording_notice() -> str:
        return "Recording: answer now, press [b]space[/] when you are done."

    def action_repeat_question(self) -> None:
        if self.state in {"recording", "asking", "no_microphone"}:
            self.ask()

    # Recording ------------------------------------------------------------------------------------

    def start_recording(self) -> None:
        from coach.audio.recorder import MicrophoneError
        from coach.errors import ModelError
        from coach.session import AnswerRecording, context_for

        context = context_for(self.question)
        if self.asked != self.question.text:
            from dataclasses import replace

            context = replace(context, text=self.asked)
        try:
            self.recording = AnswerRecording(
                self.app.settings, self.app.transcriber, context,
                on_level=lambda db: self.post_message(self.Level(db)),
                on_words=lambda words: self.post_message(self.Heard(" ".join(w.text for w in words))),
            )
        except ModelError as exc:  # the settings name a model that is not there
            self.recording = None
            self.state = "no_microphone"
            self._notice(f"{exc}\nPress [b]t[/] to type your answer.")
            return
        try:
            self.recording.start()
        except MicrophoneError as exc:
            self.recording = None
            self.state = "no_microphone"
            self._notice(f"{exc}\nPress [b]t[/] to type your answer or [b]f[/] to analyse an audio file.")
            return
        self.state = "recording"
        self._heard = []
        self.query_one("#transcript", Static).update("")
        self._notice(self._recording_notice())

    def on_practice_screen_level(self, message: Level) -> None:
        self.query_one(LevelMeter).level = message.dbfs

    def on_practice_screen_heard(self, message: Heard) -> None:
        self._heard.append(message.text)
        self.query_one("#transcript", Static).update(" ".join(self._heard))
        self.query_one("#live", VerticalScroll).scroll_end(animate=False)

    def _tick(self) -> None:
        if self.state != "recording" or self.recording is None:
            return
        elapsed = self.recording.elapsed_s
        self.query_one("#elapsed", ProgressBar).update(progress=min(elapsed, self.question.target_s))
        self.query_one("#clock", Label).update(f"{elapsed:5.1f} s of {self.question.target_s:.0f} s")
        self.query_one("#cue", Label).update(self._cue(elapsed))
        stop_after = self.app.settings.practice.silence_stop_s
        if stop_after and self.recording.silent_for() >= stop_after and self.state == "recording":
            self.action_toggle_recording()

    def _cue(self, elapsed: float) -> str:
        """One word at most while the user speaks; the full feedback comes after."""
        target = self.question.target_s
        if elapsed > target * 4 / 3:
            return "[b red]time[/]"
        if elapsed > target:
            return "[b yellow]wrap up[/]"
        from coach.analysis.prosody import quiet_lately

        if self.recording is not None and quiet_lately(self.recording.live.voice_parts):
            return "[b yellow]louder[/]"  # a far microphone: said before the whole answer is lost
        words = sum(len(t.split()) for t in self._heard)
        if elapsed > 20 and words / elapsed * 60 > 185:
            return "[b yellow]pace[/]"
        return ""

    def action_toggle_recording(self) -> None:
        if self.state == "recorded":
            self._next_in_round()
        elif self.state == "asking":
            self.state = "recording_requested"
            self.start_recording()
        elif self.state in {"failed", "no_microphone", "typed"}:
            # Again, on the same question: a new recording (the failed one stays in the history).
            self.start_recording()
        elif self.state == "recording":
            self.state = "analysing"
            self._notice("Analysing your answer…")
            self.finish()

    @work(thread=True, exclusive=True, group="analysis", exit_on_error=False)
    def finish(self) -> None:
        try:
            analysis = self.recording.finish()
        except Exception as exc:  # the recording is on disk; say what failed
            self.post_message(self.Failed(str(exc), recorded=True))
            return
        self.post_message(self.Analysed(analysis, self.recording.path))

    # Without a microphone -------------------------------------------------------------------------

    def action_type_answer(self) -> None:
        if self.state in {"analysing", "done", "recorded"}:
            return
        from coach.ui.screens.typed_answer import TypedAnswerScreen

        self._cancel_recording()
        self.app.push_screen(TypedAnswerScreen(self.asked, mode="text", context=self._dialog_context()),
                             self._typed)

    def action_answer_from_file(self, path: str = "", problem: str | None = None) -> None:
        if self.state in {"analysing", "done", "recorded"}:
            return
        from coach.ui.screens.typed_answer import TypedAnswerScreen

        self._cancel_recording()
        self.app.push_screen(TypedAnswerScreen(self.asked, mode="file", value=path, problem=problem,
                                               context=self._dialog_context()), self._from_file)

    def _dialog_context(self) -> str | None:
        return self.mock_position().capitalize() if self.mock is not None else None

    def _cancel_recording(self) -> None:
        """Typing or picking a file instead of speaking: the recording so far stops, and is kept in
        the history (unanalysed) rather than left on disk where nothing lists it."""
        if self.recording is not None and self.state == "recording":
            self.recording.cancel()
            self._keep_unanalysed("Not analysed: the answer was typed or taken from a file instead.")
        self.state = "no_microphone" if self.recording is None else "typed"

    def _typed(self, text: str | None) -> None:
        if text:
            self.state = "analysing"
            self._notice("Analysing your answer…")
            self.analyse_typed(text)

    def _from_file(self, path: str | None) -> None:
        if path:
            self.state = "analysing"
            self._notice(f"Transcribing {path}…")
            self.analyse_file(Path(path).expanduser(), path)

    @work(thread=True, exclusive=True, group="analysis", exit_on_error=False)
    def analyse_typed(self, text: str) -> None:
        from coach.analysis.answer import analyse_text
        from coach.session import context_for

        try:
            self.post_message(self.Analysed(analyse_text(text, question=context_for(self.question)), None))
        except Exception as exc:
            self.post_message(self.Failed(str(exc)))

    @work(thread=True, exclusive=True, group="analysis", exit_on_error=False)
    def analyse_file(self, path: Path, typed: str) -> None:
        from coach.analysis.answer import analyse_file
        from coach.session import context_for

        try:
            analysis = analyse_file(path, self.app.settings, transcriber=self.app.transcriber,
                                    question=context_for(self.question))
        except Exception as exc:
            self.post_message(self.Failed(str(exc), path=typed))
            return
        self.post_message(self.Analysed(analysis, path))

    # Results --------------------------------------------------------------------------------------

    def on_practice_screen_analysed(self, message: Analysed) -> None:
        from coach.ui.screens.feedback import FeedbackScreen

        self.state = "done"
        if self.mock is not None:
            self.mock.record(message.analysis, message.analysis.duration_s or 0.0)
            if self.mock.hold_feedback:
                self._hold(message.analysis, message.audio)
                return
        feedback = FeedbackScreen(self.parent_question, message.analysis, message.audio, mock=self.mock,
                                  story=self.story, asked=self.asked, follow_up_of=self.follow_up_of)
        self.app.save_attempt(message.analysis, message.audio, story=self.story.title if self.story else None,
                              on_saved=feedback.attempt_saved, parent_id=self.follow_up_of)
        self.app.prepare_after(self.question, self.mock, follow_up=message.analysis.coaching.follow_up)
        self.app.switch_screen(feedback)

    def _hold(self, analysis, audio: Path | None) -> None:
        """A round that holds its feedback, as an interview does: the answer is saved with its
        analysis, and the screen says only that it was recorded (no scores, tips or transcript:
        the round's summary has them)."""
        self.app.save_attempt(analysis, audio, story=None, parent_id=None)
        self.app.prepare_after(self.question, self.mock)  # the next question's voice, while this shows
        self.state = "recorded"
        self.query_one("#transcript", Static).update("")
        for part in ("#stories", "#level", "#elapsed", "#clock", "#cue", "#live"):
            self.query_one(part).display = False
        self.refresh_bindings()
        mock = self.mock
        done = f"Answer recorded (question {mock.index} of {len(mock.questions)})."
        if mock.current is None:
            ended = "that was the last question" if mock.index >= len(mock.questions) else "the time is up"
            self._notice(f"{done[:-1]}: {ended}. Press [b]space[/] for the round's summary and every "
                         "answer's feedback.")
        else:
            self._notice(f"{done} Feedback comes at the end of the round. Next question: [b]space[/] · "
                         "[b]escape[/] ends the round with its summary.")

    def _next_in_round(self) -> None:
        nxt = self.mock.current
        if nxt is None:
            self._close()
            return
        self.state = "left"
        self.app.switch_screen(PracticeScreen(nxt, mock=self.mock))

    def on_practice_screen_failed(self, message: Failed) -> None:
        if message.recorded and self.recording is not None and self.recording.path.is_file():
            self._keep_unanalysed(message.error)
        self.state = "failed"
        if message.path is not None:
            # A typo or a file that is not audio: the dialog comes back with the path as typed.
            self._notice(f"[b red]{message.error}[/]")
            self.action_answer_from_file(message.path, message.error)
            self.state = "failed"
            return
        kept = f" The recording is kept at {self.recording.path}." if message.recorded and self.recording else ""
        self._notice(f"[b red]{message.error}[/]{kept}\nPress [b]space[/] to record the answer again, [b]t[/] to "
                     "type it or [b]f[/] to pick a file.")

    def _keep_unanalysed(self, error: str) -> None:
        """Into the history as an attempt that was not analysed: listed, re-analysable, deletable."""
        self.app.save_attempt(None, self.recording.path, error=error, question_id=self.question.id,
                              question_text=self.asked, kind=self.question.kind, target_s=self.question.target_s,
                              parent_id=self.follow_up_of,
                              story=self.story.title if self.story else None)

    def action_leave(self) -> None:
        if self.state == "analysing":
            self.notify("Analysing your answer: the feedback follows in a moment.", title="One moment")
            return
        if self.state == "recording":
            from coach.ui.screens.leave_answer import LeaveAnswerScreen

            self.state = "leaving"  # the recording runs on until the user chooses
            self.app.push_screen(LeaveAnswerScreen(self.recording.elapsed_s), self._left)
            return
        self._close()

    def _left(self, choice: str | None) -> None:
        """What to do with the answer being recorded: analyse, keep, discard, or keep answering."""
        if choice in (None, "continue"):
            self.state = "recording"
            return
        self.state = "recording"
        if choice == "analyse":
            self.action_toggle_recording()
            return
        self.recording.cancel()
        self.state = "stopped"
        if choice == "keep":
            self._keep_unanalysed("Not analysed: you left before finishing the answer.")
            self.app.notify(f"The recording is kept in your history ({self.recording.path}); `coach reanalyse` "
                            "analyses it, `coach attempt delete` deletes it.", title="Answer kept")
        else:
            self.recording.path.unlink(missing_ok=True)
            self.app.notify("The answer was discarded.", title="Answer discarded")
        self._close()

    def _close(self) -> None:
        if self.state == "recording":
            self.recording.cancel()
        self.state = "left"
        if self.mock is not None:
            from coach.ui.screens.mock_summary import MockSummaryScreen

            self.app.switch_screen(MockSummaryScreen(self.mock))
            return
        self.app.pop_screen()
