"""The footer every screen uses (coach/ui/widgets/steady_footer.py): rebuilt when its keys change,
and only then."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Label
from textual.widgets._footer import FooterKey

from coach.ui.widgets.steady_footer import SteadyFooter


class _Screen(Screen):
    BINDINGS = [Binding("a", "answer", "Answer follow-up"), Binding("n", "next", "Next question")]
    follow_up = True

    def compose(self) -> ComposeResult:
        yield Label("feedback")
        yield SteadyFooter()

    def check_action(self, action: str, parameters) -> bool | None:
        if action == "answer":
            return True if self.follow_up else None  # None: shown disabled
        return True

    def action_answer(self) -> None: ...

    def action_next(self) -> None: ...


class _App(App):
    ENABLE_COMMAND_PALETTE = False

    def on_mount(self) -> None:
        self.push_screen(_Screen())


def _keys(screen) -> dict[str, bool]:
    return {key.description: key.has_class("-disabled") for key in screen.query(FooterKey)}


async def test_the_footer_follows_a_change_in_its_keys_and_skips_rebuilds_without_one(monkeypatch):
    builds = []
    compose = SteadyFooter.compose

    def counted(self):
        builds.append(self)
        return compose(self)

    monkeypatch.setattr(SteadyFooter, "compose", counted)
    app = _App()
    async with app.run_test() as pilot:
        await pilot.pause()
        screen = app.screen
        assert _keys(screen) == {"Answer follow-up": False, "Next question": False}

        before = len(builds)
        for _ in range(3):  # nothing changed: no rebuild
            screen.refresh_bindings()
            await pilot.pause()
        assert len(builds) == before

        screen.follow_up = False
        screen.refresh_bindings()
        await pilot.pause()
        assert _keys(screen) == {"Answer follow-up": True, "Next question": False}
        assert len(builds) == before + 1
