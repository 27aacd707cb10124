"""The feedback after an answer: structure, delivery against reference ranges, tips, next question."""

from __future__ import annotations

from pathlib import Path

from rich.markup import escape
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Static

from coach.answer_report import ACCEPTABLE_WPM
from coach.questions.bank import Question
from coach.ui.app_watch import AppWatcher
from coach.ui.widgets.gauge import RangeGauge
from coach.ui.widgets.seekable_transcript import MOMENT_HELP, VOICE_UNDERLINES
from coach.ui.widgets.star_timeline import StarTimeline
from coach.ui.widgets.steady_footer import SteadyFooter
from coach.ui.widgets.title_bar import TitleBar


class FeedbackScreen(AppWatcher, Screen):
    BINDINGS = [
        Binding("r", "retry", "Retry question"),
        Binding("c", "compare", "Compare tries"),
        Binding("a", "answer_follow_up", "Answer follow-up"),
        Binding("n", "next_question", "Next question"),
        Binding("p", "replay", "Replay"),
        # Play from a moment: ] and [ step through the fillers, hedges and long pauses, . and , by word
        # (the line under the transcript says so; the footer has room for f only).
        Binding("right_square_bracket", "moment(1)", "Next moment", key_display="]", show=False),
        Binding("left_square_bracket", "moment(-1)", "Previous moment", key_display="[", show=False),
        Binding("full_stop", "word(1)", "Next word", key_display=".", show=False),
        Binding("comma", "word(-1)", "Previous word", key_display=",", show=False),
        Binding("f", "play_from", "Play from here"),
        Binding("escape", "home", "Home"),
        # Instead of "home" for an answer opened from a mock round's summary (see check_action).
        Binding("escape", "back_to_summary", "Round summary"),
    ]

    def __init__(self, question: Question, analysis, audio: Path | None, *, mock=None, story=None,
                 asked: str | None = None, follow_up_of: int | None = None, reviewing: int | None = None) -> None:
        super().__init__()
        #: Opened from the mock round's summary on its answer number ``reviewing``: the round is
        #: over, so there is no next question, retry or follow-up, and escape goes back to the summary.
        self.reviewing = reviewing
        #: For a follow-up's answer, the history id of the answer it is a turn of.
        self.follow_up_of = follow_up_of
        self.story = story
        self.question = question
        self.analysis = analysis
        self.audio = audio
        self.mock = mock
        #: The text that was asked (a follow-up's, or the bank question's).
        self.asked = asked or analysis.question.text or question.text
        #: The attempt's id in the history, once saved (the app's save worker reports it).
        self.attempt_id: int | None = None
        #: ``a`` was pressed before the answer was saved.
        self._follow_up_waiting = False

    def attempt_saved(self, attempt_id: int) -> None:
        self.attempt_id = attempt_id
        if self._follow_up_waiting and self.is_current:
            self._follow_up_waiting = False
            self.action_answer_follow_up()

    def compose(self) -> ComposeResult:
        analysis = self.analysis
        coaching = analysis.coaching
        yield TitleBar()
        with VerticalScroll(id="feedback"):
            if self.mock is not None:
                yield Static(self._mock_line(), id="feedback-mock")
            if self.follow_up_of is not None:
                yield Static(f"Follow-up to \"{escape(self.question.text)}\", kept as a turn of that answer",
                             id="follow-up-of")
            yield Static(f"[b]{escape(analysis.question.text or self.question.text)}[/]", id="asked")
            check = coaching.follow_up_check
            if check is not None and check.answered is not None:
                mark = "[green]✓[/]" if check.answered else "[red]✗[/]"
                yield Static(f"{mark} {'Answers' if check.answered else 'Does not answer'} the follow-up: "
                             f"{escape(check.reason)}", id="follow-up-check")
            yield Static("[b]Delivery[/]", classes="section")
            length = coaching.length
            low = length.low_s if length.low_s is not None else length.target_s * 2 / 3
            high = length.high_s if length.high_s is not None else length.target_s * 4 / 3
            yield RangeGauge("Length", length.duration_s, low, high,
                             length.target_s * 2, "s", f"target {length.target_s:.0f} s: "
                             f"{length.verdict.replace('_', ' ')}{', estimated' if length.estimated else ''}")
            if analysis.pace is not None:
                yield RangeGauge("Pace", analysis.pace.wpm, *ACCEPTABLE_WPM, 220, "wpm", "130-160 ideal")
            yield RangeGauge("Fillers", coaching.filler_rate["per_100_words"], 0, 4.5, 12, "per 100 words",
                             self._filler_note())
            yield Static(self._pauses_line(), id="pauses")
            if analysis.voice is not None:
                from coach.ui.widgets.voice_strip import VoiceStrip

                yield Static("[b]How it sounded[/]", classes="section")
                yield VoiceStrip(analysis.voice, analysis.duration_s or 0.0, id="voice-strip")
            if self.audio is not None:
                yield Static(self._replay_line(False), id="replay-status")
            if coaching.star is not None:
                yield Static("[b]STAR structure[/]", classes="section")
                yield StarTimeline(coaching.star, id="timeline")
            if coaching.think_aloud is not None:
                yield Static("[b]Reasoning out loud[/]", classes="section")
                yield Static(self._rubric(), id="rubric")
            if self.story is not None:
                yield Static(f"[b]Against your draft of \"{self.story.title}\"[/]", classes="section")
                yield Static("Comparing…", id="rehearsal")
            yield Static("[b]What to work on[/]", classes="section")
            tips = "\n".join(f"{i}. {tip}" for i, tip in enumerate(coaching.tips, 1)) or "Nothing major: well done."
            yield Static(tips, id="tips")
            yield Static(f"[b green]Strength:[/] {coaching.strength}", id="strength")
            yield Static(self._scores(), id="scores")
            if coaching.follow_up and self.reviewing is not None:
                yield Static(f"[b cyan]The interviewer would have asked next:[/] [i]{coaching.follow_up}[/]",
                             id="follow-up")
            elif coaching.follow_up:
                yield Static(f"[b cyan]Next question:[/] [i]{coaching.follow_up}[/]  (press [b]a[/] to answer it)",
                             id="follow-up")
            marked = VOICE_UNDERLINES if analysis.voice is not None else ""
            from coach.answer_report import recovered_fillers

            # Fillers heard in the audio, shown in brackets where they were heard (not in the analysed text).
            recovered = recovered_fillers(analysis) if self.audio is not None else []
            heard = "; [red](um)[/]: heard in the audio, not in Whisper's words" if recovered else ""
            yield Static(f"[b]Transcript[/] ([red]fillers[/], [yellow]hedges[/]{marked}{heard})", classes="section")
            if self.audio is not None:
                from coach.ui.widgets.seekable_transcript import SeekableTranscript

                words, moments = self._moments()
                yield SeekableTranscript(self._transcript(), words, moments, recovered=recovered, id="transcript")
                yield Static(MOMENT_HELP, id="moment")
            else:
                yield Static(self._transcript(), id="transcript")
        yield SteadyFooter()

    def on_mount(self) -> None:
        if self.story is not None:
            self.compare_with_draft()
        if self.audio is not None:
            self.watch_app("replaying", self._show_replay, init=False)

    def _mock_line(self) -> str:
        from coach.ui.duration import spoken_duration

        mock = self.mock
        if self.reviewing is not None:
            return (f"Mock round, question {self.reviewing} of {len(mock.questions)}: its feedback, from the "
                    "round's summary · escape goes back to the summary")
        # The round has moved on to the next question once this answer was recorded.
        return (f"Mock round: question {mock.index} of {len(mock.questions)} answered, "
                f"{spoken_duration(mock.remaining_s)} left · n for the next question, escape ends the round")

    @staticmethod
    def _replay_line(playing: bool) -> str:
        if playing:
            return "[b green]▶ Playing your answer[/] (p stops)"
        return "■ Stopped · press [b]p[/] to hear your answer"

    def _show_replay(self, playing: bool) -> None:
        self.query_one("#replay-status", Static).update(self._replay_line(playing))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("replay", "moment", "word", "play_from"):
            return self.audio is not None  # a typed answer has nothing to play
        if action == "retry":
            return self.mock is None  # a mock round moves on, as an interview does
        if action in ("home", "back_to_summary"):
            return (action == "back_to_summary") == (self.reviewing is not None)
        if self.reviewing is not None and action in ("answer_follow_up", "next_question", "compare"):
            return False  # the round is over: this is its record, read from the summary
        if action == "answer_follow_up":
            return bool(self.analysis.coaching.follow_up)
        return True

    @work(thread=True, exclusive=True, group="rehearsal", exit_on_error=False)
    def compare_with_draft(self) -> None:
        from coach.stories import compare_telling

        try:
            notes = compare_telling(self.story, self.analysis).notes()
        except Exception as exc:  # the feedback itself is still worth showing
            notes = [f"Could not compare with the draft: {exc}"]
        self.app.call_from_thread(self.query_one("#rehearsal", Static).update, "\n".join(notes))

    def _filler_note(self) -> str:
        fillers = self.analysis.coaching.fillers
        heard = sum(1 for f in fillers if f.source == "words")
        note = f"{len(fillers)} in all"
        if len(fillers) - heard:
            note += f", {len(fillers) - heard} heard in the audio only"
        return note

    def _pauses_line(self) -> str:
        pauses = self.analysis.pauses
        if self.analysis.duration_s is None:
            return "Pauses: not measured for a typed answer."
        long = [p for p in pauses if p.long]
        line = f"Pauses: {len(pauses)} of 0.25 s or more, {len(long)} of 2 s or more"
        if long:
            line += " (" + ", ".join(f"{p.duration_s:.1f} s at {p.start:.0f} s" for p in long[:4]) + ")"
        return line

    def _rubric(self) -> str:
        from coach.analysis.think_aloud import checklist

        return "\n".join(f"{'[green]✓[/]' if ok else '[red]✗[/]'} {line}"
                         for ok, line in checklist(self.analysis.coaching.think_aloud))

    def _scores(self) -> str:
        parts = []
        for name, value in self.analysis.coaching.scores.items():
            colour = "green" if value >= 75 else "yellow" if value >= 50 else "red"
            parts.append(f"{name} [{colour}]{value}[/]")
        return "[b]Scores[/] " + " · ".join(parts)

    def _transcript(self) -> Text:
        from coach.answer_report import highlighted_transcript

        return highlighted_transcript(self.analysis, voice=True)

    def action_retry(self) -> None:
        """The same question again, at once: the way people practise one answer until it is right."""
        from coach.ui.screens.practice import PracticeScreen

        self.app.stop_replay()
        text = self.asked if self.asked != self.question.text else None
        self.app.switch_screen(PracticeScreen(self.question, text=text, story=self.story,
                                              follow_up_of=self.follow_up_of))

    def action_compare(self) -> None:
        if self.attempt_id is None:
            self.notify("This answer is still being saved to your history; press c again in a moment.",
                        title="Compare")
            return
        from coach.ui.screens.compare import CompareScreen

        self.app.stop_replay()
        self.app.push_screen(CompareScreen(self.attempt_id))

    def action_answer_follow_up(self) -> None:
        follow_up = self.analysis.coaching.follow_up
        if not follow_up:
            return
        if self.attempt_id is None:
            # The follow-up is kept as a turn of this answer, so it starts once the answer is saved.
            self._follow_up_waiting = True
            self.notify("Saving this answer to your history first; the follow-up comes next.", title="Follow-up")
            return
        from coach.ui.screens.practice import PracticeScreen

        self.app.stop_replay()
        self.app.switch_screen(PracticeScreen(self.question, text=follow_up, follow_up_of=self.attempt_id))

    def action_next_question(self) -> None:
        from coach.ui.screens.practice import PracticeScreen

        self.app.stop_replay()
        if self.mock is not None:
            nxt = self.mock.current
            if nxt is None:
                from coach.ui.screens.mock_summary import MockSummaryScreen

                self.app.switch_screen(MockSummaryScreen(self.mock))
            else:
                self.app.switch_screen(PracticeScreen(nxt, mock=self.mock))
            return
        # Chosen while the user answered, so its voice is made already.
        self.app.switch_screen(PracticeScreen(self.app.next_question(self.question)))

    def action_back_to_summary(self) -> None:
        self.app.stop_replay()
        self.app.pop_screen()

    def action_replay(self) -> None:
        self.app.toggle_replay(self.audio)

    def _moments(self):
        from coach.answer_report import analysis_voice_spans, voice_detail
        from coach.ui.widgets.seekable_transcript import transcript_moments

        analysis = self.analysis
        coaching = analysis.coaching
        marks = [(p.start_char, p.end_char, kind, p.start)
                 for kind, phrases in (("filler", coaching.fillers if coaching else []),
                                       ("hedge", coaching.hedges if coaching else []))
                 for p in phrases if p.start_char >= 0]
        voice = [(a, b, kind, m.start, voice_detail(kind, m)) for a, b, kind, m in analysis_voice_spans(analysis)]
        return transcript_moments(analysis.transcript, [(w.text, w.start, w.end) for w in analysis.words], marks,
                                  [(p.start, p.end) for p in analysis.pauses if p.long], voice)

    def action_moment(self, step: int) -> None:
        self._show_moment(self.query_one("#transcript").step_moment(step),
                          "fillers, hedges, long pauses, faded endings, rising statements or unclear words")

    def action_word(self, step: int) -> None:
        self._show_moment(self.query_one("#transcript").step_word(step), "timed words")

    def _show_moment(self, moment, none: str) -> None:
        from coach.ui.widgets.seekable_transcript import show_moment

        show_moment(self.query_one("#moment", Static), moment, none)

    def action_play_from(self) -> None:
        """The recording from the selected moment (the first flagged one when none is selected yet)."""
        transcript = self.query_one("#transcript")
        moment = transcript.selected or transcript.step_moment(1) or transcript.step_word(1)
        if moment is None:
            self.app.toggle_replay(self.audio)
            return
        self.query_one("#moment", Static).update(moment.describe())
        self.app.replay_from(self.audio, moment.play_from_s)

    def action_home(self) -> None:
        self.app.stop_replay()
        if self.mock is not None:  # escape ends the round, with its summary
            from coach.ui.screens.mock_summary import MockSummaryScreen

            self.app.switch_screen(MockSummaryScreen(self.mock))
            return
        self.app.pop_screen()
