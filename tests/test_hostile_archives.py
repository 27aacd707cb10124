"""`coach import` of archives made by an attacker (issue 10, items 1 and 7): traversal uids, wrong
types, bad timestamps, NaN, oversize manifest and members. Each is refused with one sentence and
exit 2, before anything is written: nothing outside the data folder, nothing half-imported."""

from __future__ import annotations

import io
import json
import tarfile
import zipfile
from pathlib import Path

import pytest

from coach.settings import load_settings
from coach.storage import History
from coach.storage import archive as archive_module
from tests.conftest import run_coach

UID_A = "a" * 32
UID_B = "b" * 32
GOOD_TIME = "2026-01-01T09:00:00+00:00"


def _attempt(uid: str = UID_A, **fields) -> dict:
    return {"uid": uid, "created_at": GOOD_TIME, "question_text": "Tell me about a conflict.", "kind": "behavioral",
            "analysis_error": "No speech was heard.", "audio": f"audio/{uid}.wav", **fields}


def _manifest(attempts: list[dict], sessions: list[dict] | None = None, **top) -> dict:
    return {"format": "coach-history-export", "format_version": 1, "sessions": sessions or [],
            "attempts": attempts, **top}


def _write(path: Path, manifest: dict | bytes, members: dict[str, bytes] | None = None) -> Path:
    data = manifest if isinstance(manifest, bytes) else json.dumps(manifest).encode()
    members = {"history.json": data, **(members or {})}
    if path.name.endswith(".zip"):
        with zipfile.ZipFile(path, "w") as out:
            for name, payload in members.items():
                out.writestr(name, payload)
    else:
        with tarfile.open(path, "w:gz") as out:
            for name, payload in members.items():
                info = tarfile.TarInfo(name)
                info.size = len(payload)
                out.addfile(info, io.BytesIO(payload))
    return path


def _files(folder: Path) -> set[Path]:
    return {p for p in folder.rglob("*") if p.is_file()} if folder.exists() else set()


def _refused(archive: Path, tmp_path: Path, *expected: str) -> str:
    settings = load_settings()
    before_data = _files(settings.data_dir)
    before_tmp = _files(tmp_path)
    done = run_coach("import", str(archive))
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert "Traceback" not in done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error:"), done.stderr
    for text in expected:
        assert text in lines[0], lines[0]
    # Nothing written anywhere: no recording, no attempt, no file next to the archive.
    after_data = _files(settings.data_dir)
    assert {p for p in after_data - before_data if "recordings" in p.parts} == set()
    assert _files(tmp_path) == before_tmp
    if (settings.data_dir / "history.sqlite3").exists():
        with History(settings) as history:
            assert history.count() == 0
    return lines[0]


TRAVERSAL_UIDS = ["/../../../../tmp/owned", "../../escape", "a" * 31 + "/", "A" * 32, "a" * 33, "", "..",
                  "aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa"]


@pytest.mark.parametrize("uid", TRAVERSAL_UIDS)
def test_traversal_and_malformed_attempt_uids(tmp_path, uid):
    archive = _write(tmp_path / "evil.zip", _manifest([_attempt(uid, audio=None)]),
                     {f"audio/{uid}.wav": b"RIFF-owned"})
    _refused(archive, tmp_path, "attempts[0].uid", "nothing was imported")
    assert not Path("/tmp/owned.wav").exists()


def test_traversal_session_uid(tmp_path):
    archive = _write(tmp_path / "evil.tar.gz", _manifest([_attempt(session_uid="../x")],
                                                         [{"uid": "../x", "started_at": GOOD_TIME}]),
                     {f"audio/{UID_A}.wav": b"RIFF"})
    _refused(archive, tmp_path, "sessions[0].uid")


@pytest.mark.parametrize("audio", ["../../evil.wav", "/etc/passwd", f"audio/{UID_B}.wav", f"audio/{UID_A}.wav/../x",
                                   f"audio/{UID_A}.WAV.sh;rm"])
def test_archive_chosen_recording_paths(tmp_path, audio):
    archive = _write(tmp_path / "evil.tar.gz", _manifest([_attempt(audio=audio)]), {audio.lstrip("/"): b"RIFF"})
    _refused(archive, tmp_path, "attempts[0].audio")


@pytest.mark.parametrize(("field", "value"), [
    ("created_at", "yesterday"),
    ("created_at", 1767258000),
    ("created_at", "2026-13-40T99:00:00"),
    ("question_text", 42),
    ("question_text", ["a", "list"]),
    ("kind", "interrogation"),
    ("target_s", "90"),
    ("target_s", -5),
    ("target_s", 1e308),
    ("analysis", "not a dict"),
    ("analysis", {"scores": {"fillers": "high"}}),
    ("analysis", {"scores": {"fillers": 1000}}),
    ("highlights", [[0, "x", "filler"]]),
    ("transcript", {"text": "nested"}),
])
def test_wrong_types_and_values(tmp_path, field, value):
    archive = _write(tmp_path / "odd.zip", _manifest([_attempt(**{field: value})]), {f"audio/{UID_A}.wav": b"RIFF"})
    _refused(archive, tmp_path, f"attempts[0].{field}")


@pytest.mark.parametrize("token", ["NaN", "Infinity", "-Infinity", "1e999"])
def test_non_finite_numbers_anywhere(tmp_path, token):
    text = json.dumps(_manifest([_attempt(analysis={"scores": {"fillers": 50}, "pace": {"wpm": 0}})]))
    text = text.replace('"wpm": 0', f'"wpm": {token}')
    archive = _write(tmp_path / "nan.zip", text.encode(), {f"audio/{UID_A}.wav": b"RIFF"})
    _refused(archive, tmp_path)


