"""The practice session's targets, measured on the real audio path (a virtual sound server).

1. Launch: seconds from starting `coach` in a terminal (tmux) until the home screen is drawn,
   beside a bare Textual app with six labels (benchmarks/bare_app.py) started the same way,
   interleaved; and until the title says the models are ready.
2. Stop to feedback: a 120 s answer (the four MFA clips joined: real spontaneous speech) played
   into the microphone at real-time speed through the app's own recorder and live transcriber;
   the time from the stop key to the full analysis, and the batch baseline (transcribing the
   whole recording after the stop).
3. Memory: resident memory of the app (Pilot, headless) through ten answers in a row, and each
   answer's stop key to its feedback screen drawn, with where that time went.
4. First audio: from choosing a question on the home screen (Pilot, enter) to its first audible
   sample on the virtual speaker (the speaker's monitor, read 10 ms at a time), with the voice
   made ahead (the app prepares the highlighted question) and without (voice loaded, nothing
   made ahead: how the app asked before), interleaved, medians. The user looks at the
   highlighted question for --dwell seconds before choosing it, in both arms.

    .venv/bin/python benchmarks/practice_session.py [--answers 10] [--only first-audio --rounds 6]
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


def launch_time(env: dict[str, str], data: Path, command: str) -> tuple[float, float | None]:
    """Seconds from starting ``command`` in tmux to "Pick a question" on screen, and to the title
    saying the models are ready (coach only; None for the bare app)."""
    session = "coach-bench"
    subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)
    started = time.perf_counter()
    subprocess.run(["tmux", "new-session", "-d", "-x", "120", "-y", "40", "-s", session,
                    f"env COACH_DATA_DIR={data} COACH_CONFIG={data}/config.toml {command}"],
                   check=True, env=env)
    drawn = None
    try:
        while time.perf_counter() - started < 30:
            screen = subprocess.run(["tmux", "capture-pane", "-p", "-t", session], capture_output=True,
                                    text=True).stdout
            if drawn is None and "Pick a question" in screen:
                drawn = time.perf_counter() - started
                if "bare_app" in command:
                    return drawn, None
            if drawn is not None and " ready" in screen:
                return drawn, time.perf_counter() - started
            time.sleep(0.02)
        raise SystemExit("the home screen never appeared" if drawn is None else "the models never became ready")
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)


def launches(env: dict[str, str], work: Path, rounds: int = 5, tree: Path | None = None) -> None:
    """coach and the bare app (and coach from ``tree``), interleaved, the order rotating; medians."""
    import statistics

    commands = {"coach": f"{REPO}/.venv/bin/coach practice --mute",
                "bare": f"{REPO}/.venv/bin/python {REPO}/benchmarks/bare_app.py"}
    if tree is not None:
        commands["tree"] = f"env PYTHONPATH={tree.resolve()} {REPO}/.venv/bin/python -m coach practice --mute"
    drawn: dict[str, list[float]] = {name: [] for name in commands}
    ready: dict[str, list[float]] = {name: [] for name in commands}
    names = list(commands)
    for n in range(rounds):
        for name in names[n % len(names):] + names[: n % len(names)]:
            first, models = launch_time(env, work / f"launch{n}{name}", commands[name])
            drawn[name].append(first)
            if models is not None:
                ready[name].append(models)
    load = os.getloadavg()[0]
    print(f"launch to first screen drawn (tmux, {rounds} runs each, interleaved; load average {load:.1f}):")
    print(f"  coach home screen  median {statistics.median(drawn['coach']):.2f} s "
          f"({', '.join(f'{t:.2f}' for t in drawn['coach'])})")
    print(f"  bare Textual app   median {statistics.median(drawn['bare']):.2f} s "
          f"({', '.join(f'{t:.2f}' for t in drawn['bare'])}); coach minus bare "
          f"{statistics.median(drawn['coach']) - statistics.median(drawn['bare']):+.2f} s (goal <= +0.15 s)")
    print(f"  coach models ready (Whisper and spaCy: the title says \"ready\") median "
          f"{statistics.median(ready['coach']):.2f} s ({', '.join(f'{t:.2f}' for t in ready['coach'])}; "
          "goal <= 1.0 s)")
    if tree is not None:
        print(f"  coach from {tree}: home screen median {statistics.median(drawn['tree']):.2f} s "
              f"({', '.join(f'{t:.2f}' for t in drawn['tree'])}), models ready median "
              f"{statistics.median(ready['tree']):.2f} s ({', '.join(f'{t:.2f}' for t in ready['tree'])})")


def timed(spent: dict[str, float], name: str, step):
    """``step`` adding the seconds each call takes to ``spent[name]``."""
    def run(*args, **kwargs):
        began = time.perf_counter()
        try:
            return step(*args, **kwargs)
        finally:
            spent[name] = spent.get(name, 0.0) + time.perf_counter() - began
    return run


def stop_to_feedback(answer: Path) -> tuple[float, float, float, dict[str, float]]:
    from coach.analysis import filled_pauses
    from coach.analysis.answer import QuestionContext, transcriber_for
    from coach.session import AnswerRecording
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
    # Where the time after the stop goes: the last utterance's transcription, the analysis (and
    # within it the filled-pause search), and the rest (waiting for the work done ahead to end).
    # Each step is looked up when called, so it is timed by wrapping it here.
    import coach.session

    spent = {"last utterance": 0.0, "analysis": 0.0, "filled-pause search": 0.0}

    steps = [(recording.live, "stop", "last utterance"), (coach.session, "analyse_audio", "analysis"),
             (filled_pauses, "recover_filled_pauses", "filled-pause search")]
    originals = [getattr(owner, attr) for owner, attr, _ in steps]
    for (owner, attr, name), step in zip(steps, originals):
        setattr(owner, attr, timed(spent, name, step))
    stopped = time.perf_counter()
    try:
        analysis = recording.finish()
    finally:
        for (owner, attr, _), step in zip(steps, originals):
            setattr(owner, attr, step)
    latency = time.perf_counter() - stopped
    spent["rest"] = latency - spent["last utterance"] - spent["analysis"]
    live = recording.live
    print(f"  utterances read ahead while speaking: {live.read_ahead}, kept {live.kept_ahead} "
          f"(the others were read again with what followed)")
    started = time.perf_counter()
    transcriber.transcribe(recording.recorder.samples())
    batch = time.perf_counter() - started
    return latency, batch, analysis.duration_s, spent


async def wait_until(pilot, condition, timeout: float = 120.0, step: float = 0.05) -> None:
    """Let the app run until ``condition()`` holds; give up after ``timeout`` seconds of wall time."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit(f"stuck on {type(pilot.app.screen).__name__}")
        await pilot.pause(step)


