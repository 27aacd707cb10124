"""Time from pushing the feedback screen to its first drawing, beside a bare screen.

The app runs headless (Textual's Pilot, no models needed: the analysis is built from timed
words, as tests/test_voice_marks_in_transcript.py builds it). Each round pushes the feedback
screen for that analysis and, alternating, a bare screen (one label and the same footer), waits
until it is drawn and pops it; prints each reading and the medians.

    .venv/bin/python benchmarks/feedback_draw.py [--rounds 6] [--tree DIR]

``--tree DIR`` measures the code in DIR instead (an older revision exported with
``git archive REV | tar -x -C DIR``), same virtualenv.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


async def measure(rounds: int) -> dict[str, list[float]]:
    from textual.app import ComposeResult
    from textual.screen import Screen
    from textual.widgets import Label

    from coach.ui.app import make_app
    from coach.ui.screens.feedback import FeedbackScreen
    try:
        from coach.ui.widgets.steady_footer import SteadyFooter
    except ImportError:  # a tree from before it: Textual's own footer
        from textual.widgets import Footer as SteadyFooter
    from tests.history_seed import write_wav
    from tests.support.pilot import offline_settings, wait_for
    from tests.test_voice_marks_in_transcript import _analysis

    class Bare(Screen):
        def compose(self) -> ComposeResult:
            yield Label("feedback")
            yield SteadyFooter()

    analysis, _ = _analysis()
    recording = write_wav(Path(tempfile.mkdtemp()) / "answer.wav", analysis.duration_s)
    app = make_app(offline_settings())
    readings: dict[str, list[float]] = {"feedback screen": [], "bare screen": []}
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.model_state != "loading", timeout=120)
        for i in range(rounds * 2):
            name = ("feedback screen", "bare screen")[(i + i // 2) % 2]  # alternating, first of each pair too
            screen = FeedbackScreen(app.questions[0], analysis, recording) if name == "feedback screen" else Bare()
            started = time.perf_counter()
            app.push_screen(screen)
            await wait_for(pilot, lambda pushed=screen: app.screen is pushed)
            await pilot.pause()  # until the screen's messages are handled and it is drawn
            readings[name].append(time.perf_counter() - started)
            app.pop_screen()
            await pilot.pause()
    return readings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--tree", type=Path, default=REPO, help="the code to measure (default: this checkout)")
    args = parser.parse_args()
    sys.path.insert(0, str(args.tree.resolve()))
    import os

    readings = asyncio.run(measure(args.rounds))
    for name, values in readings.items():
        print(f"{name}: push to drawn {', '.join(f'{v:.2f}' for v in values)} s; median {statistics.median(values):.2f} s")
    print(f"load average {os.getloadavg()[0]:.1f} (2 cores shared with other work); code in {args.tree.resolve()}")


if __name__ == "__main__":
    main()
