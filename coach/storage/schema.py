"""The history database's schema and its forward migrations.

The schema version lives in ``PRAGMA user_version``. ``MIGRATIONS[n]`` takes a database from
version ``n`` to ``n + 1``; a migration is never edited once released (a database made by that
release is exactly what the steps up to its version produce), only new ones are appended. All
pending steps run in one transaction with the version bump, so an interrupted upgrade leaves
the database at its old version, intact.

Versions:

1. ``sessions`` and ``attempts``: question, kind, audio, transcript, the full analysis JSON,
   scores, model, time, and the analysis error when it failed.
2. The story rehearsed, the question's target, highlights, and per-attempt metrics in their own
   columns (back-filled from the stored analyses) so trends never parse a thousand JSON blobs;
   an index for per-question lookups.
3. A stable ``uid`` for sessions and attempts (back-filled), so that importing an export twice
   does not duplicate anything.
4. ``parent_id``: a follow-up is stored as a turn of the attempt it follows up, not as another
   attempt at the parent's question. Follow-ups stored before (under the parent's question id,
   with the follow-up's text) are linked to their parent where that is unambiguous.
5. How it sounded: ``pitch_variation`` (Hincks' PVQ) and ``level_dbfs`` (speech level) as
   metric columns, back-filled from the stored analyses' ``voice``.
6. ``note``: the user's own short note on an attempt (written in the TUI), kept through export
   and import.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime

from coach.storage.models import Metrics


def _v1(conn: sqlite3.Connection) -> None:
    conn.execute("""
        CREATE TABLE sessions (
            id INTEGER PRIMARY KEY,
            started_at TEXT NOT NULL,
            ended_at TEXT,
            mode TEXT NOT NULL DEFAULT 'practice',
            role TEXT
        )""")
    conn.execute("""
        CREATE TABLE attempts (
            id INTEGER PRIMARY KEY,
            session_id INTEGER REFERENCES sessions(id) ON DELETE SET NULL,
            created_at TEXT NOT NULL,
            question_id TEXT,
            question_text TEXT,
            kind TEXT NOT NULL DEFAULT 'behavioral',
            audio_path TEXT,
            transcript TEXT,
            analysis_json TEXT,
            scores_json TEXT,
            model TEXT,
            analysis_error TEXT
        )""")
    conn.execute("CREATE INDEX attempts_created_at ON attempts(created_at)")


#: Metric columns added in version 2, with their SQL types; :func:`metric_values` fills them.
METRIC_COLUMNS = {
    "duration_s": "REAL",
    "spoken": "INTEGER",
    "word_count": "INTEGER",
    "wpm": "REAL",
    "fillers_per_min": "REAL",
    "fillers_per_100": "REAL",
    "hedge_count": "INTEGER",
    "hedges_per_100": "REAL",
    "star_completeness": "REAL",
    "star_missing": "TEXT",
    "action_share": "REAL",
    "result_quantified": "INTEGER",
    "length_ratio": "REAL",
    "think_score": "REAL",
    "think_missing": "TEXT",
    "overall": "REAL",
}


#: Metric columns added in version 5 (METRIC_COLUMNS stays as version 2 made it).
VOICE_METRIC_COLUMNS = {"pitch_variation": "REAL", "level_dbfs": "REAL"}
#: Every metric column of the latest version, in column order.
ALL_METRIC_COLUMNS = {**METRIC_COLUMNS, **VOICE_METRIC_COLUMNS}


def metric_values(metrics: Metrics) -> dict[str, object]:
    """The metric columns' values for one attempt (tuples stored comma-separated, bools as 0/1)."""
    out: dict[str, object] = {}
    for name in ALL_METRIC_COLUMNS:
        value = getattr(metrics, name)
        if isinstance(value, tuple):
            value = ",".join(value)
        elif isinstance(value, bool):
            value = int(value)
        out[name] = value
    return out


