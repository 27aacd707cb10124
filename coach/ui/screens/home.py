"""Pick what to practise: a question by role, kind and category, a random one, or a mock round."""

from __future__ import annotations

import random

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import OptionList, Select, Static
from textual.widgets.option_list import Option

from coach.questions.bank import ROLES, Question, filter_questions
from coach.ui.widgets.steady_footer import SteadyFooter
from coach.ui.widgets.title_bar import TitleBar

_KINDS = [("Behavioral", "behavioral"), ("Think aloud", "think_aloud")]


class HomeScreen(Screen):
    #: Chosen ahead of the `r` and `m` keys (see :meth:`_choose_ahead`).
    random_pick: Question | None = None
    mock_ahead = None
    shown: list[Question] = []
    #: The next mock round holds its feedback to the end: the setting, until `e` changes it.
    hold_feedback: bool = False
    #: The setting as last seen, so that a change on the settings screen is followed.
    _hold_setting: bool | None = None

    BINDINGS = [
        Binding("enter", "practise", "Practise", show=True),
        Binding("r", "random", "Random"),
        Binding("m", "mock_round", "Mock round"),
        # One key, named by what it will do (check_action shows the one that applies).
        Binding("e", "hold_feedback(True)", "Mock: feedback at end"),
        Binding("e", "hold_feedback(False)", "Mock: feedback each answer"),
        Binding("l", "stories", "Stories"),
        Binding("h", "history", "History"),
    ]

    def compose(self) -> ComposeResult:
        yield TitleBar()
        with Vertical(id="home"):
            yield Static(self._intro(), id="intro")
            with Horizontal(id="filters"):
                yield Select([(r, r) for r in ROLES], value=self.app.settings.practice.role, allow_blank=False,
                             id="role")
                yield Select(_KINDS, prompt="Any kind", id="kind")
                yield Select([], prompt="Any category", id="category")
            yield OptionList(id="questions")
            yield Static(id="count")
        yield SteadyFooter()

    def _intro(self) -> str:
        from coach.ui.duration import round_length

        self._follow_hold_setting()
        feedback = (", its feedback held to the end as in an interview ([b]e[/] gives it after each answer)"
                    if self.hold_feedback else " ([b]e[/] holds its feedback to the end)")
        return ("Pick a question, or press [b]r[/] for a random one and [b]m[/] for a "
                f"{round_length(self.app.settings.practice.mock_round_min)} mock round{feedback}.")

    def _follow_hold_setting(self) -> None:
        setting = self.app.settings.practice.mock_hold_feedback
        if setting != self._hold_setting:
            self._hold_setting = self.hold_feedback = setting

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "hold_feedback":
            return parameters[0] != self.hold_feedback
        return True

    def action_hold_feedback(self, hold: bool) -> None:
        """For the rounds started from here (the setting, `practice.mock_hold_feedback`, is the default)."""
        self.hold_feedback = hold
        self.query_one("#intro", Static).update(self._intro())
        self.refresh_bindings()

    def on_screen_resume(self) -> None:
        # The settings screen may have changed the round's length or whether it holds its feedback.
        self.query_one("#intro", Static).update(self._intro())
        self.refresh_bindings()
        self._choose_ahead()

    def _choose_ahead(self, prepare: bool = True) -> None:
        """Choose the random question and plan the mock round before the keys that ask for them,
        so their voice can be made while the user looks (a choice still valid is kept: its voice
        may be made already). Then ask for the likely questions to be made ahead."""
        from coach.mock_round import MockRound

        if self.random_pick not in self.shown:
            self.random_pick = random.choice(self.shown) if self.shown else None
        role, minutes = self._filters()["role"], self.app.settings.practice.mock_round_min
        if self.mock_ahead is None or (self.mock_ahead.role, self.mock_ahead.minutes) != (role, minutes):
            self.mock_ahead = MockRound.plan(self.app.questions, role, minutes)
        if prepare:
            self.app.prepare_voice(self.likely_texts())

    def likely_texts(self) -> list[str]:
        """The questions the user may hear next from here, most likely first: the highlighted one,
        the random one, the mock round's first."""
        options = self.query_one("#questions", OptionList)
        likely = [self.shown[options.highlighted] if options.highlighted is not None and self.shown else None,
                  self.random_pick, self.mock_ahead.questions[0] if self.mock_ahead and self.mock_ahead.questions
                  else None]
        return [q.text for q in likely if q is not None]

    def on_mount(self) -> None:
        self._refresh_categories()
        self._refresh_questions()
        self.query_one("#questions", OptionList).focus()
        self.offer_recovery()

    def _filters(self) -> dict:
        kind = self.query_one("#kind", Select).value
        category = self.query_one("#category", Select).value
        return {
            "role": self.query_one("#role", Select).value,
            "kind": None if kind is Select.NULL else kind,
            "category": None if category is Select.NULL else category,
        }

    def _refresh_categories(self) -> None:
        filters = self._filters()
        categories = sorted({q.category for q in filter_questions(self.app.questions, role=filters["role"],
                                                                   kind=filters["kind"])})
        self.query_one("#category", Select).set_options([(c.replace("_", " "), c) for c in categories])

    def _refresh_questions(self) -> None:
        self.shown: list[Question] = filter_questions(self.app.questions, **self._filters())
        options = self.query_one("#questions", OptionList)
        # The selects announce their first values once mounted: the same list is not built again.
        if [q.id for q in self.shown] != [o.id for o in options.options]:
            options.clear_options()
            options.add_options([Option(f"[dim]{q.category.replace('_', ' '):<20}[/] {q.text}", id=q.id)
                                 for q in self.shown])
            if self.shown:
                options.highlighted = 0
            self.query_one("#count", Static).update(f"{len(self.shown)} questions")
        self._choose_ahead()

    @on(Select.Changed, "#role, #kind")
    def _role_or_kind_changed(self) -> None:
        self._refresh_categories()
        self._refresh_questions()

    @on(Select.Changed, "#category")
    def _category_changed(self) -> None:
        self._refresh_questions()

    @on(OptionList.OptionSelected, "#questions")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self._practise(next(q for q in self.shown if q.id == event.option.id))

    def _practise(self, question: Question) -> None:
        from coach.ui.screens.practice import PracticeScreen

        self.app.push_screen(PracticeScreen(question))

    def action_practise(self) -> None:
        options = self.query_one("#questions", OptionList)
        if options.highlighted is not None and self.shown:
            self._practise(self.shown[options.highlighted])

    def action_random(self) -> None:
        """The random question chosen ahead (its voice made meanwhile); the next one is chosen
        when the user comes back."""
        if self.random_pick in self.shown:
            question, self.random_pick = self.random_pick, None
            self._practise(question)
        elif self.shown:
            self._practise(random.choice(self.shown))

    def action_mock_round(self) -> None:
        """The round planned ahead (its first question's voice made meanwhile); its clock starts now."""
        import time
        from dataclasses import replace

        from coach.ui.screens.practice import PracticeScreen

        self._choose_ahead(prepare=False)  # a plan for another role or length is made again first
        mock = replace(self.mock_ahead, started_at=time.monotonic(), hold_feedback=self.hold_feedback)
        self.mock_ahead = None
        self.app.push_screen(PracticeScreen(mock.questions[0], mock=mock))

    @work(thread=True, exclusive=True, group="stories")
    def action_stories(self) -> None:
        """The user's own pace comes from the history database: read it off the UI thread."""
        from coach.ui.screens.stories import StoryLibraryScreen

        wpm = self.app.measured_wpm()
        self.app.call_from_thread(self.app.push_screen, StoryLibraryScreen(stories_dir=None, wpm=wpm))

    def action_history(self) -> None:
        from coach.ui.screens.history import HistoryScreen

        self.app.push_screen(HistoryScreen())

    @work(thread=True, exclusive=True, group="recovery")
    def offer_recovery(self) -> None:
        from coach.audio.recorder import unfinished_recordings

        found = unfinished_recordings(self.app.settings.recordings_dir)
        if found:
            from coach.ui.screens.recovery import RecoveryScreen

            self.app.call_from_thread(self.app.push_screen, RecoveryScreen(found))
