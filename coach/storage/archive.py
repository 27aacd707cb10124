"""Export the whole history (rows as JSON, and every recording) to one archive, and import it back.

The archive is a ``.zip`` or ``.tar.gz`` holding ``history.json`` and ``audio/<attempt uid><ext>``.
Sessions and attempts carry a stable ``uid``, so importing the same archive twice (or an export
of a history that already holds some of its attempts) adds nothing the second time.
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
import math
import re
import tarfile
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from coach.errors import CoachError, StorageError
from coach.safe_files import open_atomic, private_dir, storage_error
from coach.storage.history import (
    NOTE_MAX_CHARS,
    History,
    _insert,
    _loads,
    clean_note,
    finite,
    from_db_time,
    now_utc,
    to_db_time,
)
from coach.storage.models import Metrics
from coach.storage.schema import LATEST_VERSION, metric_values

FORMAT = "coach-history-export"
#: Bumped when the archive layout changes incompatibly; an importer refuses newer layouts.
FORMAT_VERSION = 1
MANIFEST = "history.json"
#: A session's or attempt's uid: what :func:`coach.storage.history.new_uid` makes.
UID = re.compile(r"^[0-9a-f]{32}$")
_AUDIO_NAME = re.compile(r"^audio/[0-9a-f]{32}(\.[a-z0-9]{1,8})?$")


@dataclass(frozen=True)
class ExportSummary:
    path: Path
    sessions: int
    attempts: int
    audio_files: int
    #: Ids of attempts whose recording was missing on disk (the rows are exported regardless).
    missing_audio: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class ImportSummary:
    attempts_added: int
    attempts_skipped: int
    sessions_added: int
    audio_restored: int
    #: Recordings the archive should have held but did not (the attempts are imported without audio).
    audio_missing: int = 0


def _archive_kind(path: Path) -> str:
    name = path.name.lower()
    if name.endswith(".zip"):
        return "zip"
    if name.endswith((".tar.gz", ".tgz")):
        return "tar"
    raise CoachError(f"{path.name} is neither a .zip nor a .tar.gz; name the archive history.zip or history.tar.gz.")


def export_history(history: History, archive: Path, *, exclusive: bool = False) -> ExportSummary:
    """Write every session, attempt and recording to ``archive`` (.zip or .tar.gz).

    The archive is written through :func:`coach.safe_files.open_atomic` (a unique, private temp
    file renamed into place), so an interrupted export never leaves a truncated archive under the
    requested name and a symlink planted at any temp name is never followed.

    Args:
        exclusive: never replace an existing ``archive`` (FileExistsError instead).

    Raises:
        StorageError: the archive's folder is missing, full or cannot be written.
        FileExistsError: ``exclusive`` and ``archive`` exists.
    """
    kind = _archive_kind(archive)
    sessions = history.db.read(lambda c: c.execute(
        "SELECT id, uid, started_at, ended_at, mode, role FROM sessions ORDER BY id").fetchall())
    session_uids = {row[0]: row[1] for row in sessions}
    rows = history.db.read(lambda c: c.execute(
        "SELECT id, uid, session_id, created_at, question_id, question_text, kind, target_s, audio_path, transcript, "
        "analysis_json, model, analysis_error, story, highlights_json, parent_id, note "
        "FROM attempts ORDER BY created_at, id").fetchall())
    attempt_uids = {row[0]: row[1] for row in rows}
    attempts: list[dict[str, Any]] = []
    audio: list[tuple[str, Path]] = []
    missing: list[int] = []
    for (attempt_id, uid, session_id, created_at, question_id, question_text, kind_, target_s, stored_audio,
         transcript, analysis_json, model, error, story, highlights_json, parent_id, note) in rows:
        entry: dict[str, Any] = {
            "uid": uid, "session_uid": session_uids.get(session_id), "created_at": created_at,
            "question_id": question_id, "question_text": question_text, "kind": kind_, "target_s": target_s,
            "transcript": transcript, "analysis": _loads(analysis_json), "analysis_error": error, "model": model,
            "story": story, "highlights": _loads(highlights_json), "audio": None, "audio_name": None,
            "parent_uid": attempt_uids.get(parent_id), "note": note,
        }
        path = history.resolve_audio(stored_audio)
        if path is not None:
            entry["audio_name"] = path.name
            if path.is_file() and UID.fullmatch(str(uid)):
                entry["audio"] = f"audio/{uid}{_suffix(path.name)}"
                audio.append((entry["audio"], path))
            else:
                missing.append(attempt_id)
        attempts.append(entry)
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "schema_version": LATEST_VERSION,
        "exported_at": to_db_time(now_utc()),
        "sessions": [{"uid": r[1], "started_at": r[2], "ended_at": r[3], "mode": r[4], "role": r[5]}
                     for r in sessions],
        "attempts": attempts,
    }
    try:
        # finite(): a NaN an older coach stored becomes null rather than invalid JSON.
        data = json.dumps(finite(manifest), ensure_ascii=False, indent=1, allow_nan=False).encode("utf-8")
    except ValueError as exc:
        raise CoachError(f"The history holds a value that cannot be exported ({exc}); run `coach reanalyse` on "
                         "the odd attempt or report this.") from exc
    if not archive.parent.is_dir():
        raise CoachError(f"The folder {archive.parent} does not exist; create it or choose another place for the "
                         "archive.")
    kept = "no archive was written there and your history is unchanged"
    try:
        with open_atomic(archive, exclusive=exclusive, kept=kept) as handle:
            if kind == "zip":
                with zipfile.ZipFile(handle, "w", compression=zipfile.ZIP_DEFLATED) as out:
                    out.writestr(MANIFEST, data)
                    for name, path in audio:
                        out.write(path, name)
            else:
                with tarfile.open(fileobj=handle, mode="w:gz") as out:
                    info = tarfile.TarInfo(MANIFEST)
                    info.size = len(data)
                    info.mtime = int(datetime.now().timestamp())
                    info.mode = 0o600
                    out.addfile(info, io.BytesIO(data))
                    for name, path in audio:
                        out.add(path, arcname=name, recursive=False)
    except (StorageError, FileExistsError):
        raise
    except OSError as exc:
        raise storage_error(exc, archive.parent, kept) from exc
    return ExportSummary(archive, len(sessions), len(attempts), len(audio), missing)


def _suffix(name: str) -> str:
    suffix = Path(name).suffix.lower()
    return suffix if re.fullmatch(r"\.[a-z0-9]{1,8}", suffix) else ""


#: A manifest larger than this is refused before it is parsed (a thousand spoken attempts take ~30 MB).
MAX_MANIFEST_BYTES = 128 * 2**20
#: One recording larger than this is refused (three hours of 16 kHz WAV are ~350 MB).
MAX_AUDIO_BYTES = 2 * 2**30
#: Integers beyond this in the manifest are refused: no count or time in a history is that large,
#: and SQLite cannot store integers past 2**63.
_MAX_INT = 10**15


class _Reader:
    """Reads named members of a zip or tar.gz archive, never extracting by the archive's own paths."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.kind = _archive_kind(path)
        if path.exists() and not path.is_file():
            raise CoachError(f"{path} is not a regular file; give the path of an archive made by `coach export`.")
        try:
            self._archive: Any = zipfile.ZipFile(path) if self.kind == "zip" else tarfile.open(path, "r:gz")
        except FileNotFoundError as exc:
            raise CoachError(f"The archive {path} does not exist.") from exc
        except PermissionError as exc:
            raise CoachError(f"The archive {path} cannot be read (permission refused); check its permissions.") \
                from exc
        except (OSError, EOFError, zipfile.BadZipFile, tarfile.TarError) as exc:
            raise CoachError(f"{path} is not a readable coach export ({_short(exc)}); check the file.") from exc

    def size(self, name: str) -> int:
        """The member's declared size (KeyError when it is missing or not a regular file)."""
        try:
            if self.kind == "zip":
                return int(self._archive.getinfo(name).file_size)
            member = self._archive.getmember(name)
        except (OSError, EOFError, zipfile.BadZipFile, tarfile.TarError) as exc:
            raise self._damaged(exc) from exc
        if not member.isfile():
            raise KeyError(name)
        return int(member.size)

    def has(self, name: str) -> bool:
        try:
            self.size(name)
            return True
        except KeyError:
            return False

    def _open(self, name: str) -> IO[bytes]:
        if self.kind == "zip":
            return self._archive.open(name)
        member = self._archive.getmember(name)
        handle = self._archive.extractfile(member) if member.isfile() else None
        if handle is None:
            raise KeyError(name)
        return handle

    @contextmanager
    def open(self, name: str) -> Iterator[IO[bytes]]:
        handle = self._open(name)
        try:
            yield handle
        finally:
            handle.close()

    def chunks(self, name: str, limit: int) -> Iterator[bytes]:
        """The member's bytes in pieces; more than ``limit`` (a lying size header) is refused."""
        total = 0
        try:
            with self.open(name) as handle:
                while chunk := handle.read(1 << 20):
                    total += len(chunk)
                    if total > limit:
                        raise CoachError(f"{name} in {self.path.name} is larger than {limit // 2**20} MB; "
                                         "nothing was imported.")
                    yield chunk
        except (OSError, EOFError, zlib.error, zipfile.BadZipFile, tarfile.TarError) as exc:
            raise self._damaged(exc) from exc

    def _damaged(self, exc: BaseException) -> CoachError:
        return CoachError(f"{self.path} is damaged ({_short(exc)}); nothing was imported: export the history "
                          "again.")

    def close(self) -> None:
        self._archive.close()


