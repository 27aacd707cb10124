"""The one way coach writes a file: private, atomic, never through a symlink, never half-written.

Every writer (recordings, the history, exports and imports, reports, stories, settings) goes
through :func:`write_atomic` or :func:`open_atomic`:

- the bytes go to a unique temp file in the target's own folder (``mkstemp``: ``O_EXCL`` and
  ``O_NOFOLLOW``, so a link planted at any temp name is never written through, and two coaches
  writing the same name never share a temp);
- the file is fsynced, then renamed over the target (``rename`` replaces a symlink at the
  target itself, it never writes where the link points) and the folder is fsynced, so after a
  crash the target holds the old bytes or the new ones, never a mix;
- with ``exclusive=True`` the final name is claimed only if free (``link``), so concurrent
  writers never overwrite each other: the loser gets :class:`FileExistsError`;
- any failure removes the temp file; a full disk or a refused permission becomes one
  :class:`~coach.errors.StorageError` sentence naming the folder and what was kept.

Files are 0600 and coach's own folders 0700 (:func:`private_dir`): on a shared machine nobody
else can read the user's answers.
"""

from __future__ import annotations

import errno
import os
import shutil
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from coach.errors import StorageError

FILE_MODE = 0o600
DIR_MODE = 0o700
PARTIAL_SUFFIX = ".partial"

_FULL = {errno.ENOSPC, errno.EFBIG, getattr(errno, "EDQUOT", errno.ENOSPC)}
_DENIED = {errno.EACCES, errno.EPERM, errno.EROFS}


def _reason(exc: OSError) -> str:
    if exc.errno in _FULL:
        return "the disk is full or the file size limit was reached"
    if exc.errno == errno.EROFS:
        return "the folder is on a read-only file system"
    if exc.errno in _DENIED:
        return "permission was refused"
    return (exc.strerror or str(exc) or type(exc).__name__).rstrip(".").lower()


def storage_error(exc: OSError, folder: Path, kept: str | None = None) -> StorageError:
    """One sentence for a failed write in ``folder``: what went wrong and what is still there."""
    kept = kept or "nothing was changed there and any earlier file is kept as it was"
    what = ("free some space" if exc.errno in _FULL else
            "check the folder's permissions" if exc.errno in _DENIED else "check the folder")
    return StorageError(f"Could not write to {folder} ({_reason(exc)}); {kept}: {what} and try again.")


def is_storage_failure(exc: BaseException) -> bool:
    """True for the OS errors a user fixes by freeing space or fixing permissions (not coach bugs)."""
    return isinstance(exc, OSError) and exc.errno in (_FULL | _DENIED)


def private_dir(path: Path) -> Path:
    """Create ``path`` (and its parents) as a folder only the user can open; return it resolved.

    An existing folder is tightened to 0700 as well (a data folder made by an older coach was 0755).

    Raises:
        StorageError: ``path`` is a symlink, not a folder, or cannot be created.
    """
    path = Path(path).expanduser()
    if path.is_symlink():
        raise StorageError(f"{path} is a symbolic link; coach keeps its data only in a real folder, "
                           "so point the data folder at the link's target instead.")
    try:
        # One mkdir per missing level: makedirs gives its mode to the last folder only.
        missing = []
        parent = path
        while not os.path.lexists(parent) and parent != parent.parent:
            missing.append(parent)
            parent = parent.parent
        for folder in reversed(missing):
            try:
                os.mkdir(folder, DIR_MODE)
            except FileExistsError:
                pass  # another coach made it a moment ago
        info = os.stat(path, follow_symlinks=False)
        if not stat.S_ISDIR(info.st_mode):
            raise StorageError(f"{path} is not a folder; move that file away so coach can keep its data there.")
        if stat.S_IMODE(info.st_mode) & 0o077 and info.st_uid == os.getuid():
            os.chmod(path, DIR_MODE, follow_symlinks=False)
    except FileExistsError as exc:
        raise StorageError(f"{path} is not a folder; move that file away so coach can keep its data there.") from exc
    except OSError as exc:
        raise storage_error(exc, path.parent, "nothing was written") from exc
    return path.resolve()


def tighten(path: Path, mode: int = FILE_MODE) -> None:
    """Make an existing file (never a symlink's target) private; missing or foreign files are left alone."""
    try:
        info = os.stat(path, follow_symlinks=False)
        if stat.S_ISREG(info.st_mode) and stat.S_IMODE(info.st_mode) != mode and info.st_uid == os.getuid():
            os.chmod(path, mode)
    except (FileNotFoundError, NotImplementedError):
        pass
    except OSError:
        pass  # a file we cannot change is reported by whatever next fails to use it


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return  # some file systems refuse to open folders; the rename is still atomic there
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _claim(temp: str, path: Path) -> None:
    """Give ``temp`` the name ``path`` only if that name is free (FileExistsError if not)."""
    try:
        os.link(temp, path, follow_symlinks=False)
    except FileExistsError:
        raise
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV, errno.EMLINK):
            raise
        # No hard links here (FAT, some network shares): claim the name with O_EXCL, then rename over
        # our own placeholder; a reader may see an empty file for that instant, never a wrong one.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), FILE_MODE)
        os.close(fd)
        os.replace(temp, path)
        return
    os.unlink(temp)