def test_huge_integer(tmp_path):
    text = json.dumps(_manifest([_attempt(analysis={"conciseness": {"words": 0}})]))
    archive = _write(tmp_path / "big.zip", text.replace('"words": 0', '"words": ' + "9" * 40).encode())
    _refused(archive, tmp_path, "too large")


def test_malformed_manifests(tmp_path):
    for n, manifest in enumerate([b"{", b"[]", b'"text"', b"\xff\xfe", json.dumps({"format": "other"}).encode(),
                                  json.dumps(_manifest([], format_version="1")).encode(),
                                  json.dumps(_manifest([], format_version=99)).encode(),
                                  json.dumps({**_manifest([]), "attempts": {"uid": UID_A}}).encode(),
                                  json.dumps(_manifest(["not an object"])).encode(),
                                  b"[" * 100_000]):
        _refused(_write(tmp_path / f"bad{n}.zip", manifest), tmp_path)


def test_duplicate_uids(tmp_path):
    archive = _write(tmp_path / "dup.zip", _manifest([_attempt(audio=None), _attempt(audio=None)]))
    _refused(archive, tmp_path, "appears twice")


def test_oversize_manifest_refused_before_it_is_read(tmp_path, monkeypatch):
    # In-process, with the limit lowered: the real limit (128 MB) would need a 128 MB test file.
    monkeypatch.setattr(archive_module, "MAX_MANIFEST_BYTES", 10_000)
    archive = _write(tmp_path / "big.zip", _manifest([_attempt(question_text="x" * 20_000)]))
    with History(load_settings()) as history:
        with pytest.raises(archive_module.CoachError, match="larger than"):
            archive_module.import_history(history, archive)
        assert history.count() == 0


def test_oversize_member_refused_and_nothing_half_imported(tmp_path, monkeypatch):
    monkeypatch.setattr(archive_module, "MAX_AUDIO_BYTES", 1000)
    archive = _write(tmp_path / "big.zip", _manifest([_attempt(UID_B, audio=f"audio/{UID_B}.wav"), _attempt()]),
                     {f"audio/{UID_B}.wav": b"RIFF", f"audio/{UID_A}.wav": b"R" * 5000})
    settings = load_settings()
    with History(settings) as history:
        with pytest.raises(archive_module.CoachError, match="larger than"):
            archive_module.import_history(history, archive)
        assert history.count() == 0
    assert _files(settings.recordings_dir) == set()


def test_a_zip_member_that_lies_about_its_size(tmp_path, monkeypatch):
    monkeypatch.setattr(archive_module, "MAX_AUDIO_BYTES", 1000)
    archive = _write(tmp_path / "liar.zip", _manifest([_attempt()]), {f"audio/{UID_A}.wav": b"R" * 500})
    monkeypatch.setattr(archive_module._Reader, "size", lambda self, name: 10)  # the header says 10 bytes
    monkeypatch.setattr(archive_module, "MAX_AUDIO_BYTES", 100)
    settings = load_settings()
    with History(settings) as history:
        with pytest.raises(archive_module.CoachError, match="larger than"):
            archive_module.import_history(history, archive)
        assert history.count() == 0
    assert _files(settings.recordings_dir) == set()


def test_a_fifo_is_not_read(tmp_path):
    import os

    fifo = tmp_path / "history.zip"
    os.mkfifo(fifo)
    _refused(fifo, tmp_path, "not a regular file")


def test_control_characters_in_an_imported_question_do_not_reach_the_terminal(tmp_path):
    hostile = "Tell me\x1b]0;owned\x07 about \x1b[2Ja conflict\u202e.\r\nrm -rf"
    archive = _write(tmp_path / "ctl.zip", _manifest([_attempt(question_text=hostile, audio=None,
                                                               analysis_error="Failed \x1b[31mred\x1b[0m")]))
    done = run_coach("import", str(archive))
    assert done.returncode == 0, done.stderr
    for args in (["history"], ["report"]):
        shown = run_coach(*args, env={"COLUMNS": "160"})
        assert shown.returncode == 0, shown.stderr
        assert "\x1b" not in shown.stdout and "\x07" not in shown.stdout and "\u202e" not in shown.stdout
        assert "\r" not in shown.stdout
    rows = [line for line in run_coach("history", env={"COLUMNS": "160"}).stdout.splitlines() if "behav" in line]
    assert len(rows) == 1 and "Tell me]0;owned about [2Ja conflict. rm -rf" in rows[0]


def test_a_good_archive_still_imports(tmp_path):
    archive = _write(tmp_path / "good.tar.gz",
                     _manifest([_attempt(session_uid=UID_B, target_s=90, highlights=[[0, 3, "filler"]])],
                               [{"uid": UID_B, "started_at": GOOD_TIME, "mode": "mock"}]),
                     {f"audio/{UID_A}.wav": b"RIFFdata"})
    done = run_coach("import", str(archive))
    assert done.returncode == 0, done.stderr
    settings = load_settings()
    with History(settings) as history:
        (attempt,) = history.attempts()
        assert attempt.uid == UID_A and attempt.audio_path == settings.recordings_dir / "imported" / f"{UID_A}.wav"
        assert attempt.audio_path.read_bytes() == b"RIFFdata"