def _short(exc: BaseException) -> str:
    return (str(exc).splitlines() or [type(exc).__name__])[0][:200] or type(exc).__name__


def import_history(history: History, archive: Path) -> ImportSummary:
    """Restore an archive written by :func:`export_history` into ``history``.

    The manifest is checked against a schema (uid format, types, ISO times, finite numbers,
    sizes) before anything is written; one bad value refuses the whole archive. Attempts and
    sessions already present (by uid) are skipped, so importing twice is harmless. Recordings are
    restored into ``<data dir>/recordings/imported/<attempt uid><ext>`` (never a name the archive
    chose). The rows go in one transaction: an interrupted import adds all of them or none, and
    recordings it restored are removed again.

    Raises:
        CoachError: the archive cannot be read, is not a coach export, or holds a bad value.
        StorageError: the data folder is full or cannot be written.
    """
    reader = _Reader(archive)
    try:
        manifest = _read_manifest(reader, archive)
        sessions, attempts = _validate(manifest, archive)
        return _import(history, reader, sessions, attempts)
    finally:
        reader.close()


def _read_manifest(reader: _Reader, archive: Path) -> dict[str, Any]:
    try:
        size = reader.size(MANIFEST)
    except KeyError as exc:
        raise CoachError(f"{archive} holds no {MANIFEST}: it is not a coach export.") from exc
    if size > MAX_MANIFEST_BYTES:
        raise CoachError(f"The {MANIFEST} in {archive} is larger than {MAX_MANIFEST_BYTES // 2**20} MB, more than "
                         "any coach history; nothing was imported.")
    data = b"".join(reader.chunks(MANIFEST, MAX_MANIFEST_BYTES))
    try:
        manifest = json.loads(data.decode("utf-8"), parse_constant=_no_constant, parse_int=_bounded_int,
                              parse_float=_finite_float)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise CoachError(f"The {MANIFEST} in {archive} is damaged ({_short(exc)}); nothing was imported: export the "
                         "history again.") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise CoachError(f"{archive} is not a coach history export.")
    version = manifest.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise CoachError(f"{archive} has no valid format_version; it is not a coach export this coach can read.")
    if version > FORMAT_VERSION:
        raise CoachError(f"{archive} was exported by a newer coach; upgrade coach to import it.")
    return manifest


