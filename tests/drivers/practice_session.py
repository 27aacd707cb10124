"""Drives the real app headless (Textual's Pilot) through one spoken answer on the real audio
stack. Run in a child process whose environment points PortAudio at the virtual sound server:

    python -m tests.drivers.practice_session ANSWER.wav OUT.json [--kill]

It opens the first question, waits while the question is read aloud and the recording starts,
plays ANSWER.wav into the virtual microphone, presses space and writes what the feedback
screen shows to OUT.json. With --kill it prints the recording's path once the answer has been
playing for a while and then waits to be killed, as a crash would.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from pathlib import Path


async def run(answer: Path, out: Path, kill: bool) -> None:
    from coach.settings import load_settings
    from coach.ui.app import make_app
    from coach.ui.screens.feedback import FeedbackScreen
    from coach.ui.screens.practice import PracticeScreen

    app = make_app(load_settings())
    timeline: dict[str, float] = {}
    async with app.run_test(size=(120, 40)) as pilot:
        async def wait(condition, timeout=60.0):
            deadline = time.monotonic() + timeout
            while not condition():
                if time.monotonic() > deadline:
                    raise SystemExit(f"timed out; screen {type(app.screen).__name__}, "
                                     f"state {getattr(app.screen, 'state', None)}")
                await pilot.pause(0.05)

        await wait(lambda: app.model_state == "ready")
        await pilot.press("enter")
        await wait(lambda: isinstance(app.screen, PracticeScreen))
        practice = app.screen
        await wait(lambda: practice.state in {"recording", "no_microphone"})
        if practice.state == "no_microphone":
            raise SystemExit("no microphone: " + str(practice.query_one("#notice").render()))
        player = subprocess.Popen(["paplay", "--device=micfeed", str(answer)])
        if kill:
            await asyncio.sleep(6)
            # Straight to the real stdout: while an app runs, Textual may capture print().
            sys.__stdout__.write(f"RECORDING {practice.recording.path}\n")
            sys.__stdout__.flush()
            await asyncio.sleep(600)
        while player.poll() is None:
            await pilot.pause(0.1)
        await pilot.pause(0.5)
        live_transcript = str(practice.query_one("#transcript").render())
        timeline["stop"] = time.monotonic()
        await pilot.press("space")
        await wait(lambda: isinstance(app.screen, FeedbackScreen))
        timeline["feedback"] = time.monotonic()
        # Let the new screen finish mounting: Textual's Header fails if the app exits while its
        # first title update is still queued.
        await pilot.pause(0.2)
        feedback = app.screen
        result = {
            "question": practice.asked,
            "live_transcript": live_transcript,
            "transcript": feedback.analysis.transcript,
            "tips": str(feedback.query_one("#tips").render()),
            "audio": str(feedback.audio),
            "stop_to_feedback_s": timeline["feedback"] - timeline["stop"],
            "duration_s": feedback.analysis.duration_s,
        }
    out.write_text(json.dumps(result))


if __name__ == "__main__":
    asyncio.run(run(Path(sys.argv[1]), Path(sys.argv[2]), "--kill" in sys.argv))
