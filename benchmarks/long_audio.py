"""Peak memory and speed of `coach analyze` on long answers: is memory flat in the length?

Builds a 4-minute and a 20-minute answer in a temporary folder (the eval clips of
../shared/eval joined end to end and repeated; without them, espeak-ng speech), then runs the
real `coach analyze FILE --json` on each in a fresh process and prints its peak resident
memory (from the kernel, `ru_maxrss` of the child) and real-time factor.

With `--baseline REV`, the same command also runs on the code at git revision REV (exported to
a temporary folder with `git archive` and put first on PYTHONPATH, same virtualenv), one run
after the other (interleaved), so both columns see the same machine load.

    .venv/bin/python benchmarks/long_audio.py [--baseline HEAD~3] [--minutes 4 20] [--runs 1]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests import evaldata  # noqa: E402

SAMPLE_RATE = 16_000


def source_audio() -> np.ndarray:
    """About six minutes of real speech (every eval clip once), or espeak-ng speech without them."""
    import soundfile

    clips = sorted((evaldata.EVAL / "audio").glob("*.wav"))
    if clips:
        parts = [soundfile.read(c, dtype="float32")[0] for c in clips]
    else:
        from tests.support import speech

        parts = [speech.speak(speech.STAR_ANSWER).astype(np.float32), speech.speak(speech.THINK_ALOUD_ANSWER)]
    gap = np.zeros(SAMPLE_RATE // 2, np.float32)
    return np.concatenate([p for part in parts for p in (part.astype(np.float32), gap)])


def build(minutes: float, path: Path, source: np.ndarray) -> Path:
    import soundfile

    n = int(minutes * 60 * SAMPLE_RATE)
    repeats = -(-n // len(source))
    soundfile.write(path, np.tile(source, repeats)[:n], SAMPLE_RATE, subtype="PCM_16")
    return path


def peak_of_child(path: Path, tree: Path | None) -> tuple[float, float]:
    """Peak RSS (MB) and elapsed seconds of `coach analyze` in a fresh process."""
    env = dict(os.environ)
    if tree is not None:
        env["PYTHONPATH"] = str(tree)
    started = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-m", "coach", "analyze", "--json", str(path)],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, cwd=tree or REPO)
    _, status, usage = os.wait4(child.pid, 0)
    elapsed = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status):
        raise SystemExit(f"coach analyze failed on {path} ({'baseline' if tree else 'current'}): "
                         f"{child.stderr.read().decode()[-500:]}")
    return usage.ru_maxrss / 1024, elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, nargs="*", default=[4.0, 20.0])
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--baseline", help="a git revision (or a checkout folder) to measure beside the working tree")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="long-audio-") as folder:
        folder = Path(folder)
        baseline = None
        if args.baseline and Path(args.baseline).is_dir():  # a checkout prepared by hand
            baseline = Path(args.baseline).resolve()
        elif args.baseline:
            baseline = folder / "baseline"
            baseline.mkdir()
            archive = subprocess.run(["git", "-C", str(REPO), "archive", args.baseline], capture_output=True, check=True)
            subprocess.run(["tar", "-x", "-C", str(baseline)], input=archive.stdout, check=True)
            # The baseline's tests/evaldata.py looks for ../shared next to the checkout.
            (folder / "shared").symlink_to(evaldata.EVAL.parent)
        source = source_audio()
        files = {m: build(m, folder / f"answer_{m:g}min.wav", source) for m in args.minutes}
        print(f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at start")
        print("minutes\tcode\trun\tpeak_mb\telapsed_s\trtf")
        results: dict[tuple[float, str], list[tuple[float, float]]] = {}
        for r in range(args.runs):
            for m, path in files.items():
                for name, tree in (("baseline", baseline), ("current", None)):
                    if name == "baseline" and baseline is None:
                        continue
                    peak, elapsed = peak_of_child(path, tree)
                    results.setdefault((m, name), []).append((peak, elapsed))
                    print(f"{m:g}\t{name}\t{r + 1}\t{peak:.0f}\t{elapsed:.1f}\t{elapsed / (m * 60):.3f}", flush=True)
        print(f"load average {os.getloadavg()[0]:.1f} at the end")
        for name in ("baseline", "current"):
            rows = {m: results.get((m, name)) for m in args.minutes}
            if not all(rows.values()):
                continue
            peaks = {m: float(np.median([p for p, _ in v])) for m, v in rows.items()}
            shortest, longest = min(peaks), max(peaks)
            print(f"{name}: peak {peaks[longest]:.0f} MB for {longest:g} min against {peaks[shortest]:.0f} MB for "
                  f"{shortest:g} min ({100 * (peaks[longest] / peaks[shortest] - 1):+.0f} %); median RTF "
                  + ", ".join(f"{m:g} min {float(np.median([e for _, e in v])) / (m * 60):.3f}" for m, v in rows.items()))


if __name__ == "__main__":
    main()
