"""The history service: every attempt kept, handed to callers as plain dataclasses.

The CLI, the reports and the TUI all go through :class:`History`; none of them sees SQL.
"""

from __future__ import annotations

import json
import math
import re
import sqlite3
import sys
import uuid
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from coach.errors import CoachError, StorageError
from coach.safe_files import copy_atomic, is_private, private_dir, sweep_partials, tighten_tree
from coach.settings import Settings
from coach.storage.db import DB_FILENAME, LOCKED_MESSAGE, Database, HistoryLockedError
from coach.storage.models import (
    Attempt,
    AttemptSummary,
    DeletedAttempt,
    Highlight,
    Metrics,
    Session,
)
from coach.storage.schema import ALL_METRIC_COLUMNS, metric_values

if TYPE_CHECKING:
    from coach.analysis.answer import AnswerAnalysis, QuestionContext
    from coach.speech.transcriber import Transcriber

_SUMMARY_COLUMNS = ("id, uid, session_id, created_at, question_id, question_text, kind, target_s, audio_path, model, "
                    "story, analysis_error, analysis_json IS NOT NULL AS analysed, scores_json, "
                    + ", ".join(ALL_METRIC_COLUMNS) + ", parent_id, note")
_FULL_COLUMNS = _SUMMARY_COLUMNS + ", transcript, analysis_json, highlights_json"
#: A note is a line or two to remember the attempt by, not a diary.
NOTE_MAX_CHARS = 500
#: An attempt at its question, not a follow-up answered under it.
_NOT_A_TURN = "(parent_id IS NULL AND kind != 'follow_up')"


def history_path(settings: Settings) -> Path:
    """Where the history database lives: ``<data dir>/history.sqlite3``."""
    return settings.data_dir / DB_FILENAME


def now_utc() -> datetime:
    return datetime.now(UTC)


def to_db_time(moment: datetime) -> str:
    """Times are stored as UTC ISO 8601 text, so they sort as strings and read back unambiguously."""
    if moment.tzinfo is None:
        moment = moment.astimezone()  # a naive time is the user's local time
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


#: Shown for a time a history imported by an older coach stored unparsed ("yesterday").
UNKNOWN_TIME = datetime(1970, 1, 1, tzinfo=UTC)


def from_db_time(text: str) -> datetime:
    """Raises ValueError on text that is not ISO 8601 (see :func:`stored_time` for rows)."""
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def stored_time(text: str | None) -> datetime:
    """A stored time; one the import of an older coach let through unchecked reads as 1970, never a crash."""
    try:
        return from_db_time(str(text))
    except ValueError:
        return UNKNOWN_TIME