async def session_memory(answers: int, clips: list[Path]) -> list[tuple[float, float]]:
    import coach.session
    from coach.settings import load_settings
    from coach.speech.live import LiveTranscriber
    from coach.ui.app import make_app
    from coach.ui.screens.feedback import FeedbackScreen
    from coach.ui.screens.practice import PracticeScreen

    # Where each stop's time goes, as in the latency measure: the last utterance's transcription and
    # the analysis; the rest is handing the result to the screen and drawing it.
    spent: dict[str, float] = {}

    LiveTranscriber.stop = timed(spent, "last utterance", LiveTranscriber.stop)
    coach.session.analyse_audio = timed(spent, "analysis", coach.session.analyse_audio)
    # Waiting for the work done while the user spoke: the language pass under way, the filled-pause
    # frames, the recorder's last block.
    coach.session._LanguageAhead.close = timed(spent, "language pass", coach.session._LanguageAhead.close)
    coach.session._FillersAhead.result = timed(spent, "filler frames", coach.session._FillersAhead.result)
    coach.session.Recorder.stop = timed(spent, "recorder", coach.session.Recorder.stop)
    # Python's garbage collections, whichever part they fall in (printed apart, not in the sum).
    import gc

    collections: list[tuple[float, float]] = []
    began: list[float] = []

    def collected(phase, info):
        if phase == "start":
            began[:] = [time.perf_counter()]
        elif began:
            collections.append((began[0], time.perf_counter()))

    gc.callbacks.append(collected)
    # Outside the stop itself: the feedback screen made and switched to.
    marks: dict[str, float] = {}
    showing = PracticeScreen.on_practice_screen_analysed

    def show(self, message):
        marks["shown starts"] = time.perf_counter()
        try:
            return showing(self, message)
        finally:
            marks["shown ends"] = time.perf_counter()

    PracticeScreen.on_practice_screen_analysed = show
    finishing = coach.session.AnswerRecording.finish

    def finish(self):
        marks["finish starts"] = time.perf_counter()
        try:
            return finishing(self)
        finally:
            marks["finish ends"] = time.perf_counter()

    coach.session.AnswerRecording.finish = finish
    # Drawn: the feedback screen's first refresh after it mounted (Pilot's own pause would also wait
    # for the practice screen to be torn down, which the user does not wait for).
    mounting = FeedbackScreen.on_mount

    def mounted(self):
        mounting(self)
        self.call_after_refresh(lambda: marks.__setitem__("drawn", time.perf_counter()))

    FeedbackScreen.on_mount = mounted
    app = make_app(load_settings(), speak=True)
    app.freeze_after_loading = True  # as in a terminal (headless apps leave it off)
    readings = []
    async with app.run_test(size=(120, 40)) as pilot:
        def wait(condition, timeout=120.0):
            return wait_until(pilot, condition, timeout)

        await wait(lambda: app.model_state == "ready")
        await pilot.press("enter")
        for index in range(answers):
            await wait(lambda: isinstance(app.screen, PracticeScreen) and app.screen.state == "recording")
            if index:
                print(f"  RSS when the next question records: {rss_mb():.0f} MB", flush=True)
            player = await asyncio.create_subprocess_exec("paplay", "--device=micfeed", str(clips[index % len(clips)]))
            await player.wait()
            await pilot.pause(0.3)
            spent.clear()
            marks.pop("drawn", None)
            stopped = time.perf_counter()
            await pilot.press("space")
            deadline = time.monotonic() + 120
            while "drawn" not in marks and time.monotonic() < deadline:
                await asyncio.sleep(0.005)  # not pilot.pause: see `mounted`
            if "drawn" not in marks:
                raise SystemExit("the feedback screen was never drawn")
            readings.append((marks["drawn"] - stopped, rss_mb()))
            await wait(lambda: isinstance(app.screen, FeedbackScreen))
            spent["stop key to the stop's thread"] = marks["finish starts"] - stopped
            spent["result to the screen"] = marks["shown starts"] - marks["finish ends"]
            spent["feedback screen made"] = marks["shown ends"] - marks["shown starts"]
            spent["until drawn"] = marks["drawn"] - marks["shown ends"]
            rest = readings[-1][0] - sum(spent.values())
            parts = ", ".join(f"{name} {seconds:.2f} s" for name, seconds in spent.items())
            inside = [(a, b) for a, b in collections if stopped <= a and b <= marks["drawn"]]
            collecting = f"; garbage collection within it {sum(b - a for a, b in inside):.2f} s ({len(inside)} runs)"
            print(f"  answer {index + 1}: stop to feedback {readings[-1][0]:.2f} s ({parts}, the rest {rest:.2f} s"
                  f"{collecting}), RSS {readings[-1][1]:.0f} MB", flush=True)
            await pilot.press("n")
    return readings


