"""The TUI through Textual's Pilot: the real app, real models, real files; no audio hardware
needed (the microphone is a named device that does not exist, or a file, or typed text)."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from coach.settings import Settings, load_settings
from coach.ui.app import make_app

pytestmark = pytest.mark.slow

ANSWER = (
    "So, at my last company our fraud model was flagging too many good customers. "
    "My goal was to cut false positives before the holiday season. "
    "I pulled three months of disputes and I found that new accounts were scored unfairly. "
    "I rebuilt the account-age features and ran an A/B test with the risk team. "
    "As a result, false positives dropped by 35 percent."
)


def _settings() -> Settings:
    settings = load_settings()
    # A device name no machine has: the practice screen must cope with no microphone.
    return replace(settings, audio=replace(settings.audio, input_device="no-such-microphone"),
                   voice=replace(settings.voice, mute=True))


def _recorder():
    seen = []
    return seen, seen.append


async def _wait_for(pilot, condition, timeout: float = 30.0) -> None:
    """Wait on the app's own progress (workers, messages), checking a condition."""
    loops = int(timeout / 0.05)
    for _ in range(loops):
        if condition():
            return
        await pilot.pause(0.05)
    raise AssertionError("the app did not get there in time")


async def test_home_lists_and_filters_questions():
    app = make_app(_settings())
    async with app.run_test(size=(120, 40)) as pilot:
        await _wait_for(pilot, lambda: app.model_state == "ready")
        home = app.screen
        assert len(home.shown) > 100
        home.query_one("#kind").value = "think_aloud"
        await pilot.pause()
        assert home.shown and all(q.kind == "think_aloud" for q in home.shown)
        assert "ready" in app.sub_title


async def test_no_microphone_offers_typed_answer_and_shows_feedback():
    from coach.ui.screens.feedback import FeedbackScreen
    from coach.ui.screens.practice import PracticeScreen

    messages, hook = _recorder()
    app = make_app(_settings())
    async with app.run_test(size=(120, 40), message_hook=hook) as pilot:
        await pilot.press("enter")
        await _wait_for(pilot, lambda: isinstance(app.screen, PracticeScreen) and app.screen.state == "no_microphone")
        notice = str(app.screen.query_one("#notice").render())
        assert "No microphone" in notice and "type your answer" in notice
        await pilot.press("t")
        await pilot.pause()
        app.screen.query_one("#answer").text = ANSWER
        await pilot.press("ctrl+s")
        await _wait_for(pilot, lambda: isinstance(app.screen, FeedbackScreen))
        analysed = [m for m in messages if isinstance(m, PracticeScreen.Analysed)]
        assert len(analysed) == 1
        coaching = analysed[0].analysis.coaching
        assert coaching.star["result_quantified"] and coaching.star["present"]["action"]
        tips = str(app.screen.query_one("#tips").render())
        assert "short of the 90 s target" in tips
        assert "Strength" in str(app.screen.query_one("#strength").render())
        from coach.storage import History

        def saved() -> int:
            with History(app.settings) as history:
                return history.count()

        await _wait_for(pilot, lambda: saved() == 1)  # every attempt goes to the history
        await pilot.press("a")  # answer the follow-up as the next turn
        await _wait_for(pilot, lambda: isinstance(app.screen, PracticeScreen))
        assert app.screen.asked == coaching.follow_up
        await pilot.press("escape")
        await pilot.press("h")
        from coach.ui.screens.history import HistoryScreen

        await _wait_for(pilot, lambda: isinstance(app.screen, HistoryScreen))
        await pilot.pause(0.3)


async def _answer_from_file(pilot, path) -> None:
    """From home: a random question, no microphone, so analyse an audio file instead."""
    from coach.ui.screens.practice import PracticeScreen

    app = pilot.app
    await pilot.press("r")
    await _wait_for(pilot, lambda: isinstance(app.screen, PracticeScreen) and app.screen.state == "no_microphone")
    await pilot.press("f")
    await pilot.pause()
    app.screen.query_one("#path").value = str(path)
    await pilot.press("enter")


async def test_audio_file_answer_is_transcribed(spoken_star_answer):
    from coach.ui.screens.feedback import FeedbackScreen

    app = make_app(_settings())
    async with app.run_test(size=(120, 40)) as pilot:
        await _answer_from_file(pilot, spoken_star_answer)
        await _wait_for(pilot, lambda: isinstance(app.screen, FeedbackScreen), timeout=60)
        assert app.screen.analysis.pace.wpm > 100
        assert "holiday season" in app.screen.analysis.transcript.lower()


async def test_bad_audio_file_is_reported_and_nothing_lost(tmp_path):

    bad = tmp_path / "answer.wav"
    bad.write_text("not audio")
    app = make_app(_settings())
    async with app.run_test(size=(120, 40)) as pilot:
        await _answer_from_file(pilot, bad)
        await _wait_for(pilot, lambda: "not an audio file" in str(app.screen.query_one("#notice").render()))
    assert bad.read_text() == "not audio"


