"""The test sound server leaves the user's home as it found it."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.support.virtual_audio import private_server


def test_clients_of_the_test_sound_server_write_nothing_in_home(tmp_path, monkeypatch):
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    with private_server() as env:
        client = {**os.environ, **env}
        subprocess.run(["pactl", "info"], env=client, check=True, capture_output=True, timeout=30)
        devices = subprocess.run(
            [sys.executable, "-c", "import sounddevice; print(len(sounddevice.query_devices()))"],
            env=client, check=True, capture_output=True, text=True, timeout=60)
        assert int(devices.stdout.split()[-1]) > 0
    assert not any(home.rglob("*")), sorted(str(p) for p in home.rglob("*"))
