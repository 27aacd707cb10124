"""The practice session's targets, measured on the real audio path (a virtual sound server).

1. Launch: seconds from starting `coach` in a terminal (tmux) until the home screen is drawn.
2. Stop to feedback: a 120 s answer (the four MFA clips joined: real spontaneous speech) played
   into the microphone at real-time speed through the app's own recorder and live transcriber;
   the time from the stop key to the full analysis, and the batch baseline (transcribing the
   whole recording after the stop).
3. Memory: resident memory of the app (Pilot, headless) through ten answers in a row.

    .venv/bin/python benchmarks/practice_session.py [--answers 10]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests import evaldata  # noqa: E402
from tests.support import virtual_audio  # noqa: E402


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def long_answer(folder: Path) -> Path:
    """About two minutes of real spontaneous speech."""
    import numpy as np
    import soundfile

    from coach.audio.files import load_audio

    parts = [load_audio(evaldata.EVAL / "audio" / f"{clip}.wav").samples for clip in
             ("mfa_acoustic_spont", "mfa_cold_spont", "mfa_cold3_spont", "mfa_elicited_fillers")]
    gap = np.zeros(8000, np.float32)
    joined = np.concatenate([x for part in parts for x in (part, gap)])
    path = folder / "answer_120s.wav"
    soundfile.write(path, joined, 16000)
    return path


def launch_time(env: dict[str, str], data: Path) -> float:
    session = "coach-bench"
    subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)
    started = time.perf_counter()
    subprocess.run(["tmux", "new-session", "-d", "-x", "120", "-y", "40", "-s", session,
                    f"env COACH_DATA_DIR={data} COACH_CONFIG={data}/config.toml {REPO}/.venv/bin/coach practice --mute"],
                   check=True, env=env)
    try:
        while time.perf_counter() - started < 20:
            screen = subprocess.run(["tmux", "capture-pane", "-p", "-t", session], capture_output=True,
                                    text=True).stdout
            if "Pick a question" in screen:
                return time.perf_counter() - started
            time.sleep(0.02)
        raise SystemExit("the home screen never appeared")
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)


def stop_to_feedback(answer: Path) -> tuple[float, float, float]:
    from coach.analysis.answer import QuestionContext, transcriber_for
    from coach.practice import AnswerRecording
    from coach.settings import load_settings

    settings = load_settings()
    transcriber = transcriber_for(settings)
    transcriber.load()
    from coach.analysis.language import nlp

    nlp()
    recording = AnswerRecording(settings, transcriber, QuestionContext(text="Tell me about a project.", target_s=120))
    recording.start()
    subprocess.run(["paplay", "--device=micfeed", str(answer)], check=True)
    time.sleep(0.3)
    stopped = time.perf_counter()
    analysis = recording.finish()
    latency = time.perf_counter() - stopped
    started = time.perf_counter()
    transcriber.transcribe(recording.recorder.samples())
    batch = time.perf_counter() - started
    return latency, batch, analysis.duration_s


async def session_memory(answers: int, clips: list[Path]) -> list[tuple[float, float]]:
    from coach.settings import load_settings
    from coach.ui.app import make_app
    from coach.ui.screens.feedback import FeedbackScreen
    from coach.ui.screens.practice import PracticeScreen

    app = make_app(load_settings(), speak=True)
    readings = []
    async with app.run_test(size=(120, 40)) as pilot:
        async def wait(condition, timeout=120.0):
            deadline = time.monotonic() + timeout
            while not condition():
                if time.monotonic() > deadline:
                    raise SystemExit(f"stuck on {type(app.screen).__name__}")
                await pilot.pause(0.05)

        await wait(lambda: app.model_state == "ready")
        await pilot.press("enter")
        for index in range(answers):
            await wait(lambda: isinstance(app.screen, PracticeScreen) and app.screen.state == "recording")
            player = await asyncio.create_subprocess_exec("paplay", "--device=micfeed", str(clips[index % len(clips)]))
            await player.wait()
            await pilot.pause(0.3)
            stopped = time.perf_counter()
            await pilot.press("space")
            await wait(lambda: isinstance(app.screen, FeedbackScreen))
            readings.append((time.perf_counter() - stopped, rss_mb()))
            print(f"  answer {index + 1}: stop to feedback {readings[-1][0]:.2f} s, RSS {readings[-1][1]:.0f} MB",
                  flush=True)
            await pilot.press("n")
    return readings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--answers", type=int, default=10)
    parser.add_argument("--only", choices=["launch", "latency", "memory"], help="run one measurement")
    args = parser.parse_args()
    # A private sound server, stopped when the benchmark ends (also on Ctrl-C or a kill), started
    # before sounddevice is imported anywhere; this process records through it too.
    with virtual_audio.private_server() as env:
        os.environ.update(env)
        run(args, env)


def run(args: argparse.Namespace, env: dict[str, str]) -> None:
    from coach.process import limit_malloc_arenas

    limit_malloc_arenas()  # as `coach` does at start, before any thread exists
    work = Path(tempfile.mkdtemp(prefix="coach-bench-"))
    os.environ["COACH_DATA_DIR"] = str(work / "data")
    os.environ["COACH_CONFIG"] = str(work / "config.toml")
    try:
        if args.only in (None, "launch"):
            launches = [launch_time({**os.environ, **env}, work / f"launch{i}") for i in range(3)]
            print(f"launch to home screen drawn: {', '.join(f'{t:.2f}' for t in launches)} s (3 runs)")
        if args.only in (None, "latency"):
            answer = long_answer(work)
            latency, batch, duration = stop_to_feedback(answer)
            print(f"{duration:.0f} s answer: stop to full analysis {latency:.2f} s "
                  f"(batch transcription after the stop would take {batch:.2f} s)")
        if args.only not in (None, "memory"):
            return
        clips = [evaldata.EVAL / "audio" / f"{c}.wav" for c in ("mfa_cold_spont", "mfa_acoustic_spont",
                                                                 "mfa_cold3_spont", "jfk_ask_not")]
        print(f"{args.answers} answers in one app session (Pilot, real microphone path):")
        readings = asyncio.run(session_memory(args.answers, clips))
        print(f"max RSS during the session {max(r for _, r in readings):.0f} MB, peak "
              f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB; stop to feedback "
              f"median {sorted(s for s, _ in readings)[len(readings) // 2]:.2f} s, "
              f"max {max(s for s, _ in readings):.2f} s")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
