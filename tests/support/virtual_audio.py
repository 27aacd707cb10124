"""Virtual microphone and speaker for tests (stdlib only; wraps virtual_audio.sh).

Typical use, before anything imports ``sounddevice`` (PortAudio reads the device
list once, at import)::

    from tests.support import virtual_audio
    env = virtual_audio.start()              # also applied to os.environ
    rec = virtual_audio.record_speaker("out.wav")
    virtual_audio.play_into_microphone("answer.wav", wait=True)
    virtual_audio.stop_recording(rec)

Subprocesses inherit the variables from ``os.environ``; pass
``env=virtual_audio.client_env()`` explicitly when building a custom environment.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import warnings
from collections.abc import Mapping
from pathlib import Path

SCRIPT = Path(__file__).resolve().with_name("virtual_audio.sh")

#: Names used by virtual_audio.sh (also exported as VIRTUAL_AUDIO_* variables).
MIC = "virtual_mic"
MIC_FEED = "micfeed"
SPEAKER = "virtual_speaker"
SPEAKER_MONITOR = SPEAKER + ".monitor"

_env: dict[str, str] = {}


def _run_script(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(SCRIPT), *args],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def _parse_env(text: str) -> dict[str, str]:
    env: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep and key.isidentifier():
            env[key] = value
    return env


def start(timeout: float = 60) -> dict[str, str]:
    """Start the virtual audio stack (idempotent) and return its client variables.

    The variables (PULSE_SERVER, ALSA_CONFIG_PATH, VIRTUAL_AUDIO_*) are also set in
    ``os.environ``. Raises RuntimeError with the script's diagnostics on failure.
    """
    proc = _run_script("start", timeout=timeout)
    if proc.returncode != 0:
        raise RuntimeError(
            f"{SCRIPT} start failed (exit {proc.returncode}):\n{proc.stderr.strip()}"
        )
    env = _parse_env(proc.stdout)
    if "PULSE_SERVER" not in env:
        raise RuntimeError(f"{SCRIPT} start printed no PULSE_SERVER:\n{proc.stdout}")
    if "sounddevice" in sys.modules and os.environ.get("PULSE_SERVER") != env["PULSE_SERVER"]:
        warnings.warn(
            "sounddevice was imported before virtual_audio.start(): PortAudio's device "
            "list may not include the virtual devices. Import sounddevice after start(), "
            "or run the code under test in a subprocess.",
            RuntimeWarning,
            stacklevel=2,
        )
    os.environ.update(env)
    _env.clear()
    _env.update(env)
    return dict(env)


def stop(timeout: float = 30) -> None:
    """Stop the daemon, remove its runtime directory and drop the variables from os.environ."""
    proc = _run_script("stop", timeout=timeout)
    if proc.returncode != 0:
        raise RuntimeError(f"{SCRIPT} stop failed (exit {proc.returncode}):\n{proc.stderr.strip()}")
    for key, value in (_env or _parse_env(_run_script("env").stdout)).items():
        if os.environ.get(key) == value:
            del os.environ[key]
    _env.clear()


def is_running() -> bool:
    """True if the virtual audio daemon is up and answering."""
    return _run_script("status", timeout=30).returncode == 0


def client_env(base: Mapping[str, str] | None = None) -> dict[str, str]:
    """Return ``base`` (default: os.environ) plus the client variables, for subprocesses."""
    env = dict(os.environ if base is None else base)
    env.update(_env or _parse_env(_run_script("env").stdout))
    return env


def play_into_microphone(
    path: str | os.PathLike[str], *, wait: bool = False, timeout: float | None = None
) -> subprocess.Popen[bytes]:
    """Speak the audio file ``path`` into the virtual microphone (paplay to micfeed).

    Returns the paplay process; with ``wait=True`` it has finished (non-zero exit
    raises CalledProcessError). Any format libsndfile reads works (WAV, FLAC, OGG).
    """
    proc = subprocess.Popen(
        ["paplay", f"--device={MIC_FEED}", os.fspath(path)],
        env=client_env(),
        stdin=subprocess.DEVNULL,
    )
    if wait:
        rc = proc.wait(timeout=timeout)
        if rc != 0:
            raise subprocess.CalledProcessError(rc, proc.args)
    return proc


def _source_output_pids(env: Mapping[str, str]) -> set[int]:
    out = subprocess.run(
        ["pactl", "list", "source-outputs"],
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=10,
    ).stdout
    pids: set[int] = set()
    for line in out.splitlines():
        line = line.strip()
        if line.startswith("application.process.id = "):
            try:
                pids.add(int(line.split("=", 1)[1].strip().strip('"')))
            except ValueError:
                pass
    return pids


def record_speaker(
    path: str | os.PathLike[str],
    *,
    rate: int = 16000,
    channels: int = 1,
    connect_timeout: float = 10,
) -> subprocess.Popen[bytes]:
    """Record what is played to the default (virtual) speaker into the WAV file ``path``.

    Starts ``parecord`` on the speaker monitor and returns once it is connected, so
    nothing played afterwards is lost. Finish with :func:`stop_recording` (SIGINT lets
    parecord finalise the WAV header).
    """
    env = client_env()
    proc = subprocess.Popen(
        [
            "parecord",
            f"--device={SPEAKER_MONITOR}",
            f"--rate={rate}",
            f"--channels={channels}",
            "--format=s16le",
            "--file-format=wav",
            "--latency-msec=20",
            os.fspath(path),
        ],
        env=env,
        stdin=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + connect_timeout
    while proc.pid not in _source_output_pids(env):
        if proc.poll() is not None:
            raise RuntimeError(f"parecord exited early with code {proc.returncode}")
        if time.monotonic() > deadline:
            stop_recording(proc)
            raise RuntimeError("parecord did not connect to the speaker monitor in time")
        time.sleep(0.02)
    return proc


def stop_recording(proc: subprocess.Popen[bytes], timeout: float = 10) -> int:
    """Stop a recorder started by :func:`record_speaker` cleanly; return its exit code."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return proc.returncode