def _no_constant(name: str) -> float:
    raise ValueError(f"{name} is not a number JSON allows")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"the number {text[:20]} is too large")
    return value


def _bounded_int(text: str) -> int:
    value = int(text)
    if abs(value) > _MAX_INT:
        raise ValueError(f"the number {text[:20]} is too large")
    return value


@functools.cache
def _schema() -> Any:
    """The manifest's schema (pydantic is imported only when an archive is imported)."""
    from typing import Annotated, Literal

    from pydantic import BaseModel, ConfigDict, Field, Strict, StrictInt, StringConstraints, field_validator

    UidStr = Annotated[str, StringConstraints(strict=True, pattern=UID.pattern)]

    def text(limit: int) -> Any:
        return Annotated[str, StringConstraints(strict=True, max_length=limit)]

    class _Entry(BaseModel):
        model_config = ConfigDict(extra="ignore", strict=True)

        @field_validator("started_at", "ended_at", "created_at", check_fields=False)
        @classmethod
        def _iso_time(cls, value: str | None) -> str | None:
            if value is None:
                return None
            try:
                return to_db_time(from_db_time(value))
            except (TypeError, ValueError) as exc:
                raise ValueError(f"{value[:40]!r} is not an ISO 8601 time") from exc

    class SessionEntry(_Entry):
        uid: UidStr
        started_at: text(64) | None = None
        ended_at: text(64) | None = None
        mode: text(40) | None = None
        role: text(200) | None = None

    score = Annotated[float, Field(ge=0, le=100, allow_inf_nan=False)]

    class AnalysisScores(BaseModel):
        model_config = ConfigDict(extra="allow", strict=True)
        scores: dict[text(60), score] | None = None

    class AttemptEntry(_Entry):
        uid: UidStr
        session_uid: UidStr | None = None
        #: The attempt a follow-up is a turn of (archives made before follow-up turns have none).
        parent_uid: UidStr | None = None
        created_at: text(64) | None = None
        question_id: text(200) | None = None
        question_text: text(20_000) | None = None
        kind: Literal["behavioral", "think_aloud", "follow_up"] | None = None
        target_s: Annotated[float, Field(gt=0, le=86_400, allow_inf_nan=False)] | None = None
        transcript: text(2_000_000) | None = None
        analysis: dict[str, Any] | None = None
        analysis_error: text(20_000) | None = None
        model: text(200) | None = None
        story: text(1_000) | None = None
        #: The user's note (archives made before notes have none).
        note: text(NOTE_MAX_CHARS) | None = None
        # JSON has no tuples: the triple arrives as a list, its members are still strict.
        highlights: Annotated[list[Annotated[tuple[StrictInt, StrictInt, text(20)], Strict(False)]],
                              Field(max_length=200_000)] | None = None
        audio: Annotated[str, StringConstraints(strict=True, pattern=_AUDIO_NAME.pattern)] | None = None
        audio_name: text(1_000) | None = None

        @field_validator("analysis")
        @classmethod
        def _analysis(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
            if value is not None:
                AnalysisScores.model_validate(value)
            return value

    class Manifest(BaseModel):
        model_config = ConfigDict(extra="ignore", strict=True)
        sessions: Annotated[list[SessionEntry], Field(max_length=1_000_000)] = []
        attempts: Annotated[list[AttemptEntry], Field(max_length=1_000_000)] = []

    return Manifest


def _validate(manifest: dict[str, Any], archive: Path) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The manifest's sessions and attempts as checked, normalised dicts; CoachError on the first bad value."""
    from pydantic import ValidationError

    def refuse(where: str, what: str) -> CoachError:
        return CoachError(f"{archive.name} is not a valid coach export ({where}: {what}); nothing was imported.")

    try:
        checked = _schema().model_validate(manifest)
    except ValidationError as exc:
        error = exc.errors(include_url=False)[0]
        where = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in error["loc"]).lstrip(".")
        what = str(error["msg"]).rstrip(".").replace("Value error, ", "")
        if error["type"] == "string_pattern_mismatch":
            what = ("not a recording name coach writes (audio/<uid>.<ext>)" if error["loc"][-1] == "audio" else
                    "not a coach uid (32 lowercase hex digits)")
        raise refuse(where or "manifest", what) from exc
    sessions = [s.model_dump() for s in checked.sessions]
    attempts = [a.model_dump() for a in checked.attempts]
    for label, rows in (("sessions", sessions), ("attempts", attempts)):
        seen: set[str] = set()
        for n, row in enumerate(rows):
            if row["uid"] in seen:
                raise refuse(f"{label}[{n}].uid", "the same uid appears twice")
            seen.add(row["uid"])
    for n, entry in enumerate(attempts):
        if entry["audio"] is not None and Path(entry["audio"]).stem != entry["uid"]:
            raise refuse(f"attempts[{n}].audio", "a recording must be named after its attempt's uid")
        try:
            entry["metrics"] = metric_values(Metrics.from_analysis(entry["analysis"]))
            _dumps_strict(entry["analysis"])
        except (TypeError, ValueError, AttributeError, KeyError, ZeroDivisionError, OverflowError) as exc:
            raise refuse(f"attempts[{n}].analysis", f"not an analysis this coach can read ({_short(exc)})") from exc
    return sessions, attempts


