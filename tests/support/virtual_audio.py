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

Tests use :func:`private_server` instead: a daemon of their own in a fresh directory, stopped
when they finish however they finish, and never one somebody else started.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from collections.abc import Iterator, Mapping
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


def _die_with_parent() -> None:
    # PR_SET_PDEATHSIG: the kernel kills this child when the process that started it dies, even
    # by SIGKILL, when no cleanup of ours can run.
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)


@contextlib.contextmanager
def private_server(exit_idle_s: int = 10, parent: str | os.PathLike[str] | None = None) -> Iterator[dict[str, str]]:
    """Start a daemon in a new private directory (in ``parent``, default the system's temporary
    folder); yield its client variables; stop it after.

    Unlike :func:`start`, it leaves the client variables out of ``os.environ``: only processes
    given them (``{**os.environ, **env}``) see the virtual devices, so tests that expect no
    microphone still find none.

    It is stopped and its directory removed when the block ends (also on an exception or
    Ctrl-C), at interpreter exit, and on SIGTERM or SIGHUP. If this process is killed
    outright, a client held open for the block dies with it, and the daemon, left with no
    clients, exits by itself after ``exit_idle_s`` seconds. A daemon started elsewhere (the
    default directory, a developer's own) is never touched: ``stop`` only kills daemons that
    run this directory's configuration.
    """
    root = Path(tempfile.mkdtemp(prefix="coach-va-", dir=parent))
    keys = ("VIRTUAL_AUDIO_DIR", "VIRTUAL_AUDIO_EXIT_IDLE_S")
    saved = {key: os.environ.get(key) for key in keys}
    os.environ.update(VIRTUAL_AUDIO_DIR=str(root / "pulse"), VIRTUAL_AUDIO_EXIT_IDLE_S=str(exit_idle_s))
    holder: subprocess.Popen[bytes] | None = None
    handlers: dict[int, object] = {}
    done = False

    def cleanup() -> None:
        nonlocal done
        if done:
            return
        done = True
        try:
            if holder is not None and holder.poll() is None:
                holder.kill()
                holder.wait()
            if (root / "pulse").exists():
                stop()
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
            shutil.rmtree(root, ignore_errors=True)

    def on_signal(signum, frame) -> None:  # noqa: ARG001
        cleanup()
        signal.signal(signum, handlers.get(signum, signal.SIG_DFL))
        os.kill(os.getpid(), signum)

    atexit.register(cleanup)
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGTERM, signal.SIGHUP):
            handlers[signum] = signal.getsignal(signum)
            signal.signal(signum, on_signal)
    try:
        before = dict(os.environ)
        env = start()
        for key in env.keys() - {"VIRTUAL_AUDIO_DIR"}:
            if key in before:
                os.environ[key] = before[key]
            else:
                os.environ.pop(key, None)
        # A client connected for the whole block keeps the idle timer from firing between tests.
        holder = subprocess.Popen(["pactl", "subscribe"], env=client_env(), stdin=subprocess.DEVNULL,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                  preexec_fn=_die_with_parent)
        yield env
    finally:
        cleanup()
        atexit.unregister(cleanup)
        for signum, handler in handlers.items():
            signal.signal(signum, handler)


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