def _v2(conn: sqlite3.Connection) -> None:
    for column, sql_type in {"story": "TEXT", "target_s": "REAL", "highlights_json": "TEXT",
                             **METRIC_COLUMNS}.items():
        conn.execute(f"ALTER TABLE attempts ADD COLUMN {column} {sql_type}")
    conn.execute("CREATE INDEX attempts_question ON attempts(question_id)")
    # Back-fill from the analyses version 1 stored; a blob that does not parse keeps null metrics
    # rather than failing the whole upgrade.
    rows = conn.execute("SELECT id, analysis_json FROM attempts WHERE analysis_json IS NOT NULL").fetchall()
    names = list(METRIC_COLUMNS)
    assignments = ", ".join(f"{name} = ?" for name in names)
    for attempt_id, blob in rows:
        try:
            data = json.loads(blob)
        except (TypeError, ValueError):
            continue
        values = metric_values(Metrics.from_analysis(data))
        conn.execute(f"UPDATE attempts SET {assignments}, target_s = ? WHERE id = ?",
                     [values[n] for n in names] + [data.get("target_s") or (data.get("length") or {}).get("target_s"),
                                                  attempt_id])


def _v3(conn: sqlite3.Connection) -> None:
    for table in ("sessions", "attempts"):
        conn.execute(f"ALTER TABLE {table} ADD COLUMN uid TEXT")
        conn.execute(f"UPDATE {table} SET uid = lower(hex(randomblob(16))) WHERE uid IS NULL")
        conn.execute(f"CREATE UNIQUE INDEX {table}_uid ON {table}(uid)")


#: Older releases stored a follow-up right after its parent, under the parent's question id with
#: the follow-up's own text; further apart than this, two attempts are not one conversation.
FOLLOW_UP_WINDOW_S = 15 * 60


def _v4(conn: sqlite3.Connection) -> None:
    # SET NULL: a follow-up whose parent is deleted stays in the history as an answer of its own.
    conn.execute("ALTER TABLE attempts ADD COLUMN parent_id INTEGER REFERENCES attempts(id) ON DELETE SET NULL")
    conn.execute("CREATE INDEX attempts_parent ON attempts(parent_id)")
    # An attempt is taken for a follow-up of the attempt just before it when both carry the same
    # bank question id but a different text (a retry repeats the text; a follow-up replaced it),
    # within the window; a follow-up of a follow-up is a turn of the same first answer.
    rows = conn.execute("SELECT id, created_at, question_id, trim(coalesce(question_text, '')) FROM attempts "
                        "ORDER BY created_at, id").fetchall()
    text_of = {row[0]: row[3] for row in rows}
    root_of: dict[int, int] = {}
    for before, after in zip(rows, rows[1:]):
        parent_id, parent_time, parent_question, _ = before
        attempt_id, attempt_time, question_id, text = after
        root = root_of.get(parent_id, parent_id)
        if not question_id or question_id != parent_question or not text or text == text_of[root]:
            continue
        try:
            gap = (_parse(attempt_time) - _parse(parent_time)).total_seconds()
        except ValueError:
            continue
        if 0 <= gap <= FOLLOW_UP_WINDOW_S:
            root_of[attempt_id] = root
    for attempt_id, root in root_of.items():
        conn.execute("UPDATE attempts SET parent_id = ? WHERE id = ?", (root, attempt_id))


def _v5(conn: sqlite3.Connection) -> None:
    for column, sql_type in VOICE_METRIC_COLUMNS.items():
        conn.execute(f"ALTER TABLE attempts ADD COLUMN {column} {sql_type}")
    rows = conn.execute("SELECT id, analysis_json FROM attempts WHERE analysis_json LIKE '%\"voice\"%'").fetchall()
    for attempt_id, blob in rows:
        try:
            metrics = Metrics.from_analysis(json.loads(blob))
        except (TypeError, ValueError, AttributeError):
            continue
        conn.execute("UPDATE attempts SET pitch_variation = ?, level_dbfs = ? WHERE id = ?",
                     (metrics.pitch_variation, metrics.level_dbfs, attempt_id))


def _v6(conn: sqlite3.Connection) -> None:
    conn.execute("ALTER TABLE attempts ADD COLUMN note TEXT")


def _parse(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [_v1, _v2, _v3, _v4, _v5, _v6]
LATEST_VERSION = len(MIGRATIONS)


def user_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def migrate(conn: sqlite3.Connection, target: int = LATEST_VERSION) -> int:
    """Apply the migrations from the database's version up to ``target``.

    Must be called inside a write transaction; the caller commits. Returns the version the
    database had before.
    """
    current = user_version(conn)
    for step in range(current, target):
        MIGRATIONS[step](conn)
    if target > current:
        # PRAGMA does not take parameters; target is an int from this module.
        conn.execute(f"PRAGMA user_version = {int(target)}")
    return current
