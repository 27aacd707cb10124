"""The SQLite connection behind the history: WAL, durable commits, retries on a locked database,
and a damaged file moved aside instead of emptied.

Everything that touches the database goes through :meth:`Database.read` or
:meth:`Database.write`, which retry on ``SQLITE_BUSY``/``SQLITE_LOCKED`` and turn the final
failure into one sentence for the user.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TypeVar

from coach.errors import CoachError, StorageError
from coach.safe_files import create_private, private_dir, tighten
from coach.storage.schema import LATEST_VERSION, migrate, user_version

T = TypeVar("T")

DB_FILENAME = "history.sqlite3"
LOCKED_MESSAGE = "The history database is locked by another coach; close it and try again."
_BUSY_CODES = {5, 6}  # SQLITE_BUSY, SQLITE_LOCKED (primary codes; extended codes keep them in the low byte)
_WRITE_FAILED_CODES = {10, 13}  # SQLITE_IOERR (a write refused: EFBIG, EIO), SQLITE_FULL
_CANNOT_OPEN_CODES = {8, 14}  # SQLITE_READONLY, SQLITE_CANTOPEN (a read-only folder: no -shm, no -wal)


class HistoryLockedError(StorageError):
    """Another process held the database's write lock through every retry."""


class HistoryCorruptError(CoachError):
    """The database file is damaged."""


class HistoryVersionError(CoachError):
    """The database was written by a newer coach with a schema this one does not know."""


def _is_busy(exc: sqlite3.Error) -> bool:
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in _BUSY_CODES
    message = str(exc).lower()
    return "locked" in message or "busy" in message


def _code(exc: BaseException) -> int | None:
    code = getattr(exc, "sqlite_errorcode", None)
    return None if code is None else code & 0xFF


def _operational_failure(exc: BaseException, codes, phrases: tuple[str, ...]) -> bool:
    """An OperationalError of one of ``codes`` (or, on a Python without error codes, whose
    message holds one of ``phrases``)."""
    if not isinstance(exc, sqlite3.OperationalError):
        return False
    code = _code(exc)
    if code is not None:
        return code in codes
    message = str(exc).lower()
    return any(phrase in message for phrase in phrases)


def _is_write_failure(exc: BaseException) -> bool:
    return _operational_failure(exc, _WRITE_FAILED_CODES, ("disk is full", "disk i/o error"))


def _cannot_open(exc: BaseException) -> bool:
    return _operational_failure(exc, _CANNOT_OPEN_CODES, ("unable to open", "readonly"))


def _is_corrupt(exc: BaseException) -> bool:
    # OperationalError and IntegrityError subclass DatabaseError and are ordinary failures; the
    # bare class (and SQLITE_CORRUPT / SQLITE_NOTADB) is what a damaged file raises.
    if not isinstance(exc, sqlite3.DatabaseError):
        return False
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None and code & 0xFF in (11, 26):  # SQLITE_CORRUPT, SQLITE_NOTADB
        return True
    return type(exc) is sqlite3.DatabaseError


