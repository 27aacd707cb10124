"""The review screen through Textual's Pilot, on the real app and a real history database."""

from __future__ import annotations

from dataclasses import replace

import pytest

from coach.settings import Settings, load_settings
from coach.storage import History
from coach.storage.trends import METRICS
from coach.ui.app import make_app
from tests.history_seed import seed_history, write_wav
from tests.support.pilot import wait_for as _wait_for


def _settings() -> Settings:
    settings = load_settings()
    return replace(settings, voice=replace(settings.voice, mute=True),
                   audio=replace(settings.audio, output_device="no-such-speaker"))


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
    # From home with its key, as a user opens it: a screen pushed from the test's own task would
    # run outside the context that carries run_test's message hook.
    await pilot.press("h")
    await _wait_for(pilot, lambda: isinstance(app.screen, HistoryScreen))
    screen = app.screen
    await _wait_for(pilot, lambda: screen.loaded)
    return screen


async def test_review_screen_shows_trends_focus_best_attempts_and_every_attempt(seeded):
    from coach.ui.screens.history import HistoryScreen
    from coach.ui.widgets.trend_chart import TrendChart

    messages = []
    app = make_app(seeded)
    async with app.run_test(size=(120, 40), message_hook=messages.append) as pilot:
        screen = await _open(pilot)
        # One message, seen by the hook at the screen and again where it bubbles to the app.
        [loaded] = list({id(m): m for m in messages if isinstance(m, HistoryScreen.Loaded)}.values())
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
        await pilot.press("c")  # compared with the attempt before it at the same question
        from coach.ui.screens.compare import CompareScreen

        await _wait_for(pilot, lambda: isinstance(app.screen, CompareScreen) and app.screen.after is not None)
        compare = app.screen
        assert spoken.id in {compare.before.id, compare.after.id}
        assert compare.before.question_key == compare.after.question_key == spoken.question_key
        await pilot.press("escape")
        await _wait_for(pilot, lambda: app.screen is detail)
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


def _in_view(page, widget) -> bool:
    """The whole widget is inside the scrolling page's visible area."""
    return page.region.contains_region(widget.region)


@pytest.mark.parametrize("size", [(80, 24), (160, 50)])
async def test_the_page_scrolls_from_the_keyboard_and_a_focused_table_is_shown(seeded, size):
    from textual.widgets import DataTable

    app = make_app(seeded)
    async with app.run_test(size=size) as pilot:
        screen = await _open(pilot)
        page = screen.query_one("#history")
        assert app.focused is page
        assert page.max_scroll_y > 0  # the charts and both tables are below the fold
        for key in ("pagedown", "down", "j"):
            before = page.scroll_y
            await pilot.press(key)
            await _wait_for(pilot, lambda before=before: page.scroll_y > before)
        before = page.scroll_y
        await pilot.press("k")
        await _wait_for(pilot, lambda: page.scroll_y < before)
        await pilot.press("end")
        await _wait_for(pilot, lambda: page.scroll_y == page.max_scroll_y)
        assert _in_view(page, screen.query_one("#attempts"))
        await pilot.press("home")
        await _wait_for(pilot, lambda: page.scroll_y == 0)
        for table_id in ("best", "attempts"):
            await pilot.press("tab")
            table = screen.query_one(f"#{table_id}", DataTable)
            await _wait_for(pilot, lambda table=table: app.focused is table)
            await _wait_for(pilot, lambda table=table: _in_view(page, table))


async def test_tab_never_focuses_a_hidden_table():
    from textual.widgets import DataTable

    app = make_app(_settings())
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _open(pilot)
        assert not screen.query_one("#history-body").display  # no answers yet: no tables shown
        for _ in range(3):
            await pilot.press("tab")
            await pilot.pause()
            assert not isinstance(app.focused, DataTable)


def test_date_ticks_mark_each_day_once_and_never_a_day_without_an_answer():
    from datetime import UTC, datetime, timedelta

    from coach.ui.widgets.trend_chart import date_ticks

    start = datetime(2026, 3, 2, 9, tzinfo=UTC)
    one_day = [start + timedelta(minutes=10 * i) for i in range(12)]
    positions, labels = date_ticks(one_day)
    assert positions == [0] and len(labels) == 1  # twelve answers on one day: one tick, not four

    spread = one_day + [start + timedelta(days=d, hours=h) for d in (1, 2, 5, 9, 20) for h in (0, 1)]
    positions, labels = date_ticks(spread)
    assert len(labels) == len(set(labels)) <= 4
    assert positions == sorted(positions) and positions[0] == 0 and positions[-1] < len(spread)
    days = {moment.astimezone().strftime("%d %b") for moment in spread}
    assert set(labels) <= days  # no tick on a day with no answer, so none in the future


async def test_chart_date_ticks_are_days_with_answers_each_once(seeded):
    from coach.ui.widgets.trend_chart import TrendChart

    app = make_app(seeded)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _open(pilot)
        for chart in screen.query(TrendChart):
            points = screen.trends.series[chart.spec.key]
            days = {p.at.astimezone().strftime("%d %b") for p in points}
            assert chart.points == len(points)
            assert chart.tick_labels and len(chart.tick_labels) == len(set(chart.tick_labels)), chart.tick_labels
            assert set(chart.tick_labels) <= days, chart.spec.key


def test_snapshot_history_scrolled_to_its_tables(snap_compare, monkeypatch):
    """A fixed history (fixed dates, UTC) scrolled down to the best-attempt and attempts tables."""
    import time
    from datetime import UTC, datetime

    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    settings = _settings()
    with History(settings) as history:
        seed_history(history, 40, days=21, seed=11, now=datetime(2026, 3, 1, 18, tzinfo=UTC))

    async def scrolled(pilot):
        from coach.ui.screens.history import HistoryScreen

        app = pilot.app
        await _wait_for(pilot, lambda: app.model_state == "ready")
        screen = HistoryScreen()
        app.push_screen(screen)
        await _wait_for(pilot, lambda: screen.loaded and screen.all_rows_added)
        await pilot.press("tab")
        await _wait_for(pilot, lambda: app.focused is screen.query_one("#best"))
        await pilot.pause(0.3)

    try:
        assert snap_compare(make_app(settings), terminal_size=(100, 30), run_before=scrolled)
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()
