"""Nothing leaves the machine: no telemetry files from onnxruntime, no network sockets.

Each check runs the real `coach analyze` on real synthesised speech under strace, with HOME in a
temporary folder so a file written under ``~/.cache/Microsoft`` is seen. The detectors are shown
to work first: onnxruntime loaded without coach's switches does write its device id there, and a
process that connects a socket is caught.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

pytestmark = pytest.mark.slow

needs_strace = pytest.mark.skipif(shutil.which("strace") is None, reason="strace is not installed "
                                  "(bash bootstrap.sh test installs it)")
needs_espeak = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed")

# Calls that reach out. A socket may be created (urllib3, imported by spaCy, probes IPv6 support by
# binding one to ::1), but no INET address may be connected or sent to, and none bound off loopback.
_CALLS = "trace=connect,sendto,sendmsg,bind,openat"
_INET = re.compile(r"^(?P<pid>\d+)\s+(?P<call>connect|sendto|sendmsg|bind)\(\d+, (?P<args>.*)$")
_LOOPBACK = ('inet_addr("127.', 'inet_pton(AF_INET6, "::1"')


def _network_calls(trace: Path) -> list[str]:
    """Lines of an strace log where the process talked to, or listened on, a network address."""
    found = []
    for line in trace.read_text(errors="replace").splitlines():
        match = _INET.match(line)
        if not match or not re.search(r"sa_family=AF_INET6?\b", match["args"]):
            continue
        if match["call"] == "bind" and any(lo in match["args"] for lo in _LOOPBACK):
            continue
        found.append(line)
    return found


_OPEN = re.compile(r'^(?P<pid>\d+)\s+openat\(\w+, "(?P<path>[^"]*)", (?P<rest>.*)$')
_RESUMED = re.compile(r"^(?P<pid>\d+)\s+<\.\.\. openat resumed>(?P<rest>.*)$")
#: strace pads a resumed call's result into a column: ")             = 6".
_SUCCEEDED = re.compile(r"\)\s+= \d+$")


def _opened(log: str) -> list[str]:
    """Paths the traced processes opened. With several threads, strace cuts a call another thread
    interrupts into an "<unfinished ...>" line and a "resumed" line: the two are joined by pid."""
    opened, pending = [], {}
    for line in log.splitlines():
        if match := _OPEN.match(line):
            if match["rest"].endswith("<unfinished ...>"):
                pending[match["pid"]] = match["path"]
            elif _SUCCEEDED.search(match["rest"]):
                opened.append(match["path"])
        elif (match := _RESUMED.match(line)) and match["pid"] in pending:
            path = pending.pop(match["pid"])
            if _SUCCEEDED.search(match["rest"]):
                opened.append(path)
    return opened


def _loaded_onnxruntime(trace: Path) -> bool:
    """Whether the traced process loaded onnxruntime at all (else a clean result proves nothing)."""
    return any("onnxruntime_pybind11_state" in path for path in _opened(trace.read_text(errors="replace")))


def test_an_open_cut_in_two_by_another_thread_still_counts():
    """A CI run missed onnxruntime's load: another thread's call had split the line in two."""
    so = "/venv/onnxruntime/capi/onnxruntime_pybind11_state.cpython-311-x86_64-linux-gnu.so"
    log = (f'101 openat(AT_FDCWD, "{so}", O_RDONLY|O_CLOEXEC <unfinished ...>\n'
           '102 openat(AT_FDCWD, "/venv/other.so", O_RDONLY|O_CLOEXEC) = 7\n'
           '101 <... openat resumed>)             = 6\n'
           '102 openat(AT_FDCWD, "/missing.so", O_RDONLY|O_CLOEXEC) = -1 ENOENT (No such file or directory)\n')
    assert _opened(log) == ["/venv/other.so", so]


def _telemetry_files(home: Path) -> list[Path]:
    return sorted(p for p in (home / ".cache" / "Microsoft").rglob("*") if p.is_file())


def _traced(args: list[str], home: Path, tmp_path: Path, timeout: float = 300) -> tuple[subprocess.CompletedProcess,
                                                                                         Path]:
    trace = tmp_path / "strace.log"
    env = {**os.environ, "HOME": str(home), "XDG_CACHE_HOME": str(home / ".cache")}
    env.pop("ORT_DISABLE_TELEMETRY", None)  # coach must set it itself, not inherit it from the test run
    env.pop("CI", None)  # onnxruntime keeps quiet under CI=true; a user's machine does not set it
    result = subprocess.run(["strace", "-f", "-qq", "-e", _CALLS, "-e", "signal=none", "-o", str(trace), *args],
                            capture_output=True, text=True, env=env, timeout=timeout, stdin=subprocess.DEVNULL,
                            cwd=REPO)
    return result, trace


@pytest.fixture
def spoken(tmp_path) -> Path:
    """A real spoken answer, synthesised at test time."""
    path = tmp_path / "answer.wav"
    subprocess.run(["espeak-ng", "-w", str(path), "At my last job I led a team of four engineers. "
                    "We cut the latency of the ranking service by forty percent in two months."],
                   check=True, capture_output=True)
    return path


@needs_strace
@needs_espeak
def test_analyze_writes_no_telemetry_and_opens_no_network_connection(tmp_path, spoken):
    home = tmp_path / "home"
    home.mkdir()
    result, trace = _traced([sys.executable, "-m", "coach", "analyze", str(spoken), "--json"], home, tmp_path)
    assert result.returncode == 0, result.stderr
    analysis = json.loads(result.stdout)
    assert analysis["speech_s"] > 2 and "engineers" in analysis["transcript"].lower()
    assert _loaded_onnxruntime(trace)
    assert _telemetry_files(home) == []
    assert _network_calls(trace) == []


@needs_strace
@needs_espeak
def test_saved_attempt_writes_no_telemetry_either(tmp_path, spoken):
    home = tmp_path / "home"
    home.mkdir()
    result, trace = _traced([sys.executable, "-m", "coach", "analyze", str(spoken), "--save", "--json"], home, tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Saved as attempt" in result.stderr
    assert _telemetry_files(home) == []
    assert _network_calls(trace) == []


_BARE_VAD = """
import numpy as np
from faster_whisper.vad import get_speech_timestamps
get_speech_timestamps((np.random.default_rng(0).standard_normal(48000) * 0.1).astype("float32"))
"""


@needs_strace
def test_the_telemetry_detector_sees_onnxruntime_without_coach(tmp_path):
    """Without coach's switch, the installed onnxruntime writes its device id under HOME: the check
    above would fail if the switch were gone."""
    home = tmp_path / "home"
    home.mkdir()
    result, _ = _traced([sys.executable, "-c", _BARE_VAD], home, tmp_path)
    assert result.returncode == 0, result.stderr
    if not _telemetry_files(home):
        pytest.skip("this onnxruntime build writes no telemetry files at all")
    assert any(p.name == "deviceid" for p in _telemetry_files(home))


def test_importing_coach_switches_telemetry_off_before_onnxruntime_loads(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    code = "import coach, os; print(os.environ['ORT_DISABLE_TELEMETRY'], os.environ['HF_HUB_DISABLE_TELEMETRY'])\n"
    env = {**os.environ, "HOME": str(home), "ORT_DISABLE_TELEMETRY": "0"}
    result = subprocess.run([sys.executable, "-c", code + _BARE_VAD], capture_output=True, text=True, env=env,
                            timeout=120, cwd=REPO)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["1", "1"]
    assert _telemetry_files(home) == []


@needs_strace
def test_the_network_detector_sees_a_connection(tmp_path):
    # 192.0.2.1 is TEST-NET-1: connecting a UDP socket sends nothing, but it is the call a lookup makes.
    # In a namespace with no network (unshare -n) the call fails, but it is made and must be seen.
    code = ("import socket, contextlib; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
            "with contextlib.suppress(OSError): s.connect(('192.0.2.1', 53))")
    result, trace = _traced([sys.executable, "-c", code], tmp_path, tmp_path)
    assert result.returncode == 0, result.stderr
    assert any("192.0.2.1" in line for line in _network_calls(trace))



@needs_strace
def test_story_matching_with_the_sentence_encoder_writes_no_telemetry(tmp_path):
    """The sentence encoder is a second onnxruntime session, loaded from another entry point."""
    from coach.analysis import embeddings

    if not embeddings.available():
        pytest.skip("the sentence encoder is not installed")
    home = tmp_path / "home"
    home.mkdir()
    result, trace = _traced([sys.executable, "-m", "coach", "stories", "--stories", str(tmp_path / "stories"),
                             "match", "Tell me about a model that failed in production", "--json"], home, tmp_path)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["matches"]
    assert _loaded_onnxruntime(trace)
    assert _telemetry_files(home) == []
    assert _network_calls(trace) == []
