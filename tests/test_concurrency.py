"""Concurrent saves and imports with the real ``coach`` in child processes (issue 10, item 2).

Eight ``coach analyze answer.wav --save`` at once, on eight different recordings that share the
base name ``answer.wav`` (one per folder), for three rounds; then four concurrent ``coach import``
of two overlapping archives. Every attempt must be stored once, with its own recording (checked
by hash), and no process may end in a traceback. The recordings are half a second of faint noise
made at test time: their analysis fails fast ("no speech"), and a failed analysis is still saved
with its recording, which is the path that used to race.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import soundfile as sf

from coach.settings import Settings
from coach.storage import History

PROCESSES = 8
ROUNDS = 3


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _answer(folder: Path, seed: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    path = folder / "answer.wav"
    sf.write(path, (rng.standard_normal(8000) * 0.0005).astype("float32"), 16000, subtype="PCM_16")
    return path


def _spawn(data: Path, *args: str) -> subprocess.Popen:
    env = {**os.environ, "COACH_DATA_DIR": str(data)}
    return subprocess.Popen([sys.executable, "-m", "coach", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            stdin=subprocess.DEVNULL, text=True, env=env)


def _finish(procs: list[subprocess.Popen]) -> list[tuple[int, str]]:
    results = []
    for proc in procs:
        _, err = proc.communicate(timeout=240)
        assert "Traceback" not in err, err
        results.append((proc.returncode, err))
    return results


def _stored(data: Path) -> dict[str, str]:
    """uid -> hash of the attempt's recording, checking each attempt has a file of its own."""
    with History(Settings(data_dir=data)) as history:
        attempts = history.attempts()
    paths = [a.audio_path for a in attempts]
    assert all(p is not None and p.is_file() for p in paths)
    assert len({p.resolve() for p in paths}) == len(paths), "two attempts share one recording file"
    return {a.uid: _sha(a.audio_path) for a in attempts}


def test_concurrent_saves_then_concurrent_imports(tmp_path):
    data = tmp_path / "data"
    archives: list[Path] = []
    sources: list[str] = []
    for round_ in range(ROUNDS):
        answers = [_answer(tmp_path / f"round{round_}" / f"folder{n}", seed=round_ * 100 + n) for n in range(PROCESSES)]
        sources += [_sha(a) for a in answers]
        results = _finish([_spawn(data, "analyze", str(a), "--save") for a in answers])
        for code, err in results:
            assert code in (0, 2) and "Saved as attempt" in err, err
        if round_ == 0:
            archives.append(tmp_path / "first-round.zip")
            assert subprocess.run([sys.executable, "-m", "coach", "export", str(archives[-1])],
                                  env={**os.environ, "COACH_DATA_DIR": str(data)}, capture_output=True).returncode == 0
    assert len(set(sources)) == PROCESSES * ROUNDS

    stored = _stored(data)
    assert len(stored) == PROCESSES * ROUNDS
    assert sorted(stored.values()) == sorted(sources), "an attempt holds another answer's recording"
    for answer_round in range(ROUNDS):  # the user's own files were only read
        for n in range(PROCESSES):
            assert (tmp_path / f"round{answer_round}" / f"folder{n}" / "answer.wav").is_file()

    archives.append(tmp_path / "everything.tar.gz")
    assert subprocess.run([sys.executable, "-m", "coach", "export", str(archives[-1])],
                          env={**os.environ, "COACH_DATA_DIR": str(data)}, capture_output=True).returncode == 0

    elsewhere = tmp_path / "elsewhere"
    results = _finish([_spawn(elsewhere, "import", str(archives[n % 2])) for n in range(4)])
    for code, err in results:
        assert code == 0, err
    assert _stored(elsewhere) == stored  # every attempt once, by uid, each with its own recording
    leftovers = [p for p in elsewhere.rglob("*") if p.name.endswith(".partial")]
    assert leftovers == []

    # Deleting one attempt removes its recording and nobody else's.
    with History(Settings(data_dir=data)) as history:
        victim = history.attempts()[0]
        deleted = history.delete_attempt(victim.id)
        assert deleted.audio_removed
    rest = _stored(data)
    assert victim.uid not in rest and len(rest) == PROCESSES * ROUNDS - 1
    assert all(stored[uid] == digest for uid, digest in rest.items())
