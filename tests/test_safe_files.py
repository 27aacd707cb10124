"""The one safe-write path: atomic, private, never through a symlink, nothing left behind on failure."""

from __future__ import annotations

import os
import resource
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from coach.errors import StorageError
from coach.safe_files import (
    copy_atomic,
    create_private,
    leftover_partials,
    open_atomic,
    private_dir,
    write_atomic,
)


def _mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path, follow_symlinks=False).st_mode)


def test_write_atomic_makes_a_private_file(tmp_path):
    target = write_atomic(tmp_path / "a.json", '{"x": 1}')
    assert target.read_text() == '{"x": 1}'
    assert _mode(target) == 0o600
    assert leftover_partials(tmp_path) == []


def test_replace_keeps_old_bytes_when_the_writer_fails(tmp_path):
    target = tmp_path / "a.txt"
    write_atomic(target, b"old")
    with pytest.raises(RuntimeError), open_atomic(target) as out:
        out.write(b"new, half")
        raise RuntimeError("boom")
    assert target.read_bytes() == b"old"
    assert leftover_partials(tmp_path) == []


def test_exclusive_never_overwrites(tmp_path):
    target = tmp_path / "rec.wav"
    write_atomic(target, b"first", exclusive=True)
    with pytest.raises(FileExistsError):
        write_atomic(target, b"second", exclusive=True)
    assert target.read_bytes() == b"first"
    assert leftover_partials(tmp_path) == []


def test_exclusive_refuses_a_dangling_symlink_at_the_final_name(tmp_path):
    elsewhere = tmp_path / "elsewhere.txt"
    (tmp_path / "out").mkdir()
    target = tmp_path / "out" / "report.md"
    target.symlink_to(elsewhere)
    with pytest.raises(FileExistsError):
        write_atomic(target, b"secret", exclusive=True)
    assert not elsewhere.exists()


