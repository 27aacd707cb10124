"""Peak memory and speed of `coach analyze` on long answers: is memory flat in the length?

Builds a 4-minute and a 20-minute answer in a temporary folder (the eval clips of
../shared/eval joined end to end and repeated; without them, espeak-ng speech), then runs the
real `coach analyze FILE --json` on each in a fresh process and prints its peak resident
memory (from the kernel, `ru_maxrss` of the child) and real-time factor.

With `--baseline REV`, the same command also runs on the code at git revision REV (exported to
a temporary folder with `git archive` and put first on PYTHONPATH, same virtualenv), one run
after the other (interleaved), so both columns see the same machine load.

Each run also times the stages inside the child (decoding the file, voice activity, loading
Whisper, transcription with the number of 30 s decoder windows it ran, pitch and level,
filled pauses, coaching): the child runs `coach.cli` under a small wrapper that times those
functions, in either tree. Voice activity runs while Whisper loads, so those two overlap;
"rest" is the elapsed time less the stages (start-up, imports, spaCy, the report). Runs are
interleaved, the first code of each pair alternating, and the load average is printed with
each run; the summary gives medians.

    .venv/bin/python benchmarks/long_audio.py [--baseline HEAD~3] [--minutes 4 20] [--runs 1]
"""

from __future__ import annotations

import argparse
import json
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


# Runs in the child, in whichever tree is first on sys.path: times the pipeline's stages by
# wrapping the functions by name (a stage the tree lacks is left out) and writes them as JSON.
_STAGE_RUNNER = r"""
import atexit, json, os, sys, threading, time
spent, lock = {}, threading.Lock()

def timed(owner, name, stage):
    inner = getattr(owner, name, None)
    if inner is None:
        return
    def run(*args, **kwargs):
        started = time.perf_counter()
        try:
            return inner(*args, **kwargs)
        finally:
            with lock:
                spent[stage] = spent.get(stage, 0.0) + time.perf_counter() - started
    setattr(owner, name, run)

import coach.analysis.answer as answer
import coach.analysis.filled_pauses as filled_pauses
import coach.speech.transcriber as transcriber
if hasattr(transcriber, "pin_native_threads"):  # before CTranslate2's OpenMP loads, as coach does
    transcriber.pin_native_threads()
import faster_whisper.transcribe as fw
timed(answer, "load_audio", "decode")
timed(answer, "speech_regions", "vad")
timed(transcriber.Transcriber, "load", "whisper_load")
timed(transcriber.Transcriber, "transcribe", "transcribe")
timed(fw.WhisperModel, "encode", "windows_encode")
windows = [0]
encode = fw.WhisperModel.encode
def counted(*args, **kwargs):
    windows[0] += 1
    return encode(*args, **kwargs)
fw.WhisperModel.encode = counted
try:
    import coach.analysis.prosody as prosody
    timed(prosody, "track", "voice")
    timed(prosody, "measure_voice", "voice")
except ImportError:
    pass
timed(filled_pauses, "recover_filled_pauses", "fillers")
timed(answer, "coach_answer", "coaching")

def report():
    with open(os.environ["LONG_AUDIO_STAGES"], "w") as out:
        json.dump({**spent, "windows": windows[0]}, out)
atexit.register(report)
sys.argv = ["coach", *sys.argv[1:]]
from coach.cli import main
main()
"""

#: Stages in the order they run, as printed.
STAGES = ("decode", "vad", "whisper_load", "transcribe", "voice", "fillers", "coaching")


def peak_of_child(path: Path, tree: Path | None, stages_file: Path) -> dict:
    """Peak RSS (MB), elapsed and CPU seconds, and stage times of `coach analyze` in a fresh process."""
    env = dict(os.environ, LONG_AUDIO_STAGES=str(stages_file))
    if tree is not None:
        env["PYTHONPATH"] = str(tree)
    stages_file.unlink(missing_ok=True)
    started = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-c", _STAGE_RUNNER, "analyze", "--json", str(path)],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, cwd=tree or REPO)
    _, status, usage = os.wait4(child.pid, 0)
    elapsed = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status):
        raise SystemExit(f"coach analyze failed on {path} ({'baseline' if tree else 'current'}): "
                         f"{child.stderr.read().decode()[-500:]}")
    stages = json.loads(stages_file.read_text())
    stages["rest"] = elapsed - sum(stages.get(s, 0.0) for s in STAGES)
    return {"peak_mb": usage.ru_maxrss / 1024, "elapsed_s": elapsed, "cpu_s": usage.ru_utime + usage.ru_stime,
            **stages}


def _row(m: float, name: str, run: str, load: float | str, r: dict) -> str:
    load = f"{load:.1f}" if isinstance(load, float) else load
    return "\t".join([f"{m:g}", name, run, load, f"{r['peak_mb']:.0f}", f"{r['elapsed_s']:.1f}",
                      f"{r['elapsed_s'] / (m * 60):.3f}", f"{r['cpu_s']:.0f}", f"{r.get('windows', 0):.0f}",
                      f"{r.get('windows_encode', 0):.1f}",
                      *(f"{r[s]:.1f}" if s in r else "-" for s in (*STAGES, "rest"))])


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
        header = ["minutes", "code", "run", "load", "peak_mb", "elapsed_s", "rtf", "cpu_s", "windows",
                  "encode", *STAGES, "rest"]
        print("\t".join(header))
        results: dict[tuple[float, str], list[dict]] = {}
        codes = [("baseline", baseline), ("current", None)] if baseline is not None else [("current", None)]
        for r in range(args.runs):
            for m, path in files.items():
                # The first of each pair alternates, so neither code always runs after the other.
                for name, tree in codes if r % 2 == 0 else codes[::-1]:
                    load = os.getloadavg()[0]
                    measured = peak_of_child(path, tree, folder / "stages.json")
                    results.setdefault((m, name), []).append(measured)
                    print(_row(m, name, str(r + 1), load, measured), flush=True)
        print(f"load average {os.getloadavg()[0]:.1f} at the end")
        print("medians:")
        print("\t".join(header))
        for m in args.minutes:
            for name, _ in codes:
                runs = results[(m, name)]
                median = {key: float(np.median([run[key] for run in runs]))
                          for key in runs[0] if all(key in run for run in runs)}
                print(_row(m, name, f"median of {len(runs)}", "-", median))
        for name, _ in codes:
            rows = {m: results[(m, name)] for m in args.minutes}
            peaks = {m: float(np.median([run["peak_mb"] for run in v])) for m, v in rows.items()}
            shortest, longest = min(peaks), max(peaks)
            print(f"{name}: peak {peaks[longest]:.0f} MB for {longest:g} min against {peaks[shortest]:.0f} MB for "
                  f"{shortest:g} min ({100 * (peaks[longest] / peaks[shortest] - 1):+.0f} %); median RTF "
                  + ", ".join(f"{m:g} min {float(np.median([run['elapsed_s'] for run in v])) / (m * 60):.3f}"
                              for m, v in rows.items()))


if __name__ == "__main__":
    main()
