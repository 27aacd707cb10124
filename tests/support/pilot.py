"""Helpers for Pilot tests."""

from __future__ import annotations


async def wait_for(pilot, condition, timeout: float = 30.0) -> None:
    """Wait on the app's own progress (workers, messages), checking a condition."""
    for _ in range(int(timeout / 0.05)):
        if condition():
            return
        await pilot.pause(0.05)
    raise AssertionError("the app did not get there in time")


def offline_settings():
    """The default settings with no microphone, no speaker and a silent interviewer."""
    from dataclasses import replace

    from coach.settings import load_settings

    settings = load_settings()
    return replace(settings, audio=replace(settings.audio, input_device="no-such-microphone",
                                           output_device="no-such-speaker"),
                   voice=replace(settings.voice, mute=True))


async def show_feedback(pilot, analysis, recording):
    """Push the feedback screen for ``analysis`` (with ``recording``) once the models are settled;
    returns the screen, drawn."""
    from coach.ui.screens.feedback import FeedbackScreen

    app = pilot.app
    await wait_for(pilot, lambda: app.model_state != "loading", timeout=120)
    screen = FeedbackScreen(app.questions[0], analysis, recording)
    app.push_screen(screen)
    await wait_for(pilot, lambda: app.screen is screen)
    await pilot.pause()
    return screen
