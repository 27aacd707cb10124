"""History targets with 1,000 attempts in the database (issue 6):

1. Review screen: seconds from pushing ``HistoryScreen`` on the real app (``make_app``, Pilot,
   120x40) until every chart in view has been rendered with its data. The first open includes
   importing the screen (textual-plotext), as the first press of ``h`` would; later opens are warm.
   Target: under 0.5 s.
2. ``coach report``: the real command in a fresh process (start-up included), HTML and Markdown,
   and ``build_report`` alone. Target: under 5 s.
3. What the safe-write discipline of issue 10 costs, each beside its comparator, interleaved:
   saving a recording through ``copy_atomic`` (unique temp, fsync, exclusive link) against the
   old ``shutil.copyfile`` + rename, and the import's schema check of the exported manifest
   against parsing it alone.

The attempts are made by the real analysis code (``tests/history_seed.py``): spoken answers
timed at a pace that improves over 60 days, typed answers, a few failed analyses, and a small
WAV per recording.

    .venv/bin/python benchmarks/history_bench.py [--attempts 1000] [--opens 5] [--storage-only]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

SCREEN_TARGET_S = 0.5
REPORT_TARGET_S = 5.0


def seed(settings, attempts: int) -> float:
    from coach.storage import History
    from tests.history_seed import seed_history

    started = time.perf_counter()
    with History(settings) as history:
        seed_history(history, attempts, audio_dir=settings.recordings_dir)
    return time.perf_counter() - started


async def screen_open_times(settings, opens: int) -> tuple[list[float], int, int]:
    """Open times (cold first), the number of charts in view, and the attempts table's rows."""
    from coach.ui.app import make_app

    app = make_app(replace(settings, voice=replace(settings.voice, mute=True)))
    times: list[float] = []
    charts = rows = 0
    async with app.run_test(size=(120, 40)) as pilot:
        # The app loads Whisper and spaCy in the background at start; wait for that so it does
        # not compete for the two cores (a user opens the history after the app has started).
        for _ in range(1200):
            if app.model_state != "loading":
                break
            await pilot.pause(0.05)
        for _ in range(opens):
            started = time.perf_counter()
            from coach.ui.screens.history import HistoryScreen
            from coach.ui.widgets.trend_chart import TrendChart

            screen = HistoryScreen()
            app.push_screen(screen)
            for _ in range(2000):
                if screen.loaded and screen.all_rows_added:
                    break
                await pilot.pause(0.01)
            await pilot.pause()
            drawn = [chart.drawn_at for chart in screen.query(TrendChart) if chart.drawn_at is not None]
            if not drawn:
                raise SystemExit("no chart was drawn")
            times.append(max(drawn) - started)
            charts = len(drawn)
            rows = screen.query_one("#attempts").row_count
            app.pop_screen()
            # Let the closed screen's 1,000-row table be torn down before the next open, as it
            # would be between two presses of `h`.
            gc.collect()
            await pilot.pause(0.3)
    return times, charts, rows


def report_times(env: dict[str, str], folder: Path, runs: int = 3) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {"html": [], "md": []}
    for fmt in out:
        for n in range(runs):
            target = folder / f"report{n}.{fmt}"
            started = time.perf_counter()
            result = subprocess.run([sys.executable, "-m", "coach", "report", "--format", fmt, "-o", str(target)],
                                    capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL)
            elapsed = time.perf_counter() - started
            if result.returncode != 0:
                raise SystemExit(f"coach report failed: {result.stderr}")
            out[fmt].append(elapsed)
    return out


