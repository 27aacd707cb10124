"""The history database and its service layer, on real SQLite files: migrations, a corrupt or
locked database, attempts kept when the analysis fails, delete, export/import, re-analysis."""

from __future__ import annotations

import io
import json
import sqlite3
import subprocess
import sys
import tarfile
import threading
import time
import uuid
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from coach.analysis.answer import QuestionContext, analyse_text
from coach.errors import CoachError
from coach.settings import Settings, load_settings
from coach.storage import (
    LATEST_VERSION,
    LOCKED_MESSAGE,
    History,
    HistoryLockedError,
    HistoryVersionError,
    save_analysis,
    schema,
)
from coach.storage.archive import export_history, import_history
from coach.storage.models import Metrics
from coach.storage.trends import compute_trends
from tests.history_seed import seed_history, spoken_analysis, write_wav

STORY = (
    "At my last company our fraud model was flagging too many good customers. "
    "My goal was to cut false positives before the holiday season. "
    "I think I pulled three months of disputes and um I found that new accounts were scored unfairly. "
    "I rebuilt the account-age features and ran an A/B test with the risk team. "
    "As a result, false positives dropped by 35 percent."
)
QUESTION = QuestionContext(text="Tell me about a model that failed in production.", kind="behavioral", target_s=90,
                           question_id="beh-ml-prod-01")


@pytest.fixture
def settings() -> Settings:
    return load_settings()  # the autouse fixture points COACH_DATA_DIR at a fresh folder


@pytest.fixture
def history(settings):
    with History(settings) as opened:
        yield opened


@pytest.fixture(scope="module")
def typed_analysis():
    return analyse_text(STORY, question=QUESTION)


