"""A full disk (the real ``coach`` in a child process whose file size limit, RLIMIT_FSIZE, makes
every write past it fail with EFBIG, as a full disk fails with ENOSPC; and, where this machine
lets a test mount one, a real 1 MB tmpfs): one sentence, exit 2, no ``.partial`` left anywhere,
and the history committed before is intact. Also a history in a folder that cannot be written
(no ``-shm`` can be made) is still listed."""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from coach.analysis.answer import QuestionContext, analyse_text
from coach.settings import load_settings
from coach.storage import History, save_analysis
from tests.conftest import REPO, run_coach

TYPED = "At my last job I led the migration of our churn model, and as a result we cut costs by 20 percent."


def _coach_limited(limit: int, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return subprocess.run([sys.executable, "-m", "coach", *args], capture_output=True, text=True, timeout=300,
                          stdin=subprocess.DEVNULL, preexec_fn=cap, cwd=cwd, env=os.environ.copy())


def _partials(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.name.endswith(".partial")]


def _one_sentence_error(done: subprocess.CompletedProcess) -> str:
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert "Traceback" not in done.stderr
    # A failed analysis is reported on its own line before the failed save: one line per fact.
    errors = [line for line in done.stderr.splitlines() if line.startswith("Error:") and "Could not write" in line]
    assert len(errors) == 1, done.stderr
    assert errors[0].rstrip(".").count(". ") == 0, errors[0]
    return errors[0]


def _noise_wav(path: Path, seconds: float, seed: int) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    sf.write(path, (rng.standard_normal(int(16000 * seconds)) * 0.0005).astype("float32"), 16000, subtype="PCM_16")
    return path


@pytest.fixture(scope="module")
def typed_analysis():
    return analyse_text(TYPED, question=QuestionContext(text="Tell me about a migration.", kind="behavioral"))


@pytest.fixture
def committed(typed_analysis):
    """A history with two typed attempts, committed before the disk fills."""
    settings = load_settings()
    for _ in range(2):
        save_analysis(settings, typed_analysis)
    with History(settings) as history:
        return settings, [a.uid for a in history.attempts()]


def _intact(settings, uids) -> None:
    with History(settings) as history:
        assert [a.uid for a in history.attempts()] == uids


def test_analyze_save_of_a_recording_on_a_full_disk(committed, tmp_path):
    settings, uids = committed
    # A file that is not audio fails before decoding (the decoder's own temp file would hit the
    # limit first otherwise), and a failed analysis is still saved with its recording: the copy
    # of 128 kB is what cannot be written under 64 kB.
    answer = tmp_path / "answer.wav"
    answer.write_bytes(b"not audio at all " * 8_000)
    done = _coach_limited(64_000, "analyze", str(answer), "--save")
    error = _one_sentence_error(done)
    assert "disk is full" in error and str(settings.recordings_dir / "saved") in error
    assert "not saved" in error and "recording is untouched" in error
    assert _partials(settings.data_dir) == []
    assert answer.is_file() and answer.stat().st_size > 64_000
    _intact(settings, uids)


def test_decoding_a_recording_on_a_full_disk_is_one_sentence(committed, tmp_path):
    # Long audio is decoded into a scratch file (bounded memory): a full disk there is a clear
    # sentence naming the folder, not a traceback, and the answer's file is only read.
    settings, uids = committed
    answer = _noise_wav(tmp_path / "answer.wav", 20.0, seed=3)
    before = answer.read_bytes()
    done = _coach_limited(64_000, "analyze", str(answer))
    error = _one_sentence_error(done)
    assert "disk is full" in error and "untouched" in error
    assert answer.read_bytes() == before
    _intact(settings, uids)


def test_analyze_save_when_the_database_cannot_grow(committed):
    settings, uids = committed
    done = _coach_limited(1_000, "analyze", "--text", TYPED, "--save")
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    assert "not saved" in done.stderr and "disk is full" in done.stderr
    assert "Scores" in done.stdout  # the finished analysis is printed, not thrown away
    assert _partials(settings.data_dir) == []
    _intact(settings, uids)


def test_export_and_report_on_a_full_disk(committed, tmp_path):
    settings, uids = committed
    out = tmp_path / "out"
    out.mkdir()
    for args in (["export", str(out / "history.zip")], ["report", "-o", str(out / "report.html")]):
        error = _one_sentence_error(_coach_limited(500, *args))
        assert "disk is full" in error and str(out) in error
        assert list(out.iterdir()) == []
    _intact(settings, uids)


def test_import_on_a_full_disk_imports_nothing(committed, tmp_path):
    settings, uids = committed
    source = tmp_path / "source"
    done = run_coach("analyze", str(_noise_wav(tmp_path / "a.wav", 4.0, 2)), "--save",
                     env={"COACH_DATA_DIR": str(source)})
    assert "Saved as attempt" in done.stderr, done.stderr
    archive = tmp_path / "history.tar.gz"
    assert run_coach("export", str(archive), env={"COACH_DATA_DIR": str(source)}).returncode == 0
    error = _one_sentence_error(_coach_limited(64_000, "import", str(archive)))
    assert "disk is full" in error and "nothing was imported" in error
    assert _partials(settings.data_dir) == []
    imported = settings.recordings_dir / "imported"
    assert not imported.exists() or list(imported.iterdir()) == []
    _intact(settings, uids)


def test_history_and_report_still_read_under_the_limit(committed):
    settings, uids = committed
    done = _coach_limited(0, "history")
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("behav") == 2
    _intact(settings, uids)


_NAMESPACE_DRIVER = """
set -e
mount -t tmpfs -o size=1m tmpfs "$DATA"
"$PY" -m coach analyze --text "$TYPED" --save
head -c 2000000 /dev/urandom > "$DATA/filler" 2>/dev/null || true
set +e
"$PY" -m coach analyze "$ANSWER" --save
echo "rc=$?"
"$PY" -m coach history
echo "partials=$(find "$DATA" -name '*.partial' | wc -l)"
"""


def _can_mount() -> bool:
    if shutil.which("unshare") is None:
        return False
    probe = subprocess.run(["unshare", "-m", "sh", "-c", "mount -t tmpfs tmpfs /mnt"], capture_output=True)
    return probe.returncode == 0


@pytest.mark.skipif(not _can_mount(), reason="needs `unshare -m` and the right to mount a tmpfs")
def test_a_real_full_tmpfs(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    answer = _noise_wav(tmp_path / "answer.wav", 4.0, 3)
    env = {**os.environ, "DATA": str(data), "PY": sys.executable, "TYPED": TYPED, "ANSWER": str(answer),
           "COACH_DATA_DIR": str(data), "PYTHONPATH": str(REPO)}
    done = subprocess.run(["unshare", "-m", "sh", "-c", textwrap.dedent(_NAMESPACE_DRIVER)], capture_output=True,
                          text=True, env=env, timeout=300)
    assert "rc=2" in done.stdout, (done.stdout, done.stderr)
    assert "Traceback" not in done.stderr
    assert [line for line in done.stderr.splitlines() if line.startswith("Error:")][-1].count("disk is full") == 1
    assert "partials=0" in done.stdout
    assert done.stdout.count("behav") == 1  # the attempt committed before the disk filled is still listed


_READ_ONLY_DRIVER = """
set -e
mount --bind "$DATA" "$DATA"
mount -o remount,ro,bind "$DATA"
"$PY" -m coach history
"""


@pytest.mark.skipif(not _can_mount(), reason="needs `unshare -m` and the right to bind-mount read-only")
def test_history_reads_a_database_in_a_read_only_folder(committed):
    settings, uids = committed
    assert not settings.data_dir.joinpath("history.sqlite3-shm").exists()
    env = {**os.environ, "DATA": str(settings.data_dir), "PY": sys.executable, "PYTHONPATH": str(REPO)}
    done = subprocess.run(["unshare", "-m", "sh", "-c", textwrap.dedent(_READ_ONLY_DRIVER)], capture_output=True,
                          text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("behav") == 2 and "Traceback" not in done.stderr