class SpeakerWatch:
    """The virtual speaker's monitor, read as it plays: when did the first audible sample arrive?"""

    RATE = 16000
    CHUNK = 160  # 10 ms
    THRESHOLD = 0.003  # about -50 dBFS: the null sink is digital silence between questions

    def __init__(self) -> None:
        import threading

        self._proc = subprocess.Popen(["parec", f"--device={virtual_audio.SPEAKER_MONITOR}", "--raw",
                                       "--format=s16le", f"--rate={self.RATE}", "--channels=1",
                                       "--latency-msec=10"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self._armed = False
        self.heard_at: float | None = None
        self._last_sound = time.perf_counter()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        import numpy as np

        size = self.CHUNK * 2
        while True:
            data = self._proc.stdout.read(size)
            if not data:
                return
            now = time.perf_counter()
            if np.max(np.abs(np.frombuffer(data, np.int16))) / 32768 > self.THRESHOLD:
                self._last_sound = now
                if self._armed and self.heard_at is None:
                    self.heard_at = now

    def arm(self) -> None:
        self.heard_at = None
        self._armed = True

    def quiet_for(self) -> float:
        return time.perf_counter() - self._last_sound

    def close(self) -> None:
        self._proc.terminate()
        self._proc.wait(timeout=10)


async def first_audio(rounds: int, dwell_s: float) -> dict[str, list[float]]:
    from coach.settings import load_settings
    from coach.speech import voice
    from coach.ui.app import make_app
    from coach.ui.screens.home import HomeScreen
    from coach.ui.screens.practice import PracticeScreen

    app = make_app(load_settings(), speak=True)
    times: dict[str, list[float]] = {"prepared": [], "cold": []}
    watch = SpeakerWatch()
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            def wait(condition, timeout=120.0):
                return wait_until(pilot, condition, timeout, step=0.01)  # first audio is timed to 10 ms

            await wait(lambda: app.model_state == "ready" and app._voice_loaded)
            home = app.screen
            options = home.query_one("#questions")
            for n in range(rounds):
                for arm in ("prepared", "cold") if n % 2 == 0 else ("cold", "prepared"):
                    voice.forget_prepared()
                    app.voice_ahead = arm == "prepared"
                    # A question not asked before in this run, so nothing is left over from it.
                    # (not the first: it was highlighted, and made ahead, as the app started)
                    options.highlighted = (1 + 2 * n + (arm == "cold")) % len(home.shown)
                    looked = time.perf_counter()
                    await pilot.pause(min(dwell_s, 3.0))
                    if arm == "prepared" and dwell_s > 3.0:  # until it is made, as a user reading longer
                        text = home.shown[options.highlighted].text
                        await wait(lambda text=text, since=looked: voice.is_prepared(text, app.settings.voice)
                                   or time.perf_counter() - since > dwell_s)
                    looked = time.perf_counter() - looked
                    await wait(lambda: watch.quiet_for() > 0.5)
                    ready = voice.is_prepared(home.shown[options.highlighted].text, app.settings.voice)
                    watch.arm()
                    chosen = time.perf_counter()
                    await pilot.press("enter")
                    await wait(lambda: watch.heard_at is not None, timeout=60)
                    times[arm].append(watch.heard_at - chosen)
                    print(f"  round {n + 1} {arm:8s} first audio {times[arm][-1]:.3f} s after {looked:.1f} s on the "
                          f"question{' (made ahead before choosing)' if ready else ''}", flush=True)
                    await wait(lambda: isinstance(app.screen, PracticeScreen))
                    await pilot.press("escape")
                    await wait(lambda: isinstance(app.screen, HomeScreen))
    finally:
        watch.close()
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--answers", type=int, default=10)
    parser.add_argument("--only", choices=["launch", "latency", "memory", "first-audio"], help="run one measurement")
    parser.add_argument("--rounds", type=int, default=6, help="first audio: questions chosen per arm")
    parser.add_argument("--launches", type=int, default=5, help="launch: starts of each app")
    parser.add_argument("--tree", type=Path, help="launch: also start the coach in DIR (an older revision, exported)")
    parser.add_argument("--dwell", type=float, default=3.0,
                        help="first audio: seconds the user looks at the question before choosing it; above 3, "
                             "with making ahead, the choice comes as soon as the question is made (at most this)")
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
            launches({**os.environ, **env}, work, args.launches, args.tree)
        if args.only in (None, "latency"):
            answer = long_answer(work)
            latency, batch, duration, parts = stop_to_feedback(answer)
            print(f"{duration:.0f} s answer: stop to full analysis {latency:.2f} s (batch transcription after the "
                  f"stop would take {batch:.2f} s); load average {os.getloadavg()[0]:.1f} (2 cores shared with "
                  f"other work)")
            print("  after the stop: " + ", ".join(f"{name} {seconds:.2f} s" for name, seconds in parts.items()))
        if args.only in (None, "first-audio"):
            import statistics

            print(f"first audio after choosing a question ({args.rounds} per arm, interleaved, "
                  f"{'3.0 s' if args.dwell <= 3 else f'3 s (not made ahead) or until made, at most {args.dwell:.0f} s'}"
                  f" on the question before choosing it):")
            times = asyncio.run(first_audio(args.rounds, args.dwell))
            print(f"  load average {os.getloadavg()[0]:.1f} at the end (2 cores shared with other work)")
            for arm, label in (("prepared", "made ahead (now)"), ("cold", "not made ahead (before)")):
                print(f"  {label:24s} median {statistics.median(times[arm]):.3f} s, max {max(times[arm]):.3f} s")
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
