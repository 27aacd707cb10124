"""Issue 14, "annotate an attempt": a short note kept with an attempt (schema 6), written from the
TUI, kept through export and import; on real SQLite files, including a database of schema 5 as
the previous release left it."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import replace

import pytest

from coach.analysis.answer import QuestionContext, analyse_text
from coach.errors import CoachError
from coach.settings import load_settings
from coach.storage import History, schema
from coach.storage.history import NOTE_MAX_CHARS

QUESTION = QuestionContext(text="Tell me about a model that failed in production.", kind="behavioral", target_s=90)
STORY = ("At my last company our fraud model was flagging too many good customers. I rebuilt the account-age "
         "features and ran an A/B test. As a result, false positives dropped by 35 percent.")


def test_a_schema_5_database_gets_notes_and_keeps_its_attempts():
    settings = load_settings()
    path = settings.data_dir / "history.sqlite3"
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("BEGIN IMMEDIATE")
    schema.migrate(conn, target=5)  # exactly what the release with schema 5 left (migrations are never edited)
    data = analyse_text(STORY, question=QUESTION).to_json()
    conn.execute("INSERT INTO attempts (uid, created_at, question_text, kind, transcript, analysis_json, scores_json) "
                 "VALUES (?, ?, ?, 'behavioral', ?, ?, ?)",
                 ("a" * 32, "2026-03-01T09:00:00+00:00", QUESTION.text, STORY, json.dumps(data),
                  json.dumps(data["scores"])))
    conn.execute("COMMIT")
    conn.close()
    with History(settings) as history:
        assert history.db.opened_version == 5
        [attempt] = history.attempts()
        assert attempt.note is None and attempt.scores == data["scores"]
        assert history.set_note(attempt.id, "  Nervous:\nfirst time\x07\u202e on camera ") == "Nervous: first time on camera"
    with History(settings) as history:
        assert history.attempt(attempt.id).note == "Nervous: first time on camera"
    raw = sqlite3.connect(path)
    assert raw.execute("PRAGMA user_version").fetchone()[0] == schema.LATEST_VERSION == 6
    raw.close()


def test_a_note_is_removed_when_empty_and_refused_when_too_long():
    with History(load_settings()) as history:
        attempt = history.save_attempt(analysis=analyse_text(STORY, question=QUESTION))
        history.set_note(attempt, "keep the numbers")
        with pytest.raises(CoachError, match=f"at most {NOTE_MAX_CHARS} characters"):
            history.set_note(attempt, "x" * (NOTE_MAX_CHARS + 1))
        assert history.attempt(attempt).note == "keep the numbers"  # a refused note changes nothing
        assert history.set_note(attempt, "   ") is None
        assert history.attempt(attempt).note is None
        with pytest.raises(CoachError, match="There is no attempt 999"):
            history.set_note(999, "lost")


def test_export_and_import_keep_the_note(tmp_path, monkeypatch):
    from coach.storage.archive import export_history, import_history

    with History(load_settings()) as history:
        attempt = history.save_attempt(analysis=analyse_text(STORY, question=QUESTION))
        history.set_note(attempt, "Said 'we' too often")
        archive = tmp_path / "backup.zip"
        export_history(history, archive)
    monkeypatch.setenv("COACH_DATA_DIR", str(tmp_path / "elsewhere"))
    with History(load_settings()) as fresh:
        import_history(fresh, archive)
        [imported] = fresh.attempts()
        assert imported.note == "Said 'we' too often"


async def test_a_note_is_written_from_the_attempt_page():
    from coach.ui.app import make_app
    from coach.ui.screens.attempt import AttemptScreen
    from coach.ui.screens.note import NoteScreen
    from tests.support.pilot import wait_for

    settings = load_settings()
    settings = replace(settings, voice=replace(settings.voice, mute=True),
                       audio=replace(settings.audio, output_device="no-such-speaker"))
    with History(settings) as history:
        attempt = history.save_attempt(analysis=analyse_text(STORY, question=QUESTION))
    app = make_app(settings)
    async with app.run_test(size=(100, 30)) as pilot:
        page = AttemptScreen(attempt)
        app.push_screen(page)
        await wait_for(pilot, lambda: page.attempt is not None)
        await pilot.pause()
        assert any(str(key.description) == "Note" for key in page.query("FooterKey"))
        assert "hidden" in page.query_one("#attempt-note").classes
        await pilot.press("n")
        await wait_for(pilot, lambda: isinstance(app.screen, NoteScreen))
        await pilot.press(*"rushed the result")
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.screen is page and page.attempt.note == "rushed the result")
        assert "Your note: rushed the result" in str(page.query_one("#attempt-note").render())
        with History(settings) as history:
            assert history.attempt(attempt).note == "rushed the result"
        await pilot.press("n")  # escape leaves it as it was
        await wait_for(pilot, lambda: isinstance(app.screen, NoteScreen))
        await pilot.press("x", "escape")
        await wait_for(pilot, lambda: app.screen is page)
        await pilot.press("n")  # cleared and kept: removed
        await wait_for(pilot, lambda: isinstance(app.screen, NoteScreen))
        app.screen.query_one("#note-input").value = ""
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.screen is page and page.attempt.note is None)
        assert "hidden" in page.query_one("#attempt-note").classes
    with History(settings) as history:
        assert history.attempt(attempt).note is None


@pytest.mark.parametrize("fmt", ["md", "html"])
def test_the_report_shows_the_note_with_its_answer(fmt):
    from coach.reports import build_report

    with History(load_settings()) as history:
        attempt = history.save_attempt(analysis=analyse_text(STORY, question=QUESTION))
        history.set_note(attempt, "rushed <the> result")
        report = build_report(history, fmt=fmt)
    latest = report.split("Latest answers", 1)[1]
    assert ("your note: rushed <the> result" if fmt == "md" else "your note: rushed &lt;the&gt; result") in latest


async def test_the_history_list_marks_attempts_with_a_note():
    from coach.ui.app import make_app
    from coach.ui.screens.history import HistoryScreen
    from tests.support.pilot import wait_for

    settings = load_settings()
    settings = replace(settings, voice=replace(settings.voice, mute=True),
                       audio=replace(settings.audio, output_device="no-such-speaker"))
    with History(settings) as history:
        plain = history.save_attempt(analysis=analyse_text(STORY, question=QUESTION))
        noted = history.save_attempt(analysis=analyse_text(STORY, question=QUESTION))
        history.set_note(noted, "better")
    app = make_app(settings)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = HistoryScreen()
        app.push_screen(screen)
        await wait_for(pilot, lambda: screen.loaded and screen.all_rows_added)
        table = screen.query_one("#attempts")
        labels = {int(row.key.value): str(table.get_row(row.key)[2]) for row in table.ordered_rows}
        assert labels[noted].endswith(" ✎") and not labels[plain].endswith("✎")


def test_coach_history_shows_the_note_under_its_attempt():
    from tests.conftest import run_coach

    with History(load_settings()) as history:
        noted = history.save_attempt(analysis=analyse_text(STORY, question=QUESTION))
        history.save_attempt(analysis=analyse_text(STORY, question=QUESTION))
        history.set_note(noted, "said 'we' too often")
    result = run_coach("history")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    [row] = [i for i, line in enumerate(lines) if line.lstrip().startswith(f"{noted} ")]
    assert lines[row + 1].strip() == "✎ said 'we' too often"
    assert sum("✎" in line for line in lines) == 1