@contextmanager
def open_atomic(path: Path, *, exclusive: bool = False, mode: int = FILE_MODE,
                kept: str | None = None) -> Iterator[BinaryIO]:
    """Yield a binary file that becomes ``path`` only when the ``with`` block ends without error.

    Args:
        path: the final name; its folder must exist (see :func:`private_dir`).
        exclusive: never replace an existing ``path``; raise FileExistsError when it is taken.
        mode: the file's permissions (0600: only the user).
        kept: for the error sentence, what the user still has when the write fails.

    Raises:
        StorageError: the disk is full, permission was refused, or the folder is missing.
        FileExistsError: ``exclusive`` and ``path`` already exists.
    """
    path = Path(path)
    folder = path.parent
    try:
        fd, temp = tempfile.mkstemp(dir=folder, prefix="." + path.name + ".", suffix=PARTIAL_SUFFIX)
    except OSError as exc:
        raise storage_error(exc, folder, kept) from exc
    try:
        if mode != FILE_MODE:
            os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as handle:
            fd = -1
            yield handle  # type: ignore[misc]
            handle.flush()
            os.fsync(handle.fileno())
        if exclusive:
            _claim(temp, path)
        else:
            os.replace(temp, path)
        _fsync_dir(folder)
    except BaseException as exc:
        if fd >= 0:
            os.close(fd)
        try:
            os.unlink(temp)
        except FileNotFoundError:
            pass
        except OSError:
            pass
        if isinstance(exc, FileExistsError) and exclusive:
            raise
        if isinstance(exc, IsADirectoryError | NotADirectoryError):
            raise StorageError(f"Could not write {path}: a folder is in the way; move it or choose "
                               "another name.") from exc
        if isinstance(exc, OSError) and not isinstance(exc, FileExistsError):
            raise storage_error(exc, folder, kept) from exc
        raise


def write_atomic(path: Path, data: bytes | str, *, exclusive: bool = False, mode: int = FILE_MODE,
                 kept: str | None = None) -> Path:
    """Write ``data`` (str is UTF-8 encoded) to ``path`` atomically; see :func:`open_atomic`."""
    payload = data.encode("utf-8") if isinstance(data, str) else data
    with open_atomic(path, exclusive=exclusive, mode=mode, kept=kept) as handle:
        handle.write(payload)
    return Path(path)


def copy_atomic(source: Path, path: Path, *, exclusive: bool = False, mode: int = FILE_MODE,
                kept: str | None = None) -> Path:
    """Copy ``source`` to ``path`` through :func:`open_atomic` (the source is only read)."""
    with open(source, "rb") as src, open_atomic(path, exclusive=exclusive, mode=mode, kept=kept) as out:
        shutil.copyfileobj(src, out, 1 << 20)
    return Path(path)


def create_private(path: Path) -> BinaryIO:
    """Open a NEW file at ``path`` for writing as it grows (a recording): 0600, never through a
    symlink, never over an existing file (FileExistsError).

    Unlike :func:`open_atomic` the file is visible under its final name while written, so a crash
    leaves what was recorded so far where the recovery finds it.
    """
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags, FILE_MODE)
    except FileExistsError:
        raise
    except OSError as exc:
        raise storage_error(exc, Path(path).parent, "nothing was recorded") from exc
    return os.fdopen(fd, "wb")


def leftover_partials(folder: Path) -> list[Path]:
    """Temp files an interrupted writer left in ``folder`` (for tests and cleanup)."""
    try:
        return sorted(p for p in Path(folder).iterdir() if p.name.startswith(".") and p.name.endswith(PARTIAL_SUFFIX))
    except OSError:
        return []


def is_private(folder: Path) -> bool:
    """True when nobody but the user can open ``folder`` (or it does not exist yet)."""
    try:
        return not stat.S_IMODE(os.stat(folder, follow_symlinks=False).st_mode) & 0o077
    except OSError:
        return True


def tighten_tree(folder: Path) -> None:
    """Make every folder under ``folder`` 0700 and every file 0600 (a data folder an older coach left
    readable by others). Symlinks are neither followed nor changed."""
    for root, dirs, files in os.walk(folder, followlinks=False):
        for name in dirs:
            path = os.path.join(root, name)
            try:
                info = os.stat(path, follow_symlinks=False)
                if stat.S_ISDIR(info.st_mode) and stat.S_IMODE(info.st_mode) & 0o077 and info.st_uid == os.getuid():
                    os.chmod(path, DIR_MODE)
            except OSError:
                pass
        for name in files:
            tighten(Path(root, name))


def sweep_partials(folder: Path, older_than_s: float = 3600.0) -> int:
    """Remove temp files a killed writer left in ``folder`` (only old ones: a young one may belong to
    a coach writing right now); return how many went."""
    import time

    removed = 0
    limit = time.time() - older_than_s
    for path in leftover_partials(folder):
        try:
            info = os.stat(path, follow_symlinks=False)
            if info.st_mtime < limit and (stat.S_ISREG(info.st_mode) or stat.S_ISLNK(info.st_mode)):
                os.unlink(path)
                removed += 1
        except OSError:
            pass
    return removed
