"""Pick what to practise: a question by role, kind and category, a random one, or a mock round."""

from __future__ import annotations

import random

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Footer, OptionList, Select, Static
from textual.widgets.option_list import Option

from coach.questions.bank import ROLES, Question, filter_questions
from coach.ui.widgets.title_bar import TitleBar

_KINDS = [("Behavioral", "behavioral"), ("Think aloud", "think_aloud")]


class HomeScreen(Screen):
    BINDINGS = [
        Binding("enter", "practise", "Practise", show=True),
        Binding("r", "random", "Random"),
        Binding("m", "mock_round", "Mock round"),
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
        yield Footer()

    def _intro(self) -> str:
        from coach.ui.duration import round_length

        return ("Pick a question, or press [b]r[/] for a random one and [b]m[/] for a "
                f"{round_length(self.app.settings.practice.mock_round_min)} mock round.")

    def on_screen_resume(self) -> None:
        # The settings screen may have changed the round's length.
        self.query_one("#intro", Static).update(self._intro())

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
        options.clear_options()
        options.add_options([Option(f"[dim]{q.category.replace('_', ' '):<20}[/] {q.text}", id=q.id)
                             for q in self.shown])
        if self.shown:
            options.highlighted = 0
        self.query_one("#count", Static).update(f"{len(self.shown)} questions")

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
        if self.shown:
            self._practise(random.choice(self.shown))

    def action_mock_round(self) -> None:
        from coach.practice import MockRound
        from coach.ui.screens.practice import PracticeScreen

        settings = self.app.settings
        mock = MockRound.plan(self.app.questions, self._filters()["role"], settings.practice.mock_round_min)
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
