"""Export the whole history (rows as JSON, and every recording) to one archive, and import it back.

The archive is a ``.zip`` or ``.tar.gz`` holding ``history.json`` and ``audio/<attempt uid><ext>``.
Sessions and attempts carry a stable ``uid``, so importing the same archive twice (or an export
of a history that already holds some of its attempts) adds nothing the second time.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import shutil
import tarfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from coach.errors import CoachError
from coach.storage.history import History, _dumps, _insert, _loads, now_utc, to_db_time
from coach.storage.models import Metrics
from coach.storage.schema import LATEST_VERSION, metric_values

FORMAT = "coach-history-export"
#: Bumped when the archive layout changes incompatibly; an importer refuses newer layouts.
FORMAT_VERSION = 1
MANIFEST = "history.json"
_AUDIO_NAME = re.compile(r"^audio/[0-9a-f]{8,64}(\.[A-Za-z0-9]{1,8})?$")


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


def export_history(history: History, archive: Path) -> ExportSummary:
    """Write every session, attempt and recording to ``archive`` (.zip or .tar.gz).

    The archive is written to a temporary name and renamed when complete, so an interrupted
    export never leaves a truncated archive under the requested name.
    """
    kind = _archive_kind(archive)
    sessions = history.db.read(lambda c: c.execute(
        "SELECT id, uid, started_at, ended_at, mode, role FROM sessions ORDER BY id").fetchall())
    session_uids = {row[0]: row[1] for row in sessions}
    rows = history.db.read(lambda c: c.execute(
        "SELECT id, uid, session_id, created_at, question_id, question_text, kind, target_s, audio_path, transcript, "
        "analysis_json, model, analysis_error, story, highlights_json "
        "FROM attempts ORDER BY created_at, id").fetchall())
    attempts: list[dict[str, Any]] = []
    audio: list[tuple[str, Path]] = []
    missing: list[int] = []
    for (attempt_id, uid, session_id, created_at, question_id, question_text, kind_, target_s, stored_audio,
         transcript, analysis_json, model, error, story, highlights_json) in rows:
        entry: dict[str, Any] = {
            "uid": uid, "session_uid": session_uids.get(session_id), "created_at": created_at,
            "question_id": question_id, "question_text": question_text, "kind": kind_, "target_s": target_s,
            "transcript": transcript, "analysis": _loads(analysis_json), "analysis_error": error, "model": model,
            "story": story, "highlights": _loads(highlights_json), "audio": None, "audio_name": None,
        }
        path = history.resolve_audio(stored_audio)
        if path is not None:
            entry["audio_name"] = path.name
            if path.is_file():
                entry["audio"] = f"audio/{uid}{path.suffix.lower()}"
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
    data = json.dumps(manifest, ensure_ascii=False, indent=1).encode("utf-8")
    archive.parent.mkdir(parents=True, exist_ok=True)
    partial = archive.with_name(archive.name + ".partial")
    try:
        if kind == "zip":
            with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as out:
                out.writestr(MANIFEST, data)
                for name, path in audio:
                    out.write(path, name)
        else:
            with tarfile.open(partial, "w:gz") as out:
                info = tarfile.TarInfo(MANIFEST)
                info.size = len(data)
                info.mtime = int(datetime.now().timestamp())
                out.addfile(info, io.BytesIO(data))
                for name, path in audio:
                    out.add(path, arcname=name, recursive=False)
        partial.replace(archive)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise CoachError(f"The archive {archive} could not be written ({exc.strerror or exc}); "
                         "check the folder and free space.") from exc
    return ExportSummary(archive, len(sessions), len(attempts), len(audio), missing)


class _Reader:
    """Reads named members of a zip or tar.gz archive, never extracting by the archive's own paths."""

    def __init__(self, path: Path) -> None:
        self.kind = _archive_kind(path)
        try:
            self._archive: Any = zipfile.ZipFile(path) if self.kind == "zip" else tarfile.open(path, "r:gz")
        except FileNotFoundError as exc:
            raise CoachError(f"The archive {path} does not exist.") from exc
        except (OSError, zipfile.BadZipFile, tarfile.TarError) as exc:
            raise CoachError(f"{path} is not a readable coach export ({exc}); check the file.") from exc

    def has(self, name: str) -> bool:
        try:
            self._open(name).close()
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

    def close(self) -> None:
        self._archive.close()


def import_history(history: History, archive: Path) -> ImportSummary:
    """Restore an archive written by :func:`export_history` into ``history``.

    Attempts and sessions already present (by uid) are skipped, so importing twice is harmless.
    Recordings are restored into ``<data dir>/recordings/imported/``. The rows go in one
    transaction: an interrupted import adds all of them or none.

    Raises:
        CoachError: the archive cannot be read, or is not a coach export.
    """
    reader = _Reader(archive)
    try:
        try:
            with reader.open(MANIFEST) as handle:
                manifest = json.loads(handle.read().decode("utf-8"))
        except KeyError as exc:
            raise CoachError(f"{archive} holds no {MANIFEST}: it is not a coach export.") from exc
        except (ValueError, UnicodeDecodeError) as exc:
            raise CoachError(f"The {MANIFEST} in {archive} is damaged ({exc}); export the history again.") from exc
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
            raise CoachError(f"{archive} is not a coach history export.")
        if int(manifest.get("format_version", 0)) > FORMAT_VERSION:
            raise CoachError(f"{archive} was exported by a newer coach; upgrade coach to import it.")
        return _import(history, reader, manifest)
    finally:
        reader.close()


