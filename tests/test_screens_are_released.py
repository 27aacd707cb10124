"""Issue 12, a session's memory stays flat: a screen that has been closed is not kept alive.

Textual keeps the watcher of an app reactive until that reactive next changes, so a feedback
screen watching ``replaying`` (and a title bar watching the title) stayed in memory with all its
widgets after it was closed: one per answer in the memory benchmark."""

from __future__ import annotations

import gc
import weakref
from dataclasses import replace

from coach.settings import load_settings
from coach.ui.app import make_app
from tests.history_seed import BEHAVIORAL, questions, spoken_analysis, write_wav
from tests.support.pilot import wait_for


async def _show_then_close(pilot, screen) -> list[weakref.ref]:
    """Push the screen, close it, and return weak references to it and its title bar."""
    from coach.ui.widgets.title_bar import TitleBar

    app = pilot.app
    app.push_screen(screen)
    await wait_for(pilot, lambda: app.screen is screen)
    await pilot.pause()
    held = [weakref.ref(screen), weakref.ref(screen.query_one(TitleBar))]
    app.pop_screen()
    await wait_for(pilot, lambda: app.screen is not screen)
    await pilot.pause()
    return held


async def test_closed_feedback_screens_and_their_widgets_are_released(tmp_path):
    from coach.ui.screens.feedback import FeedbackScreen

    settings = load_settings()
    settings = replace(settings, audio=replace(settings.audio, input_device="no-such-microphone",
                                               output_device="no-such-speaker"),
                       voice=replace(settings.voice, mute=True))
    analysis = spoken_analysis(BEHAVIORAL[0], questions()[0], 150, seed=4)
    recording = write_wav(tmp_path / "answer.wav", analysis.duration_s)
    app = make_app(settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.model_state != "loading", timeout=120)
        held = []
        for _ in range(3):
            held += await _show_then_close(pilot, FeedbackScreen(app.questions[0], analysis, recording))
        gc.collect()
        assert [ref() for ref in held if ref() is not None] == []
        assert all(node.is_attached for node, _ in getattr(app, "__watchers", {}).get("replaying", []))