class History:
    """The user's sessions and attempts in ``<data dir>/history.sqlite3``.

    Opening migrates an older database forward and moves a damaged one aside (see
    :attr:`notices`). Use as a context manager, or call :meth:`close`.

    Args:
        settings: where the data folder is, and how re-analysis transcribes.
        path: another database file (tests, benchmarks); default ``<data dir>/history.sqlite3``.
        busy_timeout_s, retries: how long to wait for another coach's lock (see :class:`Database`).
        read_only_ok: when the folder cannot be written (a read-only disk), open the history for
            reading instead of failing (the listing and report commands).

    Raises:
        HistoryLockedError: another process kept the database locked through every retry.
        HistoryVersionError: the database comes from a newer coach.
    """

    def __init__(self, settings: Settings, *, path: Path | None = None, busy_timeout_s: float = 2.0,
                 retries: int = 3, read_only_ok: bool = False) -> None:
        self.settings = settings
        self.path = path or history_path(settings)
        # A data folder an older coach made readable by everyone is made private once, files and all.
        loose = settings.data_dir.is_dir() and not is_private(settings.data_dir)
        self.db = Database(self.path, busy_timeout_s=busy_timeout_s, retries=retries, read_only_ok=read_only_ok)
        if not self.db.read_only:
            if loose:
                tighten_tree(settings.data_dir)
            # A coach killed mid-write leaves its unique temp file behind; old ones are cleared here.
            for folder in (settings.data_dir, settings.recordings_dir / "saved", settings.recordings_dir / "imported"):
                sweep_partials(folder)

    @property
    def notices(self) -> list[str]:
        """Sentences the user must be shown (a damaged database moved aside)."""
        return self.db.notices

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> History:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- audio paths -------------------------------------------------------------------------

    def _store_audio_path(self, path: Path | None) -> str | None:
        """Recordings inside the data folder are stored relative to it, so the folder can move."""
        if path is None:
            return None
        # resolve(), not absolute(): "recordings/../../home/me/answer.wav" is outside the folder.
        path = Path(path).expanduser().resolve()
        try:
            return path.relative_to(self.settings.data_dir.resolve()).as_posix()
        except ValueError:
            return str(path)

    def resolve_audio(self, stored: str | None) -> Path | None:
        if not stored:
            return None
        path = Path(stored)
        return path if path.is_absolute() else self.settings.data_dir / path

    def _inside_data_dir(self, path: Path) -> bool:
        """Decided on resolved paths: ``..`` and symlinks cannot make the user's own file look like ours."""
        try:
            Path(path).expanduser().resolve().relative_to(self.settings.data_dir.resolve())
            return True
        except ValueError:
            return False

    # -- sessions ----------------------------------------------------------------------------

    def start_session(self, mode: str = "practice", role: str | None = None,
                      started_at: datetime | None = None) -> int:
        """Open a session (a practice sitting, a mock round, ``analyze``) and return its id."""
        stamp = to_db_time(started_at or now_utc())
        return self.db.write(lambda c: c.execute(
            "INSERT INTO sessions (uid, started_at, mode, role) VALUES (?, ?, ?, ?)",
            (new_uid(), stamp, mode, role)).lastrowid)

    def end_session(self, session_id: int, ended_at: datetime | None = None) -> None:
        stamp = to_db_time(ended_at or now_utc())
        self.db.write(lambda c: c.execute("UPDATE sessions SET ended_at = ? WHERE id = ?", (stamp, session_id)))

    def sessions(self) -> list[Session]:
        rows = self.db.read(lambda c: c.execute(
            "SELECT id, uid, started_at, ended_at, mode, role FROM sessions ORDER BY started_at").fetchall())
        return [Session(r[0], r[1], stored_time(r[2]), stored_time(r[3]) if r[3] else None, r[4], r[5])
                for r in rows]

    # -- attempts ----------------------------------------------------------------------------

    def save_attempt(
        self,
        *,
        analysis: AnswerAnalysis | None = None,
        error: str | None = None,
        question_id: str | None = None,
        question_text: str | None = None,
        kind: str | None = None,
        target_s: float | None = None,
        audio_path: Path | None = None,
        transcript: str | None = None,
        story: str | None = None,
        model: str | None = None,
        session_id: int | None = None,
        created_at: datetime | None = None,
        uid: str | None = None,
        parent_id: int | None = None,
    ) -> int:
        """Store one attempt and return its id. An attempt is kept even when its analysis failed.

        Args:
            analysis: the analysis, or None when it failed (give ``error`` then).
            error: why the analysis failed, in the user's words (the ``CoachError`` message).
            question_id, question_text, kind, target_s, transcript, model: taken from ``analysis``
                when not given.
            audio_path: the recording, or None for a typed answer.
            story: the title (or id) of the STAR story rehearsed with this answer, if any.
            session_id: the session it belongs to, from :meth:`start_session`.
            created_at: when the answer was given (default now).
            uid: the attempt's stable id (default a new one); :func:`save_analysis` names the
                recording after it.
            parent_id: for a follow-up, the attempt it follows up: it is stored as a turn of
                that answer, not as another attempt at the parent's question.
        """
        data = analysis.to_json() if analysis is not None else None
        if analysis is not None:
            question = analysis.question
            question_id = question_id or question.question_id
            question_text = question_text or question.text
            kind = kind or question.kind
            target_s = target_s or question.target_s or (data.get("length") or {}).get("target_s")
            transcript = transcript if transcript is not None else analysis.transcript
            model = model or (analysis.model.name if analysis.model else None)
        row: dict[str, Any] = {
            "uid": uid or new_uid(),
            "session_id": session_id,
            "created_at": to_db_time(created_at or now_utc()),
            "question_id": question_id,
            "question_text": question_text,
            "kind": kind or "behavioral",
            "target_s": finite(float(target_s)) if target_s is not None else None,
            "audio_path": self._store_audio_path(audio_path),
            "transcript": transcript,
            "analysis_json": _dumps(data) if data is not None else None,
            "scores_json": _dumps(data.get("scores")) if data else None,
            "model": model,
            "analysis_error": error if analysis is None else None,
            "story": story,
            "highlights_json": _dumps(_highlights(analysis)) if analysis is not None else None,
            "parent_id": int(parent_id) if parent_id is not None else None,
            **metric_values(Metrics.from_analysis(data)),
        }
        return self.db.write(lambda c: _insert(c, "attempts", row))

    def set_note(self, attempt_id: int, note: str | None) -> str | None:
        """Keep the user's note on an attempt (an empty one removes it); returns the note as stored.

        Raises:
            CoachError: no such attempt, or a note longer than :data:`NOTE_MAX_CHARS`.
        """
        text = clean_note(note)
        if text is not None and len(text) > NOTE_MAX_CHARS:
            raise CoachError(f"A note holds at most {NOTE_MAX_CHARS} characters; this one has {len(text)}. "
                             "Shorten it and save again.")
        self._update(attempt_id, {"note": text})
        return text

    def update_analysis(self, attempt_id: int, analysis: AnswerAnalysis) -> None:
        """Replace an attempt's analysis (after re-analysis), clearing any earlier error."""
        data = analysis.to_json()
        values: dict[str, Any] = {
            "analysis_json": _dumps(data),
            "scores_json": _dumps(data.get("scores")),
            "transcript": analysis.transcript,
            "model": analysis.model.name if analysis.model else None,
            "analysis_error": None,
            "highlights_json": _dumps(_highlights(analysis)),
            **metric_values(Metrics.from_analysis(data)),
        }
        if analysis.question.target_s:
            values["target_s"] = analysis.question.target_s
        self._update(attempt_id, values)

    def record_error(self, attempt_id: int, error: str) -> None:
        """Note why an attempt's (re-)analysis failed."""
        self._update(attempt_id, {"analysis_error": error})

    def _update(self, attempt_id: int, values: dict[str, Any]) -> None:
        assignments = ", ".join(f"{name} = ?" for name in values)

        def update(c: sqlite3.Connection) -> int:
            return c.execute(f"UPDATE attempts SET {assignments} WHERE id = ?",
                             [*values.values(), attempt_id]).rowcount

        if not self.db.write(update):
            raise _no_attempt(attempt_id)

    def attempt(self, attempt_id: int) -> Attempt:
        """One attempt in full.

        Raises:
            CoachError: there is no such attempt.
        """
        row = self.db.read(lambda c: c.execute(f"SELECT {_FULL_COLUMNS} FROM attempts WHERE id = ?",
                                               (attempt_id,)).fetchone())
        if row is None:
            raise _no_attempt(attempt_id)
        return self._full(row)

    def attempts(self, *, since: datetime | None = None, until: datetime | None = None, limit: int | None = None,
                 question_key: str | None = None, newest_first: bool = True) -> list[AttemptSummary]:
        """Attempts without their transcripts and analyses (fast: for lists and trends).

        Args:
            since, until: only attempts given from ``since`` (inclusive) up to ``until`` (exclusive).
            limit: at most this many.
            question_key: only attempts at this question (a bank id, or the question's text);
                follow-ups asked under it are turns of those attempts, not attempts at it.
            newest_first: order by time, newest first (else oldest first).
        """
        where, params = [], []
        if since is not None:
            where.append("created_at >= ?")
            params.append(to_db_time(since))
        if until is not None:
            where.append("created_at < ?")
            params.append(to_db_time(until))
        if question_key is not None:
            where.append("(question_id = ? OR (question_id IS NULL AND trim(question_text) = ?))")
            where.append(_NOT_A_TURN)
            params += [question_key, question_key]
        sql = f"SELECT {_SUMMARY_COLUMNS} FROM attempts"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += f" ORDER BY created_at {'DESC' if newest_first else 'ASC'}, id {'DESC' if newest_first else 'ASC'}"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(int(limit))
        rows = self.db.read(lambda c: c.execute(sql, params).fetchall())
        return [self._summary(row) for row in rows]

    def turns(self, attempt_id: int) -> list[AttemptSummary]:
        """The follow-ups answered after an attempt, in the order they were given."""
        rows = self.db.read(lambda c: c.execute(
            f"SELECT {_SUMMARY_COLUMNS} FROM attempts WHERE parent_id = ? ORDER BY created_at, id",
            (attempt_id,)).fetchall())
        return [self._summary(row) for row in rows]

    def follow_up_answers(self, question_text: str) -> list[AttemptSummary]:
        """Every answer to a follow-up asked in these words (case and spacing aside), oldest first:
        what one answer to a follow-up is compared with."""
        rows = self.db.read(lambda c: c.execute(
            f"SELECT {_SUMMARY_COLUMNS} FROM attempts WHERE NOT {_NOT_A_TURN} ORDER BY created_at, id").fetchall())
        wanted = _same_words(question_text)
        return [a for a in map(self._summary, rows) if _same_words(a.question_text) == wanted]

    def recent_transcripts(self, limit: int = 20, *, since: datetime | None = None) -> list[str]:
        """The transcripts of the latest ``limit`` analysed answers (from ``since``), newest first:
        what habits are found in."""
        sql = ("SELECT transcript FROM attempts WHERE analysis_json IS NOT NULL AND trim(coalesce(transcript, '')) != ''"
               + (" AND created_at >= ?" if since is not None else "") + " ORDER BY created_at DESC, id DESC LIMIT ?")
        params = ([to_db_time(since)] if since is not None else []) + [int(limit)]
        return [row[0] for row in self.db.read(lambda c: c.execute(sql, params).fetchall())]

    def count(self) -> int:
        return self.db.read(lambda c: c.execute("SELECT count(*) FROM attempts").fetchone()[0])

    def missing_audio(self) -> list[AttemptSummary]:
        """Attempts whose recording is no longer on disk (reported, never fatal)."""
        return [a for a in self.attempts() if a.audio_missing]

    def delete_attempt(self, attempt_id: int) -> DeletedAttempt:
        """Delete an attempt and its recording.

        A recording outside coach's data folder (the user's own file, saved without copying) is
        left in place and reported as kept.

        Raises:
            CoachError: there is no such attempt.
        """
        stored = self.db.read(lambda c: c.execute("SELECT audio_path FROM attempts WHERE id = ?",
                                                  (attempt_id,)).fetchone())
        if stored is None:
            raise _no_attempt(attempt_id)
        audio = self.resolve_audio(stored[0])
        self.db.write(lambda c: c.execute("DELETE FROM attempts WHERE id = ?", (attempt_id,)))
        # The row goes first: a crash in between leaves an orphan file, never a row pointing nowhere.
        if audio is None:
            return DeletedAttempt(attempt_id, None, audio_removed=False, audio_missing=False)
        if not audio.is_file():
            return DeletedAttempt(attempt_id, audio, audio_removed=False, audio_missing=True)
        if not self._inside_data_dir(audio):
            return DeletedAttempt(attempt_id, audio, audio_removed=False, audio_missing=False, audio_kept=True)
        audio.unlink()
        # A recording interrupted before it was finished keeps a sidecar; it goes with the audio.
        audio.with_name(audio.name + ".recording.json").unlink(missing_ok=True)
        return DeletedAttempt(attempt_id, audio, audio_removed=True, audio_missing=False)

    def reanalyse(self, attempt_id: int, model: str | None = None, *, transcriber: Transcriber | None = None,
                  on_progress: Callable[[str, float], None] | None = None) -> Attempt:
        """Analyse an attempt again, from its recording (optionally with another Whisper model) or,
        for a typed answer, from its transcript; the stored analysis is replaced.

        Raises:
            CoachError: no such attempt, its recording is missing, or the analysis fails (the
                error is then recorded on an attempt that has no analysis yet).
        """
        attempt = self.attempt(attempt_id)
        context = self._question_context(attempt)
        from coach.analysis.answer import analyse_file, analyse_text, transcriber_for

        try:
            if attempt.audio_path is not None:
                if not attempt.audio_path.is_file():
                    raise CoachError(f"The recording of attempt {attempt_id} is no longer on disk "
                                     f"({attempt.audio_path}), so it cannot be analysed again.")
                transcriber = transcriber or transcriber_for(self.settings, model)
                analysis = analyse_file(attempt.audio_path, self.settings, transcriber=transcriber,
                                        question=context, on_progress=on_progress)
            elif attempt.transcript:
                analysis = analyse_text(attempt.transcript, question=context)
            else:
                raise CoachError(f"Attempt {attempt_id} has neither a recording nor a transcript to analyse.")
        except CoachError as exc:
            if not attempt.analysed:
                self.record_error(attempt_id, str(exc))
            raise
        self.update_analysis(attempt_id, analysis)
        return self.attempt(attempt_id)

    def _question_context(self, attempt: AttemptSummary) -> QuestionContext:
        """The question as the analysis needs it; a bank question also brings its concepts and follow-ups."""
        from coach.analysis.answer import QuestionContext

        if attempt.kind == "follow_up":  # judged as the follow-up it was, not as the bank question
            concepts: tuple[str, ...] = ()
            if attempt.question_id:
                from coach.questions.bank import find_question, load_questions

                try:
                    concepts = find_question(load_questions(self.settings.data_dir / "questions"),
                                             attempt.question_id).concepts
                except CoachError:
                    pass  # a question since removed from the bank: the follow-up's own text still stands
            return QuestionContext(text=attempt.question_text, kind="follow_up", target_s=attempt.target_s,
                                   concepts=concepts, question_id=attempt.question_id)
        if attempt.question_id:
            from coach.questions.bank import find_question, load_questions

            try:
                question = find_question(load_questions(self.settings.data_dir / "questions"), attempt.question_id)
            except CoachError:
                question = None  # a question since removed from the bank: fall back to what was stored
            if question is not None:
                return QuestionContext(text=question.text, kind=question.kind,  # type: ignore[arg-type]
                                       target_s=question.target_s, concepts=question.concepts,
                                       follow_ups=question.follow_ups, question_id=question.id)
        return QuestionContext(text=attempt.question_text, kind=attempt.kind,  # type: ignore[arg-type]
                               target_s=attempt.target_s, question_id=attempt.question_id)

    # -- rows to records ---------------------------------------------------------------------

    def _summary(self, row: sqlite3.Row | tuple) -> AttemptSummary:
        return AttemptSummary(**self._summary_fields(row))

    def _summary_fields(self, row: Iterable[Any]) -> dict[str, Any]:
        values = list(row)
        (attempt_id, uid, session_id, created_at, question_id, question_text, kind, target_s, audio_path, model,
         story, error, analysed, scores_json) = values[:14]
        metric_row = dict(zip(ALL_METRIC_COLUMNS, values[14:14 + len(ALL_METRIC_COLUMNS)]))
        parent_id, note = values[14 + len(ALL_METRIC_COLUMNS):16 + len(ALL_METRIC_COLUMNS)]
        return {
            "id": attempt_id, "uid": uid, "session_id": session_id, "created_at": stored_time(created_at),
            "question_id": question_id, "question_text": question_text, "kind": kind, "target_s": target_s,
            "audio_path": self.resolve_audio(audio_path), "model": model, "story": story,
            "analysis_error": error, "analysed": bool(analysed), "metrics": _metrics(metric_row),
            "scores": json.loads(scores_json) if scores_json else {},
            "parent_id": parent_id, "note": note,
        }

    def _full(self, row: tuple) -> Attempt:
        fields = self._summary_fields(row)
        transcript, analysis_json, highlights_json = row[-3:]
        analysis = _loads(analysis_json)
        highlights = tuple(Highlight(int(h[0]), int(h[1]), str(h[2])) for h in (_loads(highlights_json) or []))
        return Attempt(**fields, transcript=transcript, analysis=analysis, highlights=highlights)