class Database:
    """One connection to the history file, safe to share between threads (calls are serialised).

    Args:
        path: the database file; created (with its folder) when missing.
        busy_timeout_s: how long SQLite itself waits for another connection's lock on each try.
        retries: how many times a locked operation is tried before giving up.
        retry_wait_s: pause between tries (grows linearly).
    """

    def __init__(self, path: Path, *, busy_timeout_s: float = 2.0, retries: int = 3,
                 retry_wait_s: float = 0.2, read_only_ok: bool = False) -> None:
        self.path = path
        self.busy_timeout_s = busy_timeout_s
        self.retries = max(1, retries)
        self.retry_wait_s = retry_wait_s
        #: Things the user must be told (a damaged database moved aside), in plain sentences.
        self.notices: list[str] = []
        #: The schema version the file had when opened (0 for a new file).
        self.opened_version = 0
        #: True when the file could only be opened read-only (a read-only folder or disk).
        self.read_only = False
        self._lock = threading.RLock()
        try:
            self._conn = self._open()
        except (HistoryLockedError, HistoryVersionError):
            raise
        except (sqlite3.OperationalError, OSError, StorageError) as exc:
            if not read_only_ok or not self.path.is_file():
                raise self._write_error(exc) from exc
            self._conn = self._open_read_only()

    # -- opening ---------------------------------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        private_dir(self.path.parent)
        # SQLite gives the -wal and -shm files the database file's permissions, so a database
        # created 0600 here keeps all three private; older files are tightened.
        try:
            create_private(self.path).close()
        except FileExistsError:
            for suffix in ("", "-wal", "-shm"):
                tighten(self.path.with_name(self.path.name + suffix))
        # isolation_level=None: transactions are explicit (BEGIN IMMEDIATE ... COMMIT), so a
        # write takes the lock up front instead of failing half-way when upgrading a read lock.
        conn = sqlite3.connect(self.path, timeout=self.busy_timeout_s, isolation_level=None,
                               check_same_thread=False)
        return conn

    def _open(self) -> sqlite3.Connection:
        conn = self._connect()
        try:
            self._with_retries(lambda: self._check(conn))
        except HistoryCorruptError as exc:
            conn.close()
            self._move_aside(str(exc.__cause__ or exc))
            conn = self._connect()
        except BaseException:
            conn.close()
            raise
        try:
            self._with_retries(lambda: self._prepare(conn))
        except BaseException:
            conn.close()
            raise
        return conn

    def _open_read_only(self) -> sqlite3.Connection:
        """Open the file without writing anything next to it, for reading a history in a read-only folder.

        ``mode=ro`` still needs the ``-shm`` file; when even that cannot be made, ``immutable=1``
        reads the database file alone (what a checkpointed history holds in full).
        """
        uri = self.path.resolve().as_uri()
        for query in ("mode=ro", "mode=ro&immutable=1"):
            conn = sqlite3.connect(f"{uri}?{query}", uri=True, timeout=self.busy_timeout_s, isolation_level=None,
                                   check_same_thread=False)
            try:
                version = user_version(conn)
                conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
            except sqlite3.DatabaseError as exc:
                conn.close()
                if query.endswith("immutable=1"):
                    raise self._write_error(exc) from exc
                continue
            if version > LATEST_VERSION:
                conn.close()
                raise HistoryVersionError(
                    f"The history database {self.path} was written by a newer coach (schema {version}, this one "
                    f"knows {LATEST_VERSION}); upgrade coach to use it.")
            if version < LATEST_VERSION:
                conn.close()
                raise StorageError(f"The history database {self.path} needs an upgrade but its folder cannot be "
                                   "written; make the folder writable and run coach again.")
            self.opened_version = version
            self.read_only = True
            wal = self.path.with_name(self.path.name + "-wal")
            if "immutable" in query and wal.is_file() and wal.stat().st_size > 0:
                self.notices.append(f"The folder {self.path.parent} cannot be written, so the history was read "
                                    "without its write-ahead log; the newest attempts may be missing from this view.")
            return conn
        raise AssertionError("unreachable")

    def _write_error(self, exc: BaseException) -> StorageError:
        if isinstance(exc, StorageError):
            return exc
        reason = (f"{exc.strerror or exc}" if isinstance(exc, OSError) else
                  "the disk is full or a write failed" if _is_write_failure(exc) else
                  "the folder or file cannot be written" if _cannot_open(exc) else str(exc))
        return StorageError(f"The history database {self.path} could not be opened ({str(reason).rstrip('.')}); "
                            "nothing in it was changed: free some space or fix the folder's permissions and try again.")

    def _check(self, conn: sqlite3.Connection) -> None:
        """Raise HistoryCorruptError when the file is not a sound SQLite database."""
        try:
            conn.execute("PRAGMA schema_version").fetchone()
            # quick_check reads every page but skips the index cross-checks: a few milliseconds
            # for a thousand attempts, and it finds torn or overwritten pages before we trust them.
            problem = conn.execute("PRAGMA quick_check(1)").fetchone()[0]
        except sqlite3.OperationalError:
            raise
        except sqlite3.DatabaseError as exc:
            raise HistoryCorruptError(str(exc)) from exc
        if problem != "ok":
            error = sqlite3.DatabaseError(problem)
            raise HistoryCorruptError(problem) from error

    def _prepare(self, conn: sqlite3.Connection) -> None:
        # WAL: readers never wait for the writer, and a crash mid-write loses nothing committed.
        mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            raise sqlite3.OperationalError("database is locked")  # another connection prevents the switch
        # FULL: each commit is on disk before it returns (NORMAL may lose the last commits on power loss).
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("PRAGMA foreign_keys=ON")
        version = user_version(conn)
        self.opened_version = version
        if version > LATEST_VERSION:
            raise HistoryVersionError(
                f"The history database {self.path} was written by a newer coach (schema {version}, this one "
                f"knows {LATEST_VERSION}); upgrade coach to use it.")
        if version < LATEST_VERSION:
            conn.execute("BEGIN IMMEDIATE")
            try:
                migrate(conn)
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise

    def _move_aside(self, reason: str) -> Path:
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        target = self.path.with_name(f"{self.path.stem}.corrupt-{stamp}{self.path.suffix}")
        n = 1
        while target.exists():
            target = self.path.with_name(f"{self.path.stem}.corrupt-{stamp}-{n}{self.path.suffix}")
            n += 1
        try:
            self.path.rename(target)
        except OSError as exc:
            raise HistoryCorruptError(
                f"The history database {self.path} is damaged ({reason}) and could not be moved aside "
                f"({exc.strerror or exc}); move or delete it yourself and start coach again.") from exc
        # The write-ahead log belongs with its database (it may hold committed pages worth
        # recovering); the shared-memory index is rebuilt from it, so it can go.
        wal = self.path.with_name(self.path.name + "-wal")
        if wal.exists():
            wal.rename(target.with_name(target.name + "-wal"))
        self.path.with_name(self.path.name + "-shm").unlink(missing_ok=True)
        self.notices.append(
            f"The history database {self.path} was damaged ({reason}); it was moved to {target} and a new, "
            "empty history was started. Your recordings are untouched.")
        return target

    # -- running ---------------------------------------------------------------------------

    def _with_retries(self, operation: Callable[[], T]) -> T:
        last: sqlite3.Error | None = None
        for attempt in range(self.retries):
            try:
                return operation()
            except sqlite3.OperationalError as exc:
                if _is_write_failure(exc):
                    raise StorageError(
                        f"Could not write to the history in {self.path.parent} (the disk is full or a write was "
                        "refused); what was saved before is intact: free some space and try again.") from exc
                if not _is_busy(exc):
                    raise
                last = exc
                if attempt + 1 < self.retries:
                    time.sleep(self.retry_wait_s * (attempt + 1))
            except sqlite3.DatabaseError as exc:
                if _is_corrupt(exc):
                    raise HistoryCorruptError(str(exc)) from exc
                raise
        raise HistoryLockedError(LOCKED_MESSAGE) from last

    def read(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``fn`` with the connection (no transaction), retrying while the database is locked."""
        with self._lock:
            return self._run(lambda: fn(self._conn))

    def write(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``fn`` in one write transaction, retrying the whole of it while the database is locked.

        ``fn`` may run more than once, so it must only touch the database.
        """

        def transaction() -> T:
            conn = self._conn
            conn.execute("BEGIN IMMEDIATE")
            try:
                result = fn(conn)
                conn.execute("COMMIT")
                return result
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise

        with self._lock:
            return self._run(transaction)

    def _run(self, operation: Callable[[], T]) -> T:
        try:
            return self._with_retries(operation)
        except HistoryCorruptError as exc:
            raise HistoryCorruptError(
                f"The history database {self.path} is damaged ({exc}); restart coach to move it aside and "
                "start a new one.") from exc

    def close(self) -> None:
        with self._lock:
            self._conn.close()
