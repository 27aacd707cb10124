"""Comparing two attempts at one question: the diff of the transcripts, and the screen reached
from the history and from the feedback (after a retry), on the real app, real spaCy analyses
and a real history database."""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from coach.settings import Settings, load_settings
from coach.storage import History
from coach.ui.app import make_app
from tests.history_seed import BEHAVIORAL, questions, spoken_analysis
from tests.support.pilot import wait_for as _wait_for

pytestmark = pytest.mark.slow

EARLIER, LATER = BEHAVIORAL[1], BEHAVIORAL[5]


def _settings() -> Settings:
    settings = load_settings()
    return replace(settings, audio=replace(settings.audio, input_device="no-such-microphone",
                                           output_device="no-such-speaker"),
                   voice=replace(settings.voice, mute=True))


def _two_attempts(settings: Settings, when: datetime) -> tuple[int, int, int]:
    """Two spoken attempts at one question a day apart (the later one better), and one at another."""
    asked, other = questions()[:2]
    with History(settings) as history:
        first = history.save_attempt(analysis=spoken_analysis(EARLIER, asked, 250, seed=1),
                                     created_at=when - timedelta(days=1))
        history.save_attempt(analysis=spoken_analysis(LATER, other, 150, seed=2),
                             created_at=when - timedelta(hours=2))
        second = history.save_attempt(analysis=spoken_analysis(LATER, asked, 185, seed=3), created_at=when)
    return first, second, len(LATER.split())


def test_transcript_diff_marks_added_and_dropped_words():
    from coach.ui.screens.compare import diff_transcripts

    left, right, added, dropped = diff_transcripts(
        "So, um, I built a model and it was, like, fine.",
        "I built a gradient boosted model and cut false positives by 35 percent.")
    struck = [left.plain[s.start:s.end] for s in left.spans if "strike" in str(s.style)]
    new = [right.plain[s.start:s.end] for s in right.spans if "green" in str(s.style)]
    assert left.plain.startswith("So, um, I built a model") and right.plain.startswith("I built a gradient")
    assert "So," in struck and "um," in struck and "fine." in struck
    assert "I" not in struck and "built" not in struck  # kept words are not marked
    assert "gradient" in new and "35" in new and "model" not in new
    assert added == len(new) and dropped == len(struck)


async def test_compare_from_the_history_shows_the_change_and_the_diff():
    from coach.ui.screens.compare import CompareScreen
    from coach.ui.screens.history import HistoryScreen

    settings = _settings()
    first, second, _ = _two_attempts(settings, datetime.now(UTC))
    app = make_app(settings)
    async with app.run_test(size=(120, 40)) as pilot:
        history = HistoryScreen()
        app.push_screen(history)
        await _wait_for(pilot, lambda: history.loaded and history.all_rows_added)
        await pilot.press("c")  # nothing chosen yet: say how
        assert any("Tab to an attempt" in n.message for n in app._notifications)
        await pilot.press("tab", "tab")  # the attempts table, newest first: the second attempt
        await _wait_for(pilot, lambda: app.focused is history.query_one("#attempts"))
        await pilot.press("c")
        await _wait_for(pilot, lambda: isinstance(app.screen, CompareScreen) and app.screen.after is not None)
        compare = app.screen
        assert (compare.before.id, compare.after.id) == (first, second)  # the attempt at the other question skipped
        table = compare.query_one("#compare-table").content  # the rich Table shown
        rows = [str(cell) for cell in table.columns[0]._cells]
        assert "Pace" in rows and any(r.endswith("score") for r in rows)
        changes = [str(cell) for cell in table.columns[3]._cells]
        assert changes[rows.index("Pace")] == "better"  # 170 wpm -> 149 wpm: back in the good range
        assert compare.added > 0 and compare.dropped > 0
        after = compare.query_one("#compare-after").content
        assert after.plain == compare.after.transcript
        assert "added" in str(compare.query_one("#compare-diffstat").render())
        await pilot.press("escape")
        await _wait_for(pilot, lambda: app.screen is history)


async def test_only_one_attempt_says_so():
    from coach.ui.screens.compare import CompareScreen

    settings = _settings()
    asked = questions()[0]
    with History(settings) as history:
        only = history.save_attempt(analysis=spoken_analysis(EARLIER, asked, 150))
    app = make_app(settings)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = CompareScreen(only)
        await app.push_screen(screen)
        await _wait_for(pilot, lambda: "only analysed attempt" in str(screen.query_one("#compare-question").render()))


async def test_retry_from_the_feedback_then_compare_the_two_tries():
    from coach.ui.screens.compare import CompareScreen
    from coach.ui.screens.feedback import FeedbackScreen
    from coach.ui.screens.practice import PracticeScreen

    app = make_app(_settings())
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("enter")
        for n, answer in enumerate((EARLIER, LATER)):
            await _wait_for(pilot, lambda: isinstance(app.screen, PracticeScreen)
                            and app.screen.state == "no_microphone")
            if n == 0:
                question = app.screen.question
            assert app.screen.question.id == question.id  # the same question again
            await pilot.press("t")
            await pilot.pause()
            app.screen.query_one("#answer").text = answer
            await pilot.press("ctrl+s")
            await _wait_for(pilot, lambda: isinstance(app.screen, FeedbackScreen) and app.screen.attempt_id)
            feedback = app.screen
            assert feedback.check_action("replay", ()) is False  # a typed answer: nothing to replay
            assert not feedback.query("#replay-status")
            if n == 0:
                await pilot.press("r")  # retry this question
        await pilot.press("c")
        await _wait_for(pilot, lambda: isinstance(app.screen, CompareScreen) and app.screen.after is not None)
        compare = app.screen
        assert compare.before.transcript == " ".join(EARLIER.split())
        assert compare.after.transcript == " ".join(LATER.split())
        assert compare.after.id == feedback.attempt_id
        await pilot.press("escape")
        await _wait_for(pilot, lambda: app.screen is feedback)


def test_snapshot_compare(snap_compare, monkeypatch):
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    settings = _settings()
    _, second, _ = _two_attempts(settings, datetime(2026, 3, 2, 10, 30, tzinfo=UTC))

    async def compared(pilot):
        from coach.ui.screens.compare import CompareScreen

        app = pilot.app
        await _wait_for(pilot, lambda: app.model_state == "ready")
        screen = CompareScreen(second)
        app.push_screen(screen)
        await _wait_for(pilot, lambda: screen.after is not None)
        await pilot.pause(0.2)

    try:
        assert snap_compare(make_app(settings), terminal_size=(120, 50), run_before=compared)
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()