def clean_note(note: str | None) -> str | None:
    """A note as stored: on one line, no control characters, None when empty."""
    from coach.process import printable

    return printable(note) or None


def _same_words(text: str | None) -> str:
    return " ".join((text or "").split()).casefold()


def new_uid() -> str:
    """A session's or attempt's stable id: 32 lowercase hex digits (what the import schema accepts)."""
    return uuid.uuid4().hex


def _no_attempt(attempt_id: int) -> CoachError:
    return CoachError(f"There is no attempt {attempt_id}; `coach history` lists them with their ids.")


def finite(value: Any) -> Any:
    """``value`` with every NaN or infinity (nested too) made None: stored JSON is always valid JSON."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [finite(v) for v in value]
    return value


def _dumps(value: Any) -> str:
    return json.dumps(finite(value), ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def _loads(text: str | None) -> Any:
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None


def _insert(conn: sqlite3.Connection, table: str, row: dict[str, Any]) -> int:
    columns = ", ".join(row)
    marks = ", ".join("?" for _ in row)
    return int(conn.execute(f"INSERT INTO {table} ({columns}) VALUES ({marks})", list(row.values())).lastrowid)


def _metrics(row: dict[str, Any]) -> Metrics:
    values = dict(row)
    for name in ("star_missing", "think_missing"):
        values[name] = tuple(p for p in (values[name] or "").split(",") if p)
    values["spoken"] = bool(values["spoken"])
    if values["result_quantified"] is not None:
        values["result_quantified"] = bool(values["result_quantified"])
    return Metrics(**values)


def _highlights(analysis: AnswerAnalysis | None) -> list[tuple[int, int, str]]:
    """Character ranges of fillers and hedges in the transcript (the JSON keeps only their times)."""
    if analysis is None or analysis.coaching is None:
        return []
    marks = [(p.start_char, p.end_char, "filler") for p in analysis.coaching.fillers if p.start_char >= 0]
    marks += [(p.start_char, p.end_char, "hedge") for p in analysis.coaching.hedges if p.start_char >= 0]
    return sorted(marks)


def save_analysis(settings: Settings, analysis: AnswerAnalysis | None, audio_path: Path | None = None, *,
                  error: str | None = None, story: str | None = None, session_id: int | None = None,
                  copy_audio: bool = True, on_notice: Callable[[str], None] | None = None, uid: str | None = None,
                  **fields: Any) -> int:
    """Store one analysed answer (``coach analyze --save``, or the TUI after feedback); return its id.

    A recording outside the data folder is copied into ``<data dir>/recordings/saved/<uid><ext>``
    first (named by the attempt's uid, so two answers called ``answer.wav`` never share a file),
    so the history owns what it may later delete or export, and the user's own file is never
    touched. When the attempt cannot be stored the copy is removed again.

    Args:
        settings: the settings (where the data folder is).
        analysis: the analysis, or None when it failed (give ``error``, and the question in ``fields``).
        audio_path: the recording, if the answer was spoken.
        error: why the analysis failed.
        story: the story rehearsed, if any.
        session_id: the session it belongs to.
        copy_audio: copy a recording from outside the data folder (default True).
        on_notice: told what the user must know (a damaged database moved aside); default: a
            ``Note:`` line on stderr.
        uid: the attempt's uid, when the recording was already named after it (the practice
            session); default a new one.
        fields: further :meth:`History.save_attempt` keywords (question_id, question_text, kind, ...).

    Raises:
        StorageError: the disk is full, the folder cannot be written, or the database stayed
            locked; the sentence says the attempt was not saved.
    """
    def tell(notice: str) -> None:
        print(f"Note: {notice}", file=sys.stderr)

    uid = uid or new_uid()
    copied: Path | None = None
    try:
        with History(settings) as history:
            for notice in history.notices:
                (on_notice or tell)(notice)
            if audio_path is not None and copy_audio and not history._inside_data_dir(Path(audio_path)):
                copied = _copy_into(Path(audio_path), settings.recordings_dir / "saved", uid)
                audio_path = copied
            return history.save_attempt(analysis=analysis, error=error, audio_path=audio_path, story=story,
                                        session_id=session_id, uid=uid, **fields)
    except HistoryLockedError as exc:
        _discard(copied)
        raise HistoryLockedError(LOCKED_MESSAGE.replace("; close it", ", so this attempt was not saved; close it")) \
            from exc
    except BaseException:
        _discard(copied)
        raise


def _discard(path: Path | None) -> None:
    if path is not None:
        try:
            path.unlink()
        except OSError:
            pass  # an orphan copy in the data folder; the user's own file is untouched either way


def _copy_into(source: Path, folder: Path, uid: str) -> Path:
    if not source.is_file():
        raise CoachError(f"The recording {source} does not exist, so it cannot be saved with the attempt.")
    private_dir(folder)
    suffix = source.suffix.lower() if re.fullmatch(r"\.[a-z0-9]{1,8}", source.suffix.lower()) else ""
    target = folder / f"{uid}{suffix}"
    try:
        return copy_atomic(source, target, exclusive=True,
                           kept="the attempt was not saved and your recording is untouched")
    except FileExistsError as exc:  # a uuid4 collision: never overwrite
        raise StorageError(f"{target} already exists; save the answer again.") from exc
    except OSError as exc:
        raise CoachError(f"The recording {source} cannot be read ({exc.strerror or exc}); check the file.") from exc