def _dumps_strict(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def _import(history: History, reader: _Reader, sessions: list[dict[str, Any]],
            attempts: list[dict[str, Any]]) -> ImportSummary:
    known_attempts = set(history.db.read(lambda c: [r[0] for r in c.execute("SELECT uid FROM attempts")]))
    new_attempts = [a for a in attempts if a["uid"] not in known_attempts]

    # Every recording is looked up (and its size checked) before anything is written.
    wanted: list[dict[str, Any]] = []
    missing = 0
    for entry in new_attempts:
        name = entry["audio"]
        if not name:
            continue
        try:
            size = reader.size(name)
        except KeyError:
            missing += 1
            continue
        if size > MAX_AUDIO_BYTES:
            raise CoachError(f"{name} in {reader.path.name} is larger than {MAX_AUDIO_BYTES // 2**20} MB; nothing "
                             "was imported.")
        wanted.append(entry)

    # Recordings are copied before the rows are written: a row never points at audio that is not
    # there yet. Files created here are removed again if the rows cannot be written.
    created: list[Path] = []
    audio_for: dict[str, Path] = {}
    try:
        if wanted:
            target_dir = private_dir(history.settings.recordings_dir / "imported")
            for entry in wanted:
                path, new = _restore_audio(reader, entry, target_dir)
                audio_for[entry["uid"]] = path
                if new:
                    created.append(path)

        def write(conn) -> tuple[int, int]:
            session_ids = {uid: sid for sid, uid in conn.execute("SELECT id, uid FROM sessions")}
            sessions_added = 0
            for session in sessions:
                if session["uid"] in session_ids:
                    continue
                session_ids[session["uid"]] = _insert(conn, "sessions", {
                    "uid": session["uid"], "started_at": session["started_at"] or to_db_time(now_utc()),
                    "ended_at": session["ended_at"], "mode": session["mode"] or "practice",
                    "role": session["role"]})
                sessions_added += 1
            added = 0
            for entry in new_attempts:
                analysis = entry["analysis"]
                row = {
                    "uid": entry["uid"],
                    "session_id": session_ids.get(entry["session_uid"]),
                    "created_at": entry["created_at"] or to_db_time(now_utc()),
                    "question_id": entry["question_id"],
                    "question_text": entry["question_text"],
                    "kind": entry["kind"] or "behavioral",
                    "target_s": entry["target_s"],
                    "audio_path": history._store_audio_path(audio_for.get(entry["uid"])),
                    "transcript": entry["transcript"],
                    "analysis_json": _dumps_strict(analysis) if analysis is not None else None,
                    "scores_json": _dumps_strict(analysis.get("scores")) if analysis else None,
                    "model": entry["model"],
                    "analysis_error": entry["analysis_error"],
                    "story": entry["story"],
                    "note": clean_note(entry["note"]),
                    "highlights_json": _dumps_strict(entry["highlights"]) if entry["highlights"] else None,
                    # Recomputed rather than trusted: the metrics always match this coach's definitions.
                    **entry["metrics"],
                }
                columns = ", ".join(row)
                marks = ", ".join("?" for _ in row)
                # OR IGNORE: another process may have imported the same attempt since we looked.
                cursor = conn.execute(f"INSERT OR IGNORE INTO attempts ({columns}) VALUES ({marks})",
                                      list(row.values()))
                added += cursor.rowcount
            # Turns are linked once every attempt is in: a parent may be in the archive or already here.
            ids = {uid: attempt_id for attempt_id, uid in conn.execute("SELECT id, uid FROM attempts")}
            for entry in new_attempts:
                parent = ids.get(entry.get("parent_uid"))
                if parent is not None and parent != ids.get(entry["uid"]):
                    conn.execute("UPDATE attempts SET parent_id = ? WHERE uid = ? AND parent_id IS NULL",
                                 (parent, entry["uid"]))
            return sessions_added, added

        sessions_added, added = history.db.write(write)
    except BaseException:
        for path in created:
            path.unlink(missing_ok=True)
        raise
    return ImportSummary(attempts_added=added, attempts_skipped=len(attempts) - added,
                         sessions_added=sessions_added, audio_restored=len(audio_for), audio_missing=missing)


def _restore_audio(reader: _Reader, entry: dict[str, Any], folder: Path) -> tuple[Path, bool]:
    """Copy one recording out of the archive to ``<folder>/<uid><ext>``; return its path and whether
    a new file was made. An identical file already there (an earlier or concurrent import) is reused."""
    name = entry["audio"]
    suffix = _suffix(name)
    kept = "nothing was imported and your history is unchanged"
    for n in range(100):
        target = folder / (f"{entry['uid']}{suffix}" if n == 0 else f"{entry['uid']}-{n}{suffix}")
        digest = hashlib.sha256()
        try:
            with open_atomic(target, exclusive=True, kept=kept) as out:
                for chunk in reader.chunks(name, MAX_AUDIO_BYTES):
                    digest.update(chunk)
                    out.write(chunk)
            return target, True
        except FileExistsError:
            if target.is_file() and not target.is_symlink() and _sha256(target) == digest.hexdigest():
                return target, False
    raise StorageError(f"Could not find a free name for the recording of attempt {entry['uid']} in {folder}; "
                       "nothing was imported.")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()