def _import(history: History, reader: _Reader, manifest: dict[str, Any]) -> ImportSummary:
    sessions = [s for s in manifest.get("sessions", []) if isinstance(s, dict) and s.get("uid")]
    attempts = [a for a in manifest.get("attempts", []) if isinstance(a, dict) and a.get("uid")]
    known_attempts = set(history.db.read(lambda c: [r[0] for r in c.execute("SELECT uid FROM attempts")]))
    new_attempts = [a for a in attempts if a["uid"] not in known_attempts]

    # Recordings are copied before the rows are written: a row never points at audio that is not
    # there yet. Files created here are removed again if the rows cannot be written.
    created: list[Path] = []
    audio_for: dict[str, Path] = {}
    missing = 0
    target_dir = history.settings.recordings_dir / "imported"
    try:
        for entry in new_attempts:
            name = entry.get("audio")
            if not name:
                continue
            if not (isinstance(name, str) and _AUDIO_NAME.match(name) and reader.has(name)):
                missing += 1
                continue
            path, new = _restore_audio(reader, name, entry, target_dir)
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
                    "uid": session["uid"], "started_at": session.get("started_at") or to_db_time(now_utc()),
                    "ended_at": session.get("ended_at"), "mode": session.get("mode") or "practice",
                    "role": session.get("role")})
                sessions_added += 1
            added = 0
            for entry in new_attempts:
                analysis = entry.get("analysis") if isinstance(entry.get("analysis"), dict) else None
                row = {
                    "uid": entry["uid"],
                    "session_id": session_ids.get(entry.get("session_uid")),
                    "created_at": entry.get("created_at") or to_db_time(now_utc()),
                    "question_id": entry.get("question_id"),
                    "question_text": entry.get("question_text"),
                    "kind": entry.get("kind") or "behavioral",
                    "target_s": entry.get("target_s"),
                    "audio_path": history._store_audio_path(audio_for.get(entry["uid"])),
                    "transcript": entry.get("transcript"),
                    "analysis_json": _dumps(analysis) if analysis is not None else None,
                    "scores_json": _dumps(analysis.get("scores")) if analysis else None,
                    "model": entry.get("model"),
                    "analysis_error": entry.get("analysis_error"),
                    "story": entry.get("story"),
                    "highlights_json": _dumps(entry["highlights"]) if entry.get("highlights") else None,
                    # Recomputed rather than trusted: the metrics always match this coach's definitions.
                    **metric_values(Metrics.from_analysis(analysis)),
                }
                columns = ", ".join(row)
                marks = ", ".join("?" for _ in row)
                # OR IGNORE: another process may have imported the same attempt since we looked.
                cursor = conn.execute(f"INSERT OR IGNORE INTO attempts ({columns}) VALUES ({marks})",
                                      list(row.values()))
                added += cursor.rowcount
            return sessions_added, added

        sessions_added, added = history.db.write(write)
    except BaseException:
        for path in created:
            path.unlink(missing_ok=True)
        raise
    return ImportSummary(attempts_added=added, attempts_skipped=len(attempts) - added,
                         sessions_added=sessions_added, audio_restored=len(audio_for), audio_missing=missing)


def _restore_audio(reader: _Reader, name: str, entry: dict[str, Any], folder: Path) -> tuple[Path, bool]:
    """Copy one recording out of the archive; returns its path and whether a new file was made.

    The file keeps its original name when free; an identical file already there is reused.
    """
    folder.mkdir(parents=True, exist_ok=True)
    suffix = Path(name).suffix
    original = Path(str(entry.get("audio_name") or "")).name  # only the last part: never a path
    stem = re.sub(r"[^A-Za-z0-9._-]", "-", Path(original).stem) or entry["uid"]
    partial = folder / f".{entry['uid']}{suffix}.partial"
    digest = hashlib.sha256()
    with reader.open(name) as source, partial.open("wb") as out:
        while chunk := source.read(1 << 20):
            digest.update(chunk)
            out.write(chunk)
    candidates = [folder / f"{stem}{suffix}", folder / f"{stem}-{entry['uid'][:8]}{suffix}"]
    for target in candidates:
        if target.exists():
            if _sha256(target) == digest.hexdigest():
                partial.unlink()
                return target, False
            continue
        partial.replace(target)
        return target, True
    target = folder / f"{entry['uid']}{suffix}"
    shutil.move(partial, target)
    return target, True


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()
