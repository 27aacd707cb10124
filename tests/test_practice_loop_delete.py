"""Issue 14, "delete an attempt from the TUI": d on an attempt's page, a dialog that says what goes
and what stays, then the history without it. Real app (Pilot), real SQLite, real files."""

from __future__ import annotations

from dataclasses import replace

import pytest

from coach.analysis.answer import QuestionContext, analyse_text
from coach.settings import load_settings
from coach.storage import History, save_analysis
from coach.ui.app import make_app
from tests.history_seed import write_wav
from tests.support.pilot import wait_for

pytestmark = pytest.mark.slow

QUESTION = QuestionContext(text="Tell me about a model that failed in production.", kind="behavioral", target_s=90,
                           question_id="beh-ml-prod-01")
STORY = ("At my last company our fraud model was flagging too many good customers. I pulled three months of "
         "disputes and rebuilt the account-age features. False positives dropped by 35 percent.")
OUTCOME = "What was the outcome?"


def _settings():
    """No voice (nothing is spoken in these tests) and a speaker that does not exist."""
    settings = load_settings()
    return replace(settings, voice=replace(settings.voice, mute=True),
                   audio=replace(settings.audio, output_device="no-such-speaker"))


async def test_d_deletes_the_attempt_and_its_recording_and_keeps_its_follow_up(tmp_path):
    from coach.ui.screens.attempt import AttemptScreen
    from coach.ui.screens.delete_attempt import DeleteAttemptScreen
    from coach.ui.screens.history import HistoryScreen

    settings = _settings()
    recording = write_wav(tmp_path / "answer.wav")
    answer = analyse_text(STORY, question=QUESTION)
    parent = save_analysis(settings, answer, recording)  # copied into the data folder
    kept = save_analysis(settings, analyse_text(STORY, question=QUESTION))
    turn = save_analysis(settings, analyse_text("False positives fell by a third by the holidays.",
                                                question=replace(QUESTION, text=OUTCOME, kind="follow_up")),
                         parent_id=parent)
    with History(settings) as history:
        stored = history.attempt(parent).audio_path
    assert stored.is_file() and stored != recording

    app = make_app(settings)
    async with app.run_test(size=(100, 30)) as pilot:
        # The models load in a thread as the app starts; the test waits so none is cut off at exit.
        await wait_for(pilot, lambda: app.model_state != "loading", timeout=120)
        await pilot.press("h")
        await wait_for(pilot, lambda: isinstance(app.screen, HistoryScreen) and app.screen.all_rows_added)
        history_screen = app.screen
        table = history_screen.query_one("#attempts")
        table.focus()
        table.move_cursor(row=table.get_row_index(str(parent)))
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, AttemptScreen) and app.screen.attempt is not None)
        detail = app.screen
        assert OUTCOME in str(detail.query_one("#attempt-turns").render())  # its follow-up, as a turn

        await pilot.press("d")
        await wait_for(pilot, lambda: isinstance(app.screen, DeleteAttemptScreen))
        said = " ".join(str(w.render()) for w in app.screen.query("Static"))
        assert stored.name in said and "1 follow-up stays" in said
        await pilot.press("escape")  # keep it after all
        await wait_for(pilot, lambda: app.screen is detail)
        with History(settings) as history:
            assert history.attempt(parent)

        await pilot.press("d")
        await wait_for(pilot, lambda: isinstance(app.screen, DeleteAttemptScreen))
        await pilot.press("y")
        await wait_for(pilot, lambda: app.screen is history_screen and history_screen.all_rows_added)
        rows = history_screen.query_one("#attempts")
        await wait_for(pilot, lambda: rows.row_count == 2)
        assert {str(key.value) for key in rows.rows} == {str(kept), str(turn)}

    assert not stored.exists() and recording.is_file()  # the copy goes; the user's own file stays
    with History(settings) as history:
        assert [a.id for a in history.attempts(newest_first=False)] == [kept, turn]
        assert history.attempt(turn).parent_id is None


async def test_a_follow_ups_page_names_its_answer():
    from coach.ui.screens.attempt import AttemptScreen

    settings = _settings()
    parent = save_analysis(settings, analyse_text(STORY, question=QUESTION))
    turn = save_analysis(settings, analyse_text("False positives fell by a third by the holidays.",
                                                question=replace(QUESTION, text=OUTCOME, kind="follow_up")),
                         parent_id=parent)
    app = make_app(settings)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: app.model_state != "loading", timeout=120)
        app.push_screen(AttemptScreen(turn))
        await wait_for(pilot, lambda: isinstance(app.screen, AttemptScreen) and app.screen.attempt is not None)
        meta = str(app.screen.query_one("#attempt-meta").render())
        assert f"follow-up to attempt {parent}" in meta and QUESTION.text in meta
        # Compare is offered: it compares with other answers to the same follow-up only
        # (tests/test_practice_loop_compare_follow_ups.py).
        assert app.screen.check_action("delete", ())
