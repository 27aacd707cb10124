"""The coach TUI: the app, its shared services, and the start-up model load."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.message import Message
from textual.reactive import reactive
from textual.screen import Screen

from coach.process import freeze_loaded_objects, limit_malloc_arenas, return_free_memory
from coach.questions.bank import Question, load_questions
from coach.settings import Settings, load_settings, save_settings

if TYPE_CHECKING:
    from coach.speech.transcriber import Transcriber


class CoachApp(App):
    """Practise interview answers out loud and get coached on them."""

    CSS_PATH = "app.tcss"
    TITLE = "coach"
    SUB_TITLE = "offline interview practice"
    BINDINGS = [
        Binding("ctrl+q", "quit", "Quit", priority=True),
        Binding("f2", "open_settings", "Settings"),
    ]

    #: "loading", "ready", or the error message.
    model_state: reactive[str] = reactive("loading")
    #: True while a recording is being played back (screens watch it to say playing or stopped).
    replaying: reactive[bool] = reactive(False)

    class ModelsLoaded(Message):
        """The Whisper model, voice activity model and spaCy are in memory."""

        def __init__(self, seconds: float) -> None:
            super().__init__()
            self.seconds = seconds

    class ModelsFailed(Message):
        def __init__(self, error: str) -> None:
            super().__init__()
            self.error = error

    def __init__(self, settings: Settings | None = None, *, speak: bool | None = None) -> None:
        super().__init__()
        self.settings = settings or load_settings()
        if speak is False:
            self.settings = replace(self.settings, voice=replace(self.settings.voice, mute=True))
        # Made on first use, by the model-loading worker: importing the speech code (numpy with it)
        # on the main thread held the first screen back by about 0.16 s.
        self._transcriber: Transcriber | None = None
        self.questions: list[Question] = load_questions(self.settings.data_dir / "questions")
        #: Bumped by every replay start and stop: a replay thread stops once its turn has passed.
        self._replay_turn = 0
        #: Where the latest replay started, in seconds into the recording.
        self.replay_start_s = 0.0
        #: Make likely questions ahead so they start at once (benchmarks turn it off to compare).
        self.voice_ahead = True
        #: Leave what is alive once the models are loaded out of later garbage collections
        #: (None: in a terminal only; headless test apps share one process, where it would keep
        #: other tests' screens alive).
        self.freeze_after_loading: bool | None = None
        self._voice_loaded = False
        #: What to make ahead once the voice has loaded: the latest wish only.
        self._voice_wanted: list[str] = []
        #: (question id, the question "next" asks after it): chosen ahead so it can be prepared.
        self._upcoming: tuple[str, Question] | None = None

    @property
    def transcriber(self) -> Transcriber:
        """The speech model the settings ask for (loaded by :meth:`load_models`)."""
        if self._transcriber is None:
            from coach.speech.transcriber import transcriber_for

            self._transcriber = transcriber_for(self.settings)
        return self._transcriber

    def on_mount(self) -> None:
        from coach.ui.screens.home import HomeScreen

        self.push_screen(HomeScreen())
        self.load_models()
        if not self.settings.voice.mute:
            # Once the first screen is drawn, so loading the voice beside Whisper never delays it.
            self.call_after_refresh(self.load_voice)

    @work(thread=True, exclusive=True, group="models", exit_on_error=False)
    def load_models(self) -> None:
        """Load everything an answer needs in the background, so the first answer is fast and the
        UI never waits on it."""
        import time

        started = time.perf_counter()
        try:
            from coach.analysis.language import nlp

            self.transcriber.load()
            nlp()
        except Exception as exc:  # shown in the header; typed answers still work without Whisper
            self.post_message(self.ModelsFailed(str(exc)))
            return
        self.post_message(self.ModelsLoaded(time.perf_counter() - started))
        try:
            from coach.analysis.relevance import warm

            # The relevance encoder and the bank's vectors, once an answer can be analysed: the
            # first answer (a question is spoken before it) finds them ready.
            warm()
        except Exception:  # relevance is optional: an answer is still analysed without it
            pass
        freeze = not self.is_headless if self.freeze_after_loading is None else self.freeze_after_loading
        if freeze:
            freeze_loaded_objects()

    @work(thread=True, exclusive=True, group="voice-load", exit_on_error=False)
    def load_voice(self) -> None:
        """Load the interviewer voice beside the other models (its own thread: a question is asked
        before Whisper is needed), then make the questions wanted meanwhile."""
        from coach.speech.voice import load

        load(self.settings.voice)
        self.call_from_thread(self._voice_ready)

    def _voice_ready(self) -> None:
        self._voice_loaded = True
        self.prepare_voice(self._voice_wanted)

    def prepare_voice(self, texts: list[str]) -> None:
        """Make these texts ahead in the background, most likely first, instead of earlier wishes."""
        if self.settings.voice.mute or not self.voice_ahead:
            return
        self._voice_wanted = list(texts)
        if self._voice_loaded:
            from coach.speech.voice import prepare_in_background

            prepare_in_background(self._voice_wanted, self.settings.voice)

    def on_option_list_option_highlighted(self, event) -> None:
        """The question highlighted on the home screen is the one the user is likely to pick; the
        random question and the mock round's first, chosen ahead, come after it."""
        from coach.ui.screens.home import HomeScreen

        screen = event.option_list.screen
        if event.option_list.id == "questions" and isinstance(screen, HomeScreen):
            self.prepare_voice(screen.likely_texts())

    def upcoming_question(self, after: Question) -> Question:
        """The question "next question" asks after ``after``: another of the same kind, at random,
        chosen ahead so its voice can be made while the user answers."""
        import random

        if self._upcoming is None or self._upcoming[0] != after.id:
            same_kind = [q for q in self.questions if q.kind == after.kind and q.id != after.id]
            self._upcoming = (after.id, random.choice(same_kind or self.questions))
        return self._upcoming[1]

    def next_question(self, after: Question) -> Question:
        """Take the upcoming question (the next call after the same question chooses anew)."""
        question = self.upcoming_question(after)
        self._upcoming = None
        return question

    def prepare_after(self, question: Question, mock=None, follow_up: str | None = None) -> None:
        """Make ahead what the user is likely to hear after ``question``: its follow-up, then the
        next question (the mock round's, or the one "next question" will pick)."""
        if mock is not None:
            later = mock.questions[1:] + [None]
            upcoming = next((after for asked, after in zip(mock.questions, later) if asked is question), None)
        else:
            upcoming = self.upcoming_question(question)
        self.prepare_voice([text for text in (follow_up, upcoming.text if upcoming else None) if text])

    def on_coach_app_models_loaded(self, message: ModelsLoaded) -> None:
        self.model_state = "ready"
        self.sub_title = f"model {self.transcriber.model.name} ready"

    def on_coach_app_models_failed(self, message: ModelsFailed) -> None:
        self.model_state = message.error
        self.sub_title = "model failed to load: typed answers only"
        self.notify(message.error, title="Speech model", severity="error", timeout=15)

    def watch_model_state(self, state: str) -> None:
        if state == "loading":
            from coach.speech.models import model_name

            self.sub_title = f"loading model {model_name(self.settings.speech.model)}…"

    def apply_settings(self, settings: Settings) -> None:
        """Save new settings and use them from now on."""
        path = save_settings(settings)
        reload_model = settings.speech != self.settings.speech
        self.settings = replace(settings, source=path)
        if reload_model:
            self._transcriber = None  # made again from the new settings by the load below
            self.model_state = "loading"
            self.load_models()
        self.notify(f"Saved to {path}", title="Settings")

    def toggle_replay(self, path: Path | None, start_s: float = 0.0) -> None:
        """Play a recording to the speaker (from ``start_s`` seconds in); a second call while it plays stops it."""
        if path is not None and self.replaying:
            self.stop_replay()
        else:
            self.replay_from(path, start_s)

    def replay_from(self, path: Path | None, start_s: float = 0.0) -> None:
        """Play a recording from ``start_s`` seconds in, instead of whatever is playing."""
        if path is None:
            self.notify("A typed answer has no recording to replay.")
        elif not path.is_file():
            self.notify(f"The recording {path} is no longer on disk.", severity="warning")
        else:
            self._replay_turn += 1
            self.replay_start_s = start_s
            self.replaying = True
            self._replay(path, self._replay_turn, start_s)

    def stop_replay(self) -> None:
        self._replay_turn += 1
        self.replaying = False

    def _replay_ended(self, turn: int) -> None:
        if turn == self._replay_turn:
            self.replaying = False

    @work(thread=True, group="replay", exit_on_error=False)
    def _replay(self, path: Path, turn: int, start_s: float = 0.0) -> None:
        from coach.speech.voice import VoiceError, play

        try:
            play(path, device=self.settings.audio.output, should_stop=lambda: turn != self._replay_turn,
                 start_s=start_s)
        except VoiceError as exc:
            self.call_from_thread(self.notify, str(exc), severity="warning")
        finally:
            try:
                self.call_from_thread(self._replay_ended, turn)
            except RuntimeError:  # the app closed while playing
                pass

    def measured_wpm(self) -> float | None:
        """The user's own pace (median of their last 20 spoken answers), for estimating how long a
        story takes to tell; None without history."""
        import statistics

        from coach.storage import History
        from coach.storage.history import history_path

        if not history_path(self.settings).is_file():
            return None
        try:
            with History(self.settings) as history:
                paces = [a.metrics.wpm for a in history.attempts(limit=50) if a.metrics.wpm][:20]
        except Exception:  # a locked or damaged history must not block the library
            return None
        return statistics.median(paces) if paces else None

    @work(thread=True, group="history", exit_on_error=False)
    def save_attempt(self, analysis, audio=None, *, error: str | None = None, story: str | None = None,
                     on_saved: Callable[[int], None] | None = None, **fields) -> None:
        """Keep every attempt, also one whose analysis failed (a worker: file and database work).

        ``on_saved`` is called on the UI thread with the new attempt's id."""
        from coach.storage import save_analysis

        try:
            attempt_id = save_analysis(self.settings, analysis, audio, error=error, story=story, **fields)
        except Exception as exc:  # the feedback on screen still stands; say the history missed it
            self.call_from_thread(self.notify, f"The attempt was not saved to the history: {exc}",
                                  severity="warning")
            return
        finally:
            return_free_memory()  # the answer's buffers are done with
        if on_saved is not None:
            self.call_from_thread(on_saved, attempt_id)

    def action_open_settings(self) -> None:
        from coach.ui.screens.settings import SettingsScreen

        self.push_screen(SettingsScreen())

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        from coach.ui.screens.home import HomeScreen

        home = next((s for s in self.screen_stack if isinstance(s, HomeScreen)), None)
        if home is not None:
            yield SystemCommand("Random question", "Practise a random question with the current filters",
                                home.action_random)
            yield SystemCommand("Mock round", "A timed round of mixed questions for your role", home.action_mock_round)
            yield SystemCommand("Story library", "Draft and check STAR stories", home.action_stories)
            yield SystemCommand("History", "Your attempts and trends", home.action_history)
        yield SystemCommand("Settings", "Model, voice, microphone and practice settings", self.action_open_settings)


def make_app(settings: Settings | None = None, **kwargs) -> CoachApp:
    """The app factory the CLI and the tests share."""
    limit_malloc_arenas()
    return CoachApp(settings, **kwargs)
