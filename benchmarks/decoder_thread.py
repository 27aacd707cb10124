"""Does it matter which thread decodes? Whisper loaded in one thread, an answer transcribed in another.

The TUI loads the model in one worker and transcribes in others. Each round runs three fresh
processes, interleaved, on the same clip and model (tiny.en int8, greedy, word timestamps):

- plain, same thread: a plain faster-whisper script that loads and decodes in one thread;
- plain, other thread: the same script, loading in one thread and decoding in another;
- coach, other thread: coach's Transcriber, load() called in one thread and transcribe() in another.

Prints each decode's seconds and the medians per setup.

    .venv/bin/python benchmarks/decoder_thread.py [--runs 3] [--clip FILE]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

_CHILD = r"""
import sys, threading, time
import soundfile
setup, clip = sys.argv[1], sys.argv[2]
samples, _ = soundfile.read(clip, dtype="float32")
box = {}
if setup.startswith("plain"):
    import os
    os.environ.setdefault("MKL_DYNAMIC", "FALSE"); os.environ.setdefault("OMP_DYNAMIC", "FALSE")
    import faster_whisper
    from coach.settings import Settings
    from coach.analysis.answer import transcriber_for
    location = transcriber_for(Settings()).model.location  # the same model coach uses
    def load():
        box["model"] = faster_whisper.WhisperModel(location, device="cpu", compute_type="int8",
                                                   cpu_threads=2, local_files_only=True)
    def decode():
        started = time.perf_counter()
        segments, _ = box["model"].transcribe(samples, language="en", beam_size=1, word_timestamps=True,
                                              vad_filter=False, temperature=0.0, condition_on_previous_text=False)
        list(segments)
        box["seconds"] = time.perf_counter() - started
else:
    from coach.settings import Settings
    from coach.analysis.answer import transcriber_for
    transcriber = transcriber_for(Settings())
    def load():
        transcriber.load()
    def decode():
        started = time.perf_counter()
        transcriber.transcribe(samples)
        box["seconds"] = time.perf_counter() - started
if setup.endswith("same"):
    def both():
        load(); decode()
    worker = threading.Thread(target=both); worker.start(); worker.join()
else:
    loader = threading.Thread(target=load); loader.start(); loader.join()
    worker = threading.Thread(target=decode); worker.start(); worker.join()
print(f"{box['seconds']:.3f}")
"""

SETUPS = (("plain, same thread", "plain-same"), ("plain, other thread", "plain-other"),
          ("coach, other thread", "coach-other"))


def clip_path(folder: Path) -> Path:
    shared = REPO.parent / "shared" / "eval" / "audio" / "jfk_ask_not.wav"
    if shared.is_file():
        return shared
    sys.path.insert(0, str(REPO))
    import soundfile

    from tests.support import speech

    path = folder / "sentence.wav"
    soundfile.write(path, speech.speak(speech.STAR_ANSWER), 16_000)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--clip", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        clip = args.clip or clip_path(Path(folder))
        print(f"clip {clip.name}; {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at start")
        seconds: dict[str, list[float]] = {name: [] for name, _ in SETUPS}
        for run in range(args.runs):
            for name, setup in SETUPS:
                out = subprocess.run([sys.executable, "-c", _CHILD, setup, str(clip)], cwd=REPO,
                                     capture_output=True, text=True, check=True)
                seconds[name].append(float(out.stdout.split()[-1]))
                print(f"run {run + 1}\t{name}\t{seconds[name][-1]:.2f} s", flush=True)
        print(f"load average {os.getloadavg()[0]:.1f} at the end")
        for name, values in seconds.items():
            print(f"median decode, {name}: {statistics.median(values):.2f} s")


if __name__ == "__main__":
    main()