def _raw(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(path, isolation_level=None)


# -- schema and migrations --------------------------------------------------------------------------


def test_new_database_is_at_the_latest_schema_in_wal_mode(history):
    conn = _raw(history.path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == LATEST_VERSION
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert history.db.opened_version == 0


def _database_at(path: Path, version: int) -> sqlite3.Connection:
    """A database exactly as the coach release with schema ``version`` would have left it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = _raw(path)
    conn.execute("BEGIN IMMEDIATE")
    schema.migrate(conn, target=version)
    conn.execute("COMMIT")
    return conn


@pytest.mark.parametrize("version", range(0, LATEST_VERSION))
def test_migrates_forward_from_every_earlier_version(settings, typed_analysis, version):
    path = settings.data_dir / "history.sqlite3"
    conn = _database_at(path, version)
    data = typed_analysis.to_json()
    spoken = spoken_analysis(STORY, QUESTION, wpm=150).to_json()
    if version >= 1:
        # What that release stored: a typed answer, a spoken one, and a failed analysis, in the
        # columns that version had (version 2 filled its metric columns itself).
        for blob, audio in ((data, None), (spoken, "recordings/a.wav")):
            row = {"created_at": "2026-01-05T10:00:00+00:00", "question_id": QUESTION.question_id,
                   "question_text": QUESTION.text, "kind": "behavioral", "audio_path": audio,
                   "transcript": blob["transcript"], "analysis_json": json.dumps(blob),
                   "scores_json": json.dumps(blob["scores"]), "model": "tiny.en"}
            if version >= 2:
                # Only the metric columns version 2 made; version 5 adds the voice ones itself.
                row.update({k: v for k, v in schema.metric_values(Metrics.from_analysis(blob)).items()
                            if k in schema.METRIC_COLUMNS}, target_s=90.0,
                           story="Fraud model" if audio is None else None)
            if version >= 3:  # from version 3 on, coach gives every row its uid as it is written
                row["uid"] = uuid.uuid4().hex
            conn.execute(f"INSERT INTO attempts ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})",
                         list(row.values()))
        conn.execute("INSERT INTO attempts (created_at, question_text, kind, audio_path, analysis_error) VALUES "
                     "('2026-01-06T10:00:00+00:00', 'Q?', 'behavioral', 'recordings/b.wav', 'No speech was heard.')")
        conn.execute("INSERT INTO sessions (started_at, mode) VALUES ('2026-01-05T09:59:00+00:00', 'practice')")
        if version >= 3:
            for table in ("attempts", "sessions"):
                conn.execute(f"UPDATE {table} SET uid = lower(hex(randomblob(16))) WHERE uid IS NULL")
    conn.close()

    with History(settings) as history:
        assert history.db.opened_version == version
        assert _raw(path).execute("PRAGMA user_version").fetchone()[0] == LATEST_VERSION
        attempts = history.attempts(newest_first=False)
        if version == 0:
            assert attempts == []
            return
        typed, spoken_row, failed = attempts
        assert history.attempt(typed.id).analysis == data
        assert typed.metrics == Metrics.from_analysis(data)  # back-filled by the version 2 migration if older
        assert typed.metrics.star_completeness is not None and typed.target_s == 90
        assert spoken_row.metrics.wpm == spoken["pace"]["wpm"] and spoken_row.metrics.spoken
        assert spoken_row.audio_path == settings.data_dir / "recordings" / "a.wav"
        assert failed.analysis_error == "No speech was heard." and not failed.analysed
        uids = {a.uid for a in attempts} | {s.uid for s in history.sessions()}
        assert len(uids) == 4 and all(uids)  # version 3 gave every row a distinct uid
        if version >= 2:
            assert typed.story == "Fraud model"
        # and the upgraded database takes new attempts
        new_id = history.save_attempt(analysis=typed_analysis)
        assert history.attempt(new_id).uid not in uids


def test_an_interrupted_upgrade_leaves_the_old_version_intact(settings, monkeypatch):
    path = settings.data_dir / "history.sqlite3"
    conn = _database_at(path, 1)
    conn.execute("INSERT INTO attempts (created_at, question_text) VALUES ('2026-01-05T10:00:00+00:00', 'Kept?')")
    conn.close()

    def power_cut(conn):
        raise RuntimeError("interrupted")

    monkeypatch.setattr(schema, "MIGRATIONS", [*schema.MIGRATIONS[:2], power_cut])
    with pytest.raises(RuntimeError):
        History(settings)
    conn = _raw(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 1
    columns = {row[1] for row in conn.execute("PRAGMA table_info(attempts)")}
    assert "story" not in columns  # version 2's columns were rolled back with the rest
    assert conn.execute("SELECT question_text FROM attempts").fetchall() == [("Kept?",)]


def test_a_database_from_a_newer_coach_is_refused_untouched(settings):
    path = settings.data_dir / "history.sqlite3"
    conn = _database_at(path, LATEST_VERSION)
    conn.execute("PRAGMA user_version = 99")
    conn.close()
    with pytest.raises(HistoryVersionError, match="newer coach"):
        History(settings)
    assert _raw(path).execute("PRAGMA user_version").fetchone()[0] == 99


# -- corrupt and locked databases -------------------------------------------------------------------


def test_a_file_that_is_not_a_database_is_moved_aside(settings, typed_analysis):
    path = settings.data_dir / "history.sqlite3"
    path.parent.mkdir(parents=True)
    junk = b"this is not SQLite at all " * 200
    path.write_bytes(junk)
    with History(settings) as history:
        assert history.count() == 0
        history.save_attempt(analysis=typed_analysis)
        [notice] = history.notices
    moved = [p for p in settings.data_dir.glob("history.corrupt-*.sqlite3")]
    assert len(moved) == 1 and moved[0].read_bytes() == junk  # moved, never emptied
    assert str(moved[0]) in notice and "damaged" in notice and "new, empty history" in notice


def test_a_database_with_damaged_pages_is_moved_aside(settings, typed_analysis):
    with History(settings) as history:
        for _ in range(30):
            history.save_attempt(analysis=typed_analysis)
    path = settings.data_dir / "history.sqlite3"
    original = path.read_bytes()
    page = 4096
    assert len(original) > 6 * page
    damaged = original[: 3 * page] + b"\xde\xad\xbe\xef" * (page // 4) + original[4 * page:]
    path.write_bytes(damaged)
    with History(settings) as history:
        assert history.count() == 0
        assert "damaged" in history.notices[0]
    [moved] = settings.data_dir.glob("history.corrupt-*.sqlite3")
    assert moved.read_bytes() == damaged


def test_a_locked_database_waits_retries_then_says_so(settings, typed_analysis):
    with History(settings):
        pass  # create it
    holder = _raw(settings.data_dir / "history.sqlite3")
    holder.execute("BEGIN IMMEDIATE")  # another coach in the middle of a write
    try:
        with History(settings, busy_timeout_s=0.1, retries=3) as history:
            started = time.monotonic()
            with pytest.raises(HistoryLockedError) as caught:
                history.save_attempt(analysis=typed_analysis)
            waited = time.monotonic() - started
            assert str(caught.value) == LOCKED_MESSAGE
            assert waited >= 3 * 0.1  # three tries, each waiting out SQLite's busy timeout
            assert history.count() == 0  # reads still work while another process writes
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    with History(settings) as history:
        history.save_attempt(analysis=typed_analysis)
        assert history.count() == 1


def test_a_lock_released_during_the_retries_is_waited_for(settings, typed_analysis):
    with History(settings):
        pass
    holder = sqlite3.connect(settings.data_dir / "history.sqlite3", isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    release = threading.Timer(0.4, lambda: holder.execute("ROLLBACK"))
    release.start()
    with History(settings, busy_timeout_s=0.15, retries=6) as history:
        attempt_id = history.save_attempt(analysis=typed_analysis)
        assert history.attempt(attempt_id).analysed
    release.join()
    holder.close()


def test_a_crash_mid_write_loses_nothing_committed(settings):
    """A process killed inside a transaction: the committed attempts are all there, the half-written one is not."""
    code = f"""
import os
from coach.settings import Settings
from coach.storage import History
from pathlib import Path
history = History(Settings(data_dir=Path({str(settings.data_dir)!r})))
for n in range(5):
    history.save_attempt(question_text=f"committed {{n}}", error="x")
conn = history.db._conn
conn.execute("BEGIN IMMEDIATE")
conn.execute("INSERT INTO attempts (created_at, question_text) VALUES ('2026-01-01T00:00:00+00:00', 'half')")
os._exit(9)
"""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 9, result.stderr
    with History(settings) as history:
        assert sorted(a.question_text for a in history.attempts()) == [f"committed {n}" for n in range(5)]
        assert not history.notices


# -- attempts ---------------------------------------------------------------------------------------


def test_an_attempt_is_kept_when_its_analysis_fails(history, settings):
    audio = write_wav(settings.recordings_dir / "failed.wav")
    attempt_id = history.save_attempt(
        error="No speech was heard in failed.wav; check the microphone and record the answer again.",
        question_id=QUESTION.question_id, question_text=QUESTION.text, kind="behavioral", target_s=90,
        audio_path=audio, model="tiny.en")
    attempt = history.attempt(attempt_id)
    assert not attempt.analysed and attempt.analysis is None
    assert attempt.analysis_error.startswith("No speech was heard")
    assert attempt.audio_path == audio and not attempt.audio_missing
    assert attempt.question_key == QUESTION.question_id and attempt.model == "tiny.en"
    trends = compute_trends(history.attempts())
    assert trends.total == 1 and trends.failed == 1 and trends.analysed == 0


def test_a_real_analysis_round_trips_with_metrics_and_highlights(history, typed_analysis):
    attempt_id = history.save_attempt(analysis=typed_analysis, story="Fraud model false positives")
    attempt = history.attempt(attempt_id)
    assert attempt.analysis == json.loads(json.dumps(typed_analysis.to_json()))
    assert attempt.scores == typed_analysis.coaching.scores
    assert attempt.story == "Fraud model false positives"
    assert attempt.question_id == QUESTION.question_id and attempt.kind == "behavioral"
    m = attempt.metrics
    present = typed_analysis.coaching.star["present"]
    assert m.star_completeness == sum(present.values()) / 4
    assert m.hedge_count == len(typed_analysis.coaching.hedges) >= 1  # "I think"
    assert m.wpm is None and not m.spoken  # typed: no pace
    marked = {(attempt.transcript[h.start_char:h.end_char].lower(), h.kind) for h in attempt.highlights}
    assert ("um", "filler") in marked and ("i think", "hedge") in marked


def test_a_spoken_answer_has_pace_and_fillers_per_minute(history):
    analysis = spoken_analysis(STORY, QUESTION, wpm=170)
    attempt = history.attempt(history.save_attempt(analysis=analysis))
    assert attempt.metrics.spoken and 140 < attempt.metrics.wpm < 200
    assert attempt.metrics.fillers_per_min is not None and attempt.metrics.fillers_per_min > 0
    assert attempt.model == "tiny.en"


def test_sessions_group_attempts(history, typed_analysis):
    session = history.start_session("mock", role="Data Scientist")
    history.save_attempt(analysis=typed_analysis, session_id=session)
    history.end_session(session)
    [stored] = history.sessions()
    assert stored.mode == "mock" and stored.role == "Data Scientist" and stored.ended_at is not None
    assert history.attempts()[0].session_id == session


def test_attempts_filter_by_time_and_question(history, typed_analysis):
    now = datetime.now(UTC)
    for days in (20, 10, 1):
        history.save_attempt(analysis=typed_analysis, created_at=now - timedelta(days=days))
    history.save_attempt(question_text="Another question", error="failed", created_at=now)
    assert len(history.attempts(since=now - timedelta(days=15))) == 3
    newest = [a.question_text for a in history.attempts(limit=2)]
    assert newest == ["Another question", QUESTION.text]
    assert len(history.attempts(question_key=QUESTION.question_id)) == 3
    assert len(history.attempts(question_key="Another question")) == 1


def test_delete_removes_the_recording_too(history, settings, typed_analysis):
    audio = write_wav(settings.recordings_dir / "answer.wav")
    marker = audio.with_name(audio.name + ".recording.json")
    marker.write_text("{}")
    attempt_id = history.save_attempt(analysis=typed_analysis, audio_path=audio)
    deleted = history.delete_attempt(attempt_id)
    assert deleted.audio_removed and not audio.exists() and not marker.exists()
    assert history.count() == 0
    with pytest.raises(CoachError, match="no attempt"):
        history.delete_attempt(attempt_id)


def test_missing_audio_is_reported_not_fatal(history, settings, typed_analysis, tmp_path):
    audio = write_wav(settings.recordings_dir / "gone.wav")
    attempt_id = history.save_attempt(analysis=typed_analysis, audio_path=audio)
    audio.unlink()
    [missing] = history.missing_audio()
    assert missing.id == attempt_id and missing.audio_missing
    assert history.attempt(attempt_id).analysis is not None  # the analysis is still there
    summary = export_history(history, tmp_path / "out.zip")
    assert summary.missing_audio == [attempt_id] and summary.attempts == 1
    with pytest.raises(CoachError, match="no longer on disk"):
        history.reanalyse(attempt_id)
    deleted = history.delete_attempt(attempt_id)
    assert deleted.audio_missing and not deleted.audio_removed


def test_a_recording_outside_the_data_folder_is_never_deleted(history, typed_analysis, tmp_path):
    own = write_wav(tmp_path / "my-own-answer.wav")
    deleted = history.delete_attempt(history.save_attempt(analysis=typed_analysis, audio_path=own))
    assert deleted.audio_kept and own.exists()


def test_save_analysis_copies_the_recording_into_the_data_folder(settings, typed_analysis, tmp_path):
    own = write_wav(tmp_path / "memo.wav")
    attempt_id = save_analysis(settings, typed_analysis, own, story="Fraud model")
    with History(settings) as history:
        attempt = history.attempt(attempt_id)
        assert attempt.audio_path.parent == settings.recordings_dir / "saved"
        assert attempt.audio_path.read_bytes() == own.read_bytes()
        assert attempt.story == "Fraud model"
        history.delete_attempt(attempt_id)
    assert own.exists() and not attempt.audio_path.exists()


def test_save_analysis_keeps_a_failed_analysis(settings):
    attempt_id = save_analysis(settings, None, error="The file is not audio.", question_text="Q?", kind="think_aloud")
    with History(settings) as history:
        attempt = history.attempt(attempt_id)
    assert attempt.analysis_error == "The file is not audio." and attempt.kind == "think_aloud"


def test_reanalyse_a_typed_attempt_whose_analysis_failed(history):
    attempt_id = history.save_attempt(question_id=QUESTION.question_id, question_text=QUESTION.text,
                                      kind="behavioral", target_s=90, transcript=STORY, error="spaCy was missing")
    attempt = history.reanalyse(attempt_id)
    assert attempt.analysed and attempt.analysis_error is None
    assert attempt.analysis["transcript"] == STORY and attempt.metrics.star_completeness is not None
    assert attempt.highlights


def test_reanalyse_without_anything_to_analyse_records_the_error(history):
    attempt_id = history.save_attempt(question_text="Q?", error="first failure")
    with pytest.raises(CoachError, match="neither a recording nor a transcript"):
        history.reanalyse(attempt_id)
    assert "neither a recording" in history.attempt(attempt_id).analysis_error


@pytest.mark.slow
def test_reanalyse_a_recording_with_the_real_model(history, settings, transcriber, spoken_star_answer):
    import shutil

    audio = settings.recordings_dir / "answer.wav"
    audio.parent.mkdir(parents=True)
    shutil.copy(spoken_star_answer, audio)
    attempt_id = history.save_attempt(question_text="Tell me about a project.", kind="behavioral", audio_path=audio,
                                      error="The model could not be loaded.")
    attempt = history.reanalyse(attempt_id, transcriber=transcriber)
    assert attempt.analysed and attempt.analysis_error is None
    assert attempt.metrics.spoken and attempt.metrics.wpm > 80
    assert attempt.model == transcriber.model.name
    assert "holiday season" in attempt.analysis["transcript"].lower()


# -- export and import ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["history.zip", "history.tar.gz"])
def test_export_then_import_round_trips_and_is_idempotent(settings, tmp_path, name):
    with History(settings) as history:
        seed_history(history, 40, audio_dir=settings.recordings_dir, typed_share=0.2, failed_share=0.1, seed=3)
        first = history.attempts()[0].id
        history.save_attempt(analysis=analyse_text(STORY, question=QUESTION), story="Fraud model",
                             session_id=history.start_session("mock"))
        before = {a.uid: history.attempt(a.id) for a in history.attempts()}
        summary = export_history(history, tmp_path / name)
    assert summary.attempts == 41 and summary.audio_files == sum(1 for a in before.values() if a.audio_path)
    assert first in {a.id for a in before.values()}

    elsewhere = Settings(data_dir=tmp_path / "other-machine")
    with History(elsewhere) as restored:
        result = import_history(restored, tmp_path / name)
        assert result.attempts_added == 41 and result.attempts_skipped == 0 and result.sessions_added == 2
        after = {a.uid: restored.attempt(a.id) for a in restored.attempts()}
        assert after.keys() == before.keys()
        for uid, original in before.items():
            copy = after[uid]
            for field in ("created_at", "question_id", "question_text", "kind", "target_s", "transcript", "analysis",
                          "analysis_error", "model", "story", "highlights", "metrics", "scores"):
                assert getattr(copy, field) == getattr(original, field), field
            if original.audio_path is None:
                assert copy.audio_path is None
            else:
                assert copy.audio_path.read_bytes() == original.audio_path.read_bytes()
                assert elsewhere.data_dir in copy.audio_path.parents
        files = sorted((elsewhere.recordings_dir / "imported").iterdir())

        again = import_history(restored, tmp_path / name)
        assert again.attempts_added == 0 and again.attempts_skipped == 41 and again.sessions_added == 0
        assert restored.count() == 41
        assert sorted((elsewhere.recordings_dir / "imported").iterdir()) == files  # no duplicate audio

    with History(settings) as original_history:  # importing into the history it came from adds nothing
        assert import_history(original_history, tmp_path / name).attempts_added == 0
        assert original_history.count() == 41


def test_import_refuses_what_is_not_a_coach_export(history, tmp_path):
    stray = tmp_path / "photos.zip"
    with zipfile.ZipFile(stray, "w") as out:
        out.writestr("cat.jpg", b"meow")
    with pytest.raises(CoachError, match="not a coach export"):
        import_history(history, stray)
    with pytest.raises(CoachError, match="neither a .zip nor a .tar.gz"):
        import_history(history, tmp_path / "history.rar")
    with pytest.raises(CoachError, match="does not exist"):
        import_history(history, tmp_path / "missing.zip")


def _crafted(path: Path, attempts: list[dict], members: dict[str, bytes]) -> Path:
    manifest = {"format": "coach-history-export", "format_version": 1, "sessions": [], "attempts": attempts}
    with tarfile.open(path, "w:gz") as out:
        for name, data in {"history.json": json.dumps(manifest).encode(), **members}.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            out.addfile(info, io.BytesIO(data))
    return path


def test_import_refuses_an_archive_chosen_recording_path_and_writes_nothing(history, settings, tmp_path):
    archive = _crafted(tmp_path / "crafted.tar.gz", [
        {"uid": "b" * 32, "created_at": "2026-01-01T00:00:00+00:00", "question_text": "Q?", "kind": "behavioral",
         "analysis_error": "x", "audio": f"audio/{'b' * 32}.wav"},
        {"uid": "a" * 32, "created_at": "2026-01-01T00:00:00+00:00", "question_text": "Q?", "kind": "behavioral",
         "analysis_error": "x", "audio": "../../evil.wav", "audio_name": "../../evil.wav"},
    ], {"../../evil.wav": b"RIFF", f"audio/{'b' * 32}.wav": b"RIFFdata"})
    with pytest.raises(CoachError, match=r"attempts\[1\]\.audio: not a recording name.*nothing was imported"):
        import_history(history, archive)
    assert history.count() == 0
    assert not [p for p in settings.data_dir.rglob("*") if p.suffix == ".wav"]
    assert not (tmp_path / "evil.wav").exists()


def test_import_names_recordings_by_uid_not_by_the_archive(history, settings, tmp_path):
    archive = _crafted(tmp_path / "crafted.tar.gz", [
        {"uid": "b" * 32, "created_at": "2026-01-01T00:00:00+00:00", "question_text": "Q?", "kind": "behavioral",
         "analysis_error": "x", "audio": f"audio/{'b' * 32}.wav", "audio_name": "../../../escape.wav"},
    ], {f"audio/{'b' * 32}.wav": b"RIFFdata"})
    result = import_history(history, archive)
    assert result.attempts_added == 1 and result.audio_restored == 1
    restored = [p for p in settings.data_dir.rglob("*") if p.is_file() and p.suffix == ".wav"]
    assert restored == [settings.recordings_dir / "imported" / f"{'b' * 32}.wav"]
    assert restored[0].read_bytes() == b"RIFFdata"
    assert not (settings.data_dir.parent / "escape.wav").exists()


# -- issue 10: paths, privacy, odd writes ----------------------------------------------------------


def _mode(path: Path) -> int:
    import os
    import stat

    return stat.S_IMODE(os.stat(path, follow_symlinks=False).st_mode)


def test_a_recording_saved_through_dotdot_is_the_users_and_is_never_deleted(settings, typed_analysis, tmp_path):
    """Issue 10 #4: absolute() keeps "..", so "<data>/recordings/../../mine.wav" looked like coach's own file."""
    mine = write_wav(tmp_path / "mine.wav")
    settings.recordings_dir.mkdir(parents=True)
    sneaky = Path(str(settings.recordings_dir) + "/../" * len(settings.recordings_dir.parts) + str(mine)[1:])
    assert sneaky.resolve() == mine.resolve()
    with History(settings) as history:
        attempt_id = history.save_attempt(analysis=typed_analysis, audio_path=sneaky)
        assert history.attempt(attempt_id).audio_path == mine.resolve()
        deleted = history.delete_attempt(attempt_id)
    assert deleted.audio_kept and not deleted.audio_removed
    assert mine.is_file()


def test_save_analysis_copies_a_dotdot_path_instead_of_adopting_it(settings, typed_analysis, tmp_path):
    mine = write_wav(tmp_path / "answer.wav")
    settings.recordings_dir.mkdir(parents=True)
    sneaky = Path(str(settings.recordings_dir) + "/../" * len(settings.recordings_dir.parts) + str(mine)[1:])
    attempt_id = save_analysis(settings, typed_analysis, sneaky)
    with History(settings) as history:
        stored = history.attempt(attempt_id).audio_path
        assert stored.parent == settings.recordings_dir / "saved"
        assert stored.name == f"{history.attempt(attempt_id).uid}.wav"  # named by the attempt's uid
        history.delete_attempt(attempt_id)
    assert mine.is_file() and not stored.exists()


def test_same_named_recordings_from_two_folders_get_their_own_copies(settings, typed_analysis, tmp_path):
    first = write_wav(tmp_path / "a" / "answer.wav", seconds=1.0)
    second = write_wav(tmp_path / "b" / "answer.wav", seconds=2.0)
    ids = [save_analysis(settings, typed_analysis, path) for path in (first, second)]
    with History(settings) as history:
        stored = [history.attempt(i).audio_path for i in ids]
        assert stored[0] != stored[1]
        assert [p.read_bytes() for p in stored] == [first.read_bytes(), second.read_bytes()]
        history.delete_attempt(ids[0])
    assert stored[1].read_bytes() == second.read_bytes()


def test_the_data_folder_is_private_and_every_file_in_it_too(settings, typed_analysis, tmp_path):
    """Issue 10 #9: the folder was 0755 and recordings, the database and exports 0644."""
    save_analysis(settings, typed_analysis, write_wav(tmp_path / "answer.wav"))
    with History(settings) as history:
        export_history(history, tmp_path / "history.zip")
    assert _mode(settings.data_dir) == 0o700
    for path in settings.data_dir.rglob("*"):
        assert _mode(path) == (0o700 if path.is_dir() else 0o600), path
    assert _mode(tmp_path / "history.zip") == 0o600


def test_an_existing_loose_data_folder_is_tightened_on_open(settings, typed_analysis):
    import os

    with History(settings) as history:
        history.save_attempt(analysis=typed_analysis)
    recordings = settings.recordings_dir / "old"
    recordings.mkdir(parents=True)
    old = write_wav(recordings / "old.wav")
    for path in (settings.data_dir, settings.recordings_dir, recordings):
        os.chmod(path, 0o755)
    for path in (old, settings.data_dir / "history.sqlite3"):
        os.chmod(path, 0o644)
    with History(settings) as history:
        assert history.count() == 1
    for path in [settings.data_dir, *settings.data_dir.rglob("*")]:
        assert _mode(path) == (0o700 if path.is_dir() else 0o600), path


def test_a_locked_database_refuses_the_save_in_one_sentence(settings, typed_analysis, tmp_path):
    from coach.errors import StorageError

    with History(settings):
        pass
    mine = write_wav(tmp_path / "answer.wav")
    holder = _raw(settings.data_dir / "history.sqlite3")
    holder.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(StorageError) as caught:
            save_analysis(settings, typed_analysis, mine)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    message = str(caught.value)
    assert "not saved" in message and message.count(". ") == 0
    assert mine.is_file()
    saved = settings.recordings_dir / "saved"
    assert not saved.exists() or list(saved.iterdir()) == []  # its copy was removed again


def test_a_corrupt_database_moved_aside_by_analyze_save_says_so(settings):
    from tests.conftest import run_coach

    settings.data_dir.mkdir(parents=True)
    (settings.data_dir / "history.sqlite3").write_bytes(b"not a database at all" * 100)
    done = run_coach("analyze", "--text", STORY, "--save")
    assert done.returncode == 0, done.stderr
    notes = [line for line in done.stderr.splitlines() if line.startswith("Note:")]
    assert len(notes) == 1 and "damaged" in notes[0]
    [moved] = settings.data_dir.glob("history.corrupt-*.sqlite3")
    assert str(moved) in notes[0]


def test_a_time_an_older_import_let_through_does_not_break_history(settings, typed_analysis):
    """Issue 10 #7: an imported created_at of "yesterday" made every later `history` and `report` crash."""
    from tests.conftest import run_coach

    with History(settings) as history:
        attempt_id = history.save_attempt(analysis=typed_analysis)
    conn = _raw(settings.data_dir / "history.sqlite3")
    conn.execute("UPDATE attempts SET created_at = 'yesterday' WHERE id = ?", (attempt_id,))
    conn.close()
    for args in (["history"], ["report"], ["history", "--json"]):
        done = run_coach(*args)
        assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr


def test_non_finite_values_never_reach_stored_json(settings, typed_analysis):
    import dataclasses

    question = dataclasses.replace(typed_analysis.question, target_s=float("inf"))
    analysis = dataclasses.replace(typed_analysis, question=question)
    with History(settings) as history:
        attempt_id = history.save_attempt(analysis=analysis, target_s=float("nan"))
        assert history.attempt(attempt_id).target_s is None
    conn = _raw(settings.data_dir / "history.sqlite3")
    for (blob,) in conn.execute("SELECT analysis_json FROM attempts"):
        json.loads(blob, parse_constant=lambda name: pytest.fail(f"{name} stored"))
    conn.close()


def test_save_analysis_takes_the_uid_a_recording_was_named_after(settings, typed_analysis):
    from coach.storage.history import new_uid

    uid = new_uid()
    recording = write_wav(settings.recordings_dir / f"{uid}.wav")
    attempt_id = save_analysis(settings, typed_analysis, recording, uid=uid)
    with History(settings) as history:
        attempt = history.attempt(attempt_id)
    assert attempt.uid == uid and attempt.audio_path == recording  # inside the data folder: not copied