async def test_settings_screen_writes_the_config(isolated_dirs):
    app = make_app(_settings())
    async with app.run_test(size=(120, 50)) as pilot:
        await pilot.press("f2")
        await pilot.pause()
        app.screen.query_one("#rate").value = "150"
        await pilot.press("ctrl+s")
        await pilot.pause()
    saved = load_settings(isolated_dirs / "config.toml")
    assert saved.voice.rate == 150 and saved.voice.mute


async def test_unfinished_recording_is_offered_after_a_crash(isolated_dirs, spoken_star_answer):
    import shutil

    from coach.ui.screens.feedback import FeedbackScreen
    from coach.ui.screens.recovery import RecoveryScreen

    settings = _settings()
    settings.recordings_dir.mkdir(parents=True)
    audio = settings.recordings_dir / "20260101-120000-beh-conflict-01.wav"
    shutil.copy(spoken_star_answer, audio)
    (audio.parent / (audio.name + ".recording.json")).write_text(json.dumps(
        {"question": "Tell me about a conflict.", "question_id": "beh-conflict-01", "kind": "behavioral",
         "target_s": 90}))
    app = make_app(settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await _wait_for(pilot, lambda: isinstance(app.screen, RecoveryScreen) and bool(app.screen.query("#analyse")))
        await pilot.click("#analyse")
        await _wait_for(pilot, lambda: isinstance(app.screen, FeedbackScreen), timeout=60)
        assert app.screen.analysis.question.text == "Tell me about a conflict."
    assert audio.is_file()
    assert not (audio.parent / (audio.name + ".recording.json")).exists()


async def test_mock_round_plans_a_timed_mix():
    from coach.practice import MockRound

    app = make_app(_settings())
    mock = MockRound.plan(app.questions, "Data Scientist", 45, seed=1)
    kinds = {q.kind for q in mock.questions}
    assert kinds == {"behavioral", "think_aloud"}
    planned = sum(q.target_s + 60 for q in mock.questions)
    assert 45 * 60 <= planned < 45 * 60 + 400
    assert all("Data Scientist" in q.roles for q in mock.questions)


def test_snapshot_home(snap_compare):
    async def ready(pilot):
        await _wait_for(pilot, lambda: pilot.app.model_state == "ready")

    assert snap_compare(make_app(_settings()), terminal_size=(120, 36), run_before=ready)


def test_snapshot_feedback(snap_compare):
    from coach.ui.screens.feedback import FeedbackScreen

    async def answer(pilot):
        app = pilot.app
        await _wait_for(pilot, lambda: app.model_state == "ready")
        await pilot.press("enter")
        await _wait_for(pilot, lambda: getattr(app.screen, "state", "") == "no_microphone")
        await pilot.press("t")
        await pilot.pause()
        app.screen.query_one("#answer").text = ANSWER
        await pilot.press("ctrl+s")
        await _wait_for(pilot, lambda: isinstance(app.screen, FeedbackScreen))
        await pilot.pause()

    assert snap_compare(make_app(_settings()), terminal_size=(120, 48), run_before=answer)


async def test_practice_shows_matching_stories_and_rehearsal_compares_with_the_draft():
    from coach.ui.screens.feedback import FeedbackScreen
    from coach.ui.screens.practice import PracticeScreen
    from coach.ui.screens.stories import StoryLibraryScreen

    app = make_app(_settings())
    async with app.run_test(size=(120, 45)) as pilot:
        await pilot.press("enter")  # a behavioral question: the library's best stories are shown
        await _wait_for(pilot, lambda: "Stories that fit" in str(app.screen.query_one("#stories").render()))
        await pilot.press("escape")
        await pilot.press("l")
        await _wait_for(pilot, lambda: isinstance(app.screen, StoryLibraryScreen) and app.screen.current is not None)
        story = app.screen.current
        await pilot.press("ctrl+e")
        await _wait_for(pilot, lambda: isinstance(app.screen, PracticeScreen) and app.screen.state == "no_microphone")
        assert story.title in str(app.screen.query_one("#meta").render())
        await pilot.press("t")
        await pilot.pause()
        # Tell only the situation and the action of the draft.
        app.screen.query_one("#answer").text = f"{story.sections['situation']} {story.sections['action']}"
        await pilot.press("ctrl+s")
        await _wait_for(pilot, lambda: isinstance(app.screen, FeedbackScreen))
        await _wait_for(pilot, lambda: "Comparing" not in str(app.screen.query_one("#rehearsal").render()))
        notes = str(app.screen.query_one("#rehearsal").render()).lower()
        assert "result" in notes
        await pilot.pause(0.2)