def test_replace_swaps_a_symlink_at_the_final_name_instead_of_writing_through_it(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    target = tmp_path / "report.md"
    target.symlink_to(victim)
    write_atomic(target, "report")
    assert victim.read_text() == "precious"
    assert not target.is_symlink() and target.read_text() == "report"


def test_a_symlink_planted_at_the_old_fixed_temp_name_is_ignored(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    target = tmp_path / "history.zip"
    (tmp_path / "history.zip.partial").symlink_to(victim)
    (tmp_path / ".history.zip.partial").symlink_to(victim)
    write_atomic(target, b"zip")
    assert victim.read_text() == "precious"
    assert target.read_bytes() == b"zip"


def test_concurrent_writers_of_one_name_each_get_their_own_temp(tmp_path):
    target = tmp_path / "same.bin"
    errors: list[BaseException] = []

    def write(n: int) -> None:
        try:
            for _ in range(20):
                write_atomic(target, bytes([n]) * 100_000)
        except BaseException as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    data = target.read_bytes()
    assert len(data) == 100_000 and len(set(data)) == 1  # one writer's bytes, never a mix
    assert leftover_partials(tmp_path) == []


def test_private_dir_creates_and_tightens(tmp_path):
    made = private_dir(tmp_path / "a" / "b")
    assert made == (tmp_path / "a" / "b").resolve()
    assert _mode(made) == 0o700 and _mode(tmp_path / "a") == 0o700
    loose = tmp_path / "loose"
    loose.mkdir(mode=0o755)
    os.chmod(loose, 0o755)
    private_dir(loose)
    assert _mode(loose) == 0o700


def test_private_dir_refuses_a_symlink(tmp_path):
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real")
    with pytest.raises(StorageError, match="symbolic link"):
        private_dir(tmp_path / "link")


def test_private_dir_refuses_a_file(tmp_path):
    (tmp_path / "f").write_text("x")
    with pytest.raises(StorageError, match="not a folder"):
        private_dir(tmp_path / "f")


def test_missing_folder_is_one_sentence(tmp_path):
    with pytest.raises(StorageError) as caught:
        write_atomic(tmp_path / "nope" / "a.txt", "x")
    assert str(caught.value).count(". ") == 0 and "nope" in str(caught.value)


#: Root passes permission checks; without these two capabilities it meets them as a user would.
_AS_A_USER = ["setpriv", "--bounding-set=-dac_override,-dac_read_search", "--"] if os.geteuid() == 0 else []


def test_read_only_folder_is_one_sentence(tmp_path):
    import subprocess
    import sys

    folder = tmp_path / "ro"
    folder.mkdir()
    os.chmod(folder, 0o500)
    code = ("from pathlib import Path\nfrom coach.errors import StorageError\nfrom coach.safe_files import write_atomic\n"
            f"try:\n    write_atomic(Path({str(folder / 'a.txt')!r}), 'x')\nexcept StorageError as exc:\n    print(exc)\n")
    try:
        done = subprocess.run([*_AS_A_USER, sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    finally:
        os.chmod(folder, 0o700)
    assert done.returncode == 0, done.stderr
    assert "permission" in done.stdout and done.stdout.count(". ") == 0, done.stdout
    assert list(folder.iterdir()) == []


def test_a_folder_at_the_target_name_is_one_sentence(tmp_path):
    (tmp_path / "report.md").mkdir()
    with pytest.raises(StorageError, match="folder is in the way"):
        write_atomic(tmp_path / "report.md", "x")
    assert leftover_partials(tmp_path) == []


_FULL_DISK_CHILD = """
import resource, sys
from pathlib import Path
from coach.errors import StorageError
from coach.safe_files import write_atomic
resource.setrlimit(resource.RLIMIT_FSIZE, (50_000, 50_000))
try:
    write_atomic(Path(sys.argv[1]), b"x" * 200_000)
except StorageError as exc:
    print(exc)
    sys.exit(2)
print("written")
"""


def test_file_size_limit_becomes_one_sentence_and_keeps_the_old_file(tmp_path):
    target = tmp_path / "big.bin"
    write_atomic(target, b"old")
    done = subprocess.run([sys.executable, "-c", _FULL_DISK_CHILD, str(target)], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 2, done.stderr
    assert "disk is full" in done.stdout and str(tmp_path) in done.stdout
    assert "Traceback" not in done.stderr
    assert target.read_bytes() == b"old"
    assert leftover_partials(tmp_path) == []
    assert resource.getrlimit(resource.RLIMIT_FSIZE)  # the limit was the child's alone


def test_copy_atomic_and_mode(tmp_path):
    source = tmp_path / "src.wav"
    source.write_bytes(b"RIFF" + b"\0" * 100)
    os.chmod(source, 0o644)
    copied = copy_atomic(source, tmp_path / "dst.wav", exclusive=True)
    assert copied.read_bytes() == source.read_bytes()
    assert _mode(copied) == 0o600
    assert _mode(source) == 0o644  # the user's own file untouched


def test_create_private_refuses_existing_and_symlinks(tmp_path):
    with create_private(tmp_path / "r.wav") as out:
        out.write(b"abc")
    assert _mode(tmp_path / "r.wav") == 0o600
    with pytest.raises(FileExistsError):
        create_private(tmp_path / "r.wav")
    (tmp_path / "link.wav").symlink_to(tmp_path / "victim.wav")
    with pytest.raises(FileExistsError):
        create_private(tmp_path / "link.wav")
    assert not (tmp_path / "victim.wav").exists()


def test_sweep_removes_only_old_partials(tmp_path):
    from coach.safe_files import sweep_partials

    old = tmp_path / ".a.wav.x1.partial"
    young = tmp_path / ".b.wav.x2.partial"
    mine = tmp_path / "c.partial"  # not a name coach makes: left alone
    for path in (old, young, mine):
        path.write_bytes(b"x")
    os.utime(old, (1, 1))
    os.utime(mine, (1, 1))
    assert sweep_partials(tmp_path) == 1
    assert not old.exists() and young.exists() and mine.exists()


@pytest.mark.parametrize("planted", ["file", "symlink"])
def test_the_recorder_never_writes_over_or_through_an_existing_name(tmp_path, planted):
    from coach.audio.recorder import Recorder

    victim = tmp_path / "victim.wav"
    victim.write_bytes(b"the user's own file")
    path = tmp_path / "recordings" / "answer.wav"
    path.parent.mkdir()
    if planted == "file":
        path.write_bytes(b"an earlier answer")
    else:
        path.symlink_to(victim)
    with pytest.raises(StorageError, match="never overwritten"):
        Recorder(path).start()
    assert victim.read_bytes() == b"the user's own file"
    assert planted == "symlink" or path.read_bytes() == b"an earlier answer"
    assert not (path.parent / "answer.wav.recording.json").exists()
