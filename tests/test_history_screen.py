"""The review screen through Textual's Pilot, on the real app and a real history database."""

from __future__ import annotations

from dataclasses import replace

import pytest

from coach.settings import Settings, load_settings
from coach.storage import History
from coach.storage.trends import METRICS
from coach.ui.app import make_app
from tests.history_seed import seed_history, write_wav


def _settings() -> Settings:
    settings = load_settings()
    return replace(settings, voice=replace(settings.voice, mute=True),
                   audio=replace(settings.audio, output_device="no-such-speaker"))


async def _wait_for(pilot, condition, timeout: float = 30.0) -> None:
    """Wait on the app's own progress (workers, messages), checking a condition."""
    for _ in range(int(timeout / 0.05)):
        if condition():
            return
        await pilot.pause(0.05)
    raise AssertionError("the app did not get there in time")


def _text(widget) -> str:
    return str(widget.render())


@pytest.fixture
def seeded() -> Settings:
    settings = _settings()
    with History(settings) as history:
        seed_history(history, 120, days=30, audio_dir=settings.recordings_dir, seed=5)
        gone = history.attempts(limit=1)[0]
    if gone.audio_path is not None:
        gone.audio_path.unlink()  # a recording deleted by hand: reported, not fatal
    return settings


async def _open(pilot):
    from coach.ui.screens.history import HistoryScreen

    app = pilot.app
    screen = HistoryScreen()
    app.push_screen(screen)
    await _wait_for(pilot, lambda: screen.loaded)
    return screen


async def test_review_screen_shows_trends_focus_best_attempts_and_every_attempt(seeded):
    from coach.ui.screens.history import HistoryScreen
    from coach.ui.widgets.trend_chart import TrendChart

    messages = []
    app = make_app(seeded)
    async with app.run_test(size=(120, 40), message_hook=messages.append) as pilot:
        screen = await _open(pilot)
        [loaded] = [m for m in messages if isinstance(m, HistoryScreen.Loaded)]
        trends = loaded.trends
        assert trends.total == 120 and len(loaded.attempts) == 120

        assert "120 answers" in _text(screen.query_one("#history-summary"))
        focus = _text(screen.query_one("#focus"))
        for n, area in enumerate(trends.focus, 1):
            assert f"{n}. " in focus and area.text[:30] in focus
        comparison = screen.query_one("#comparison").content  # a rich Table
        assert comparison.row_count == sum(1 for c in trends.comparisons.values()
                                           if c.baseline is not None or c.recent is not None)

        charts = {chart.spec.key: chart for chart in screen.query(TrendChart)}
        assert set(charts) == set(METRICS)
        for key, chart in charts.items():
            assert chart.points == len(trends.series[key]) > 0, key
        await _wait_for(pilot, lambda: any(chart.drawn_at for chart in charts.values()))

        best = screen.query_one("#best")
        assert best.row_count == sum(1 for q in trends.questions if q.best_attempt_id is not None)
        await _wait_for(pilot, lambda: screen.all_rows_added)
        assert screen.query_one("#attempts").row_count == 120

        notice = _text(screen.query_one("#history-notice"))
        assert "1 recording is no longer on disk" in notice

        await pilot.press("escape")
        assert not isinstance(app.screen, HistoryScreen)


async def test_attempt_detail_shows_the_highlighted_transcript_and_replays(seeded):
    from coach.ui.screens.attempt import AttemptScreen

    with History(seeded) as history:
        spoken = next(a for a in history.attempts() if a.analysed and a.audio_path and not a.audio_missing
                      and a.kind == "behavioral"
                      and {h.kind for h in history.attempt(a.id).highlights} == {"filler", "hedge"})
    app = make_app(seeded)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _open(pilot)
        await _wait_for(pilot, lambda: screen.all_rows_added)
        table = screen.query_one("#attempts")
        table.focus()
        table.move_cursor(row=table.get_row_index(str(spoken.id)))
        await pilot.press("enter")
        await _wait_for(pilot, lambda: isinstance(app.screen, AttemptScreen) and app.screen.attempt is not None)
        detail = app.screen
        assert detail.attempt.id == spoken.id
        transcript = detail.query_one("#attempt-transcript").content  # the rich Text shown
        marked = {(transcript.plain[span.start:span.end].lower(), str(span.style)) for span in transcript.spans}
        assert {style for _, style in marked} == {"bold red", "bold yellow"}  # fillers and hedges
        assert any(text in ("um", "uh") for text, style in marked if style == "bold red")
        assert transcript.plain == detail.attempt.transcript
        assert detail.query("#attempt-star")  # the STAR timeline of a behavioral answer
        assert "Press p to replay" in _text(detail.query_one("#attempt-notice"))
        assert "fillers" in _text(detail.query_one("#attempt-scores"))

        await pilot.press("p")  # no speaker here: a warning, not a crash
        await _wait_for(pilot, lambda: not app.replaying)
        await pilot.press("escape")
        await _wait_for(pilot, lambda: not isinstance(app.screen, AttemptScreen))


async def test_best_attempt_opens_from_its_table(seeded):
    from coach.ui.screens.attempt import AttemptScreen

    app = make_app(seeded)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _open(pilot)
        best = screen.query_one("#best")
        best.focus()
        await pilot.press("enter")
        await _wait_for(pilot, lambda: isinstance(app.screen, AttemptScreen) and app.screen.attempt is not None)
        expected = screen.trends.questions[0].best_attempt_id
        assert app.screen.attempt.id == expected
        assert app.screen.attempt.metrics.overall == screen.trends.questions[0].best_score


async def test_missing_recording_and_failed_analysis_in_the_detail():
    from coach.ui.screens.attempt import AttemptScreen

    settings = _settings()
    audio = write_wav(settings.recordings_dir / "failed.wav")
    with History(settings) as history:
        attempt_id = history.save_attempt(question_text="Tell me about a conflict.", kind="behavioral",
                                          audio_path=audio, error="No speech was heard in failed.wav.")
    audio.unlink()
    app = make_app(settings)
    async with app.run_test(size=(120, 40)) as pilot:
        app.push_screen(AttemptScreen(attempt_id))
        await _wait_for(pilot, lambda: app.screen.attempt is not None)
        notice = _text(app.screen.query_one("#attempt-notice"))
        assert "Not analysed: No speech was heard" in notice and "no longer on disk" in notice
        await pilot.press("p")
        await pilot.pause()
        assert any("no longer on disk" in n.message for n in app._notifications)


async def test_empty_history_says_so():
    app = make_app(_settings())
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _open(pilot)
        assert "No answers yet" in _text(screen.query_one("#history-summary"))
        assert not screen.query_one("#history-body").display


async def test_a_corrupt_database_is_moved_aside_and_the_user_told():
    settings = _settings()
    settings.data_dir.mkdir(parents=True)
    (settings.data_dir / "history.sqlite3").write_bytes(b"not a database" * 500)
    app = make_app(settings)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _open(pilot)
        assert any("damaged" in n.message and "moved to" in n.message for n in app._notifications)
        assert "damaged" in _text(screen.query_one("#history-notice"))
    assert list(settings.data_dir.glob("history.corrupt-*.sqlite3"))


async def test_reload_picks_up_new_attempts(seeded):
    app = make_app(seeded)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _open(pilot)
        with History(seeded) as history:
            history.save_attempt(question_text="A brand new question?", error="x")
        await pilot.press("f5")
        await _wait_for(pilot, lambda: screen.loaded and screen.trends.total == 121)
        await _wait_for(pilot, lambda: screen.all_rows_added)
        assert screen.query_one("#attempts").row_count == 121