def storage_costs(settings, folder: Path, rounds: int = 15) -> None:
    """Issue 10's safe writes and import checks, each interleaved with what they replaced."""
    import json
    import shutil

    from coach.safe_files import copy_atomic, private_dir
    from coach.storage import History
    from coach.storage.archive import _validate, export_history
    from tests.history_seed import write_wav

    source = write_wav(folder / "two-minutes.wav", seconds=120.0)
    target = private_dir(folder / "copies")
    safe, plain = [], []
    for n in range(rounds):
        started = time.perf_counter()
        copy_atomic(source, target / f"safe-{n}.wav", exclusive=True)
        safe.append(time.perf_counter() - started)
        started = time.perf_counter()
        partial = target / f"plain-{n}.wav.partial"
        shutil.copyfile(source, partial)
        partial.replace(target / f"plain-{n}.wav")
        plain.append(time.perf_counter() - started)
    size = source.stat().st_size / 1e6
    print(f"saving a {size:.1f} MB recording, {rounds} rounds interleaved (median):")
    print(f"  copy_atomic (mkstemp, fsync file and folder, exclusive link): {statistics.median(safe) * 1000:.1f} ms")
    print(f"  shutil.copyfile + rename, no fsync (before issue 10):        {statistics.median(plain) * 1000:.1f} ms")

    with History(settings) as history:
        archive = export_history(history, folder / "bench-export.zip").path
    import zipfile

    with zipfile.ZipFile(archive) as opened:
        raw = opened.read("history.json")
    parse, check = [], []
    for _ in range(5):
        started = time.perf_counter()
        manifest = json.loads(raw)
        parse.append(time.perf_counter() - started)
        started = time.perf_counter()
        _validate(manifest, archive)
        check.append(time.perf_counter() - started)
    print(f"import of {len(manifest['attempts'])} attempts ({len(raw) / 1e6:.1f} MB manifest), 5 rounds interleaved "
          "(median):")
    print(f"  json.loads alone (all the old importer did before writing): {statistics.median(parse) * 1000:.0f} ms")
    print(f"  schema check (pydantic) and metric recomputation, added:    {statistics.median(check) * 1000:.0f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--attempts", type=int, default=1000)
    parser.add_argument("--opens", type=int, default=5)
    parser.add_argument("--storage-only", action="store_true", help="Only part 3 (safe writes and import checks).")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="coach-history-bench-") as tmp:
        folder = Path(tmp)
        env = {**os.environ, "COACH_DATA_DIR": str(folder / "data"), "COACH_CONFIG": str(folder / "config.toml")}
        os.environ.update({k: env[k] for k in ("COACH_DATA_DIR", "COACH_CONFIG")})
        from coach.settings import load_settings
        from coach.storage import History

        settings = load_settings()
        seeded = seed(settings, args.attempts)
        db = folder / "data" / "history.sqlite3"
        with History(settings) as history:
            count = history.count()
        print(f"history: {count} attempts ({db.stat().st_size / 1e6:.1f} MB database, "
              f"{len(list(settings.recordings_dir.glob('*.wav')))} recordings), seeded in {seeded:.1f} s")
        print(f"load average: {', '.join(f'{v:.1f}' for v in os.getloadavg())} on {os.cpu_count()} cores")
        storage_costs(settings, folder)
        if args.storage_only:
            return

        times, charts, rows = asyncio.run(screen_open_times(settings, args.opens))
        warm = statistics.median(times[1:]) if len(times) > 1 else times[0]
        print(f"review screen open (push until the {charts} charts in view are drawn with data), 120x40:")
        print(f"  first open (imports the screen): {times[0]:.3f} s")
        print(f"  warm opens: {', '.join(f'{t:.3f}' for t in times[1:])} s (median {warm:.3f} s)")
        print(f"  attempts table afterwards: {rows} rows")
        worst = max(times)
        print(f"  target < {SCREEN_TARGET_S} s: {'PASS' if worst < SCREEN_TARGET_S else 'FAIL'} (worst {worst:.3f} s)")

        from coach.reports import build_report

        with History(settings) as history:
            inproc = {}
            for fmt in ("html", "md"):
                started = time.perf_counter()
                text = build_report(history, fmt=fmt)
                inproc[fmt] = (time.perf_counter() - started, len(text))
        runs = report_times(env, folder)
        print(f"coach report ({count} attempts), a fresh `python -m coach report` process each run:")
        for fmt, values in runs.items():
            runs_text = ", ".join(f"{v:.2f}" for v in values)
            print(f"  --format {fmt}: {runs_text} s (median {statistics.median(values):.2f} s; "
                  f"build_report alone {inproc[fmt][0]:.3f} s, {inproc[fmt][1] / 1000:.0f} kB)")
        worst_report = max(max(v) for v in runs.values())
        print(f"  target < {REPORT_TARGET_S} s: {'PASS' if worst_report < REPORT_TARGET_S else 'FAIL'} "
              f"(worst {worst_report:.2f} s)")


if __name__ == "__main__":
    main()
