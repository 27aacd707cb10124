"""The random question (`r`) and the mock round's first question are chosen before their keys
are pressed and their voice is made meanwhile, as the highlighted question's is (issue 15)."""

from __future__ import annotations

import time
from dataclasses import replace

import pytest

from tests.support.pilot import wait_for

pytestmark = pytest.mark.slow


async def test_the_random_question_and_the_mock_rounds_first_are_made_ahead_and_then_asked():
    from coach.settings import load_settings
    from coach.speech import voice
    from coach.ui.app import make_app
    from coach.ui.screens.home import HomeScreen
    from coach.ui.screens.practice import PracticeScreen

    settings = load_settings()
    # No microphone and no speaker: the question "is read" and the screen waits for a typed
    # answer, while the voice is made ahead all the same. A rate no other test uses, so nothing
    # is found made already.
    settings = replace(settings, voice=replace(settings.voice, mute=False, rate=177),
                       audio=replace(settings.audio, input_device="no-such-microphone", output_device="no-such-speaker"))
    app = make_app(settings)

    async with app.run_test(size=(120, 40)) as pilot:
        home = app.screen
        assert isinstance(home, HomeScreen)
        await wait_for(pilot, lambda: home.random_pick is not None and home.mock_ahead is not None)
        picked, planned = home.random_pick, home.mock_ahead
        assert picked in home.shown and planned.questions
        await wait_for(pilot, lambda: voice.is_prepared(picked.text, settings.voice)
                       and voice.is_prepared(planned.questions[0].text, settings.voice), timeout=240)

        await pilot.press("r")
        await wait_for(pilot, lambda: isinstance(app.screen, PracticeScreen))
        assert app.screen.question is picked and app.screen.mock is None
        await wait_for(pilot, lambda: app.screen.state == "no_microphone", timeout=120)

        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is home)
        # Back home, the next random question is chosen (and made) ahead again.
        await wait_for(pilot, lambda: home.random_pick is not None
                       and voice.is_prepared(home.random_pick.text, settings.voice), timeout=240)

        pressed = time.monotonic()
        await pilot.press("m")
        await wait_for(pilot, lambda: isinstance(app.screen, PracticeScreen))
        mock = app.screen.mock
        assert mock is not None and mock.questions == planned.questions
        assert app.screen.question is planned.questions[0]
        # Planned ahead, but its clock starts when the round does.
        assert mock.started_at >= pressed
        await wait_for(pilot, lambda: app.screen.state == "no_microphone", timeout=120)
