"""`coach doctor` on this machine: real devices, real engine, real models."""

from __future__ import annotations

import pytest

from tests.conftest import run_coach

pytestmark = pytest.mark.slow

# Points PortAudio's ALSA pulse plugin at a server that is not there: a machine with no sound.
NO_SOUND_SERVER = {"PULSE_SERVER": "unix:/nonexistent/pulse/native"}


def test_reports_a_missing_audio_system_plainly():
    result = run_coach("doctor", env=NO_SOUND_SERVER)
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    microphone = next(i for i, line in enumerate(lines) if "microphone" in line)
    assert lines[microphone].startswith("FAIL")
    assert "fix:" in lines[microphone + 1] and "coach analyze FILE" in lines[microphone + 1]
    assert any(line.startswith("FAIL speaker") for line in lines)
    for passing in ("whisper model: tiny.en", "spaCy pipeline", "sentence encoder", "speech engine", "data folder"):
        assert any(line.startswith("ok") and passing in line for line in lines), passing
    assert "6 of 8 checks passed." in result.stdout
    assert "Traceback" not in result.stderr


def test_unwritable_data_folder_fails(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("a file where the data folder should be")
    result = run_coach("doctor", env={**NO_SOUND_SERVER, "COACH_DATA_DIR": str(blocker / "data")})
    assert result.returncode == 1
    assert any(line.startswith("FAIL data folder") for line in result.stdout.splitlines())


def test_a_data_folder_made_by_doctor_is_private(tmp_path):
    data = tmp_path / "new" / "data"
    result = run_coach("doctor", env={**NO_SOUND_SERVER, "COACH_DATA_DIR": str(data)})
    assert any(line.startswith("ok   data folder") for line in result.stdout.splitlines()), result.stdout
    assert data.stat().st_mode & 0o777 == 0o700
