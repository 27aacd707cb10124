"""Speed, memory and accuracy of the speech pipeline on the real recordings in ../shared/eval.

The real-time factor covers everything done per answer: voice activity, transcription with
word timestamps, pace and pauses, the filled pauses recovered from the audio, and the language
analysis. Model loads (Whisper with the VAD model; spaCy) are timed separately.

Each clip runs in a fresh process, so model load time and peak memory are those of a cold
process; cli_peak_mb is the peak of the real `coach analyze FILE --json` on the clip. Prints one row per clip, then the start-up time of `coach --help`.

    .venv/bin/python benchmarks/eval_pipeline.py [--model tiny.en] [--clips NAME ...] [--baseline REV]

With ``--baseline REV`` each clip also runs on the code at git revision REV (exported with
``git archive`` to a temporary folder; same virtualenv), just before the working tree's run, so
the two real-time factors are measured side by side under the same load (the baseline rows
have no cli_peak_mb).
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests import evaldata  # noqa: E402  (the reference readers the tests use too)


def measure_clip(clip: str, model: str) -> dict:
    """Runs inside the child process."""
    import jiwer
    from whisper_normalizer.english import EnglishTextNormalizer

    from coach.analysis.answer import analyse_audio, transcriber_for
    from coach.audio.files import load_audio
    from coach.process import limit_malloc_arenas
    from coach.settings import Settings

    limit_malloc_arenas()  # as `coach analyze` does
    settings = Settings()
    audio = load_audio(evaldata.EVAL / "audio" / f"{clip}.wav")
    transcriber = transcriber_for(settings, model)
    transcriber.load()
    # spaCy is loaded once per process too (the app loads it in the background at start); its
    # load is reported on its own, not charged to the answer.
    from coach.analysis.language import nlp

    spacy_started = time.perf_counter()
    nlp()
    spacy_load = time.perf_counter() - spacy_started
    started = time.perf_counter()
    analysis = analyse_audio(audio, settings, transcriber=transcriber)
    elapsed = time.perf_counter() - started

    normalise = EnglishTextNormalizer()
    reference = normalise(evaldata.reference_text(clip))
    hypothesis = normalise(analysis.transcript)
    # Counted on the normalised text both sides ("gonna" and "going to" are the same words),
    # fillers aside: the normaliser drops them, and Whisper drops most of them anyway.
    ours = len(hypothesis.split())
    theirs = len(reference.split())
    row = {
        "clip": clip,
        "duration_s": round(audio.duration_s, 1),
        "rtf": round(elapsed / audio.duration_s, 3),
        "elapsed_s": elapsed,
        "load_s": round(transcriber.load_seconds, 2),
        "spacy_load_s": round(spacy_load, 2),
        "peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "wer": round(jiwer.wer(reference, hypothesis), 3),
        "words": ours,
        "ref_words": theirs,
        "word_diff_pct": round(100 * (ours - theirs) / theirs, 1),
        "wpm_audio": round(60 * ours / audio.duration_s, 1),
        "ref_wpm_audio": round(60 * theirs / audio.duration_s, 1),
    }
    if clip in evaldata.ALIGNED:
        aligned = evaldata.aligned_wpm(clip)
        row["wpm"] = analysis.pace.wpm
        row["aligned_wpm"] = round(aligned, 1)
        row["wpm_diff_pct"] = round(100 * (analysis.pace.wpm - aligned) / aligned, 1)
        gaps = [(p.start, p.end) for p in analysis.pauses]
        silences = evaldata.aligned_silences(clip)
        found = [s for s in silences
                 if any(abs(a - s.start) <= 0.15 and abs(b - s.end) <= 0.15 for a, b in gaps)]
        truly_silent = [s for s in silences if (clip, s.start) not in evaldata.NOT_SILENT]
        row["silences_found"] = f"{len(found)}/{len(silences)} ({len([s for s in found if s in truly_silent])}/{len(truly_silent)} truly silent)"
    return row


def cli_peak_mb(clip: str, model: str) -> int:
    """Peak memory of the real command a user runs, `coach analyze FILE --json`."""
    import os

    child = subprocess.Popen([str(REPO / ".venv" / "bin" / "coach"), "analyze", "--model", model, "--json",
                              str(evaldata.EVAL / "audio" / f"{clip}.wav")], stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode:
        raise SystemExit(f"coach analyze failed on {clip}")
    return round(usage.ru_maxrss / 1024)


def help_startup_s(runs: int = 7) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run([str(REPO / ".venv" / "bin" / "coach"), "--help"], capture_output=True, check=True)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def compare(args, folder: Path) -> None:
    """Each clip on the baseline revision, then on the working tree, interleaved."""
    import os

    if Path(args.baseline).is_dir():  # a checkout prepared by hand (e.g. HEAD with some files reverted)
        tree = Path(args.baseline).resolve()
    else:
        tree = folder / "baseline"
        tree.mkdir()
        archive = subprocess.run(["git", "-C", str(REPO), "archive", args.baseline], capture_output=True, check=True)
        subprocess.run(["tar", "-x", "-C", str(tree)], input=archive.stdout, check=True)
        (folder / "shared").symlink_to(evaldata.EVAL.parent)  # the baseline looks for ../shared beside it
    columns = ["clip", "code", "duration_s", "rtf", "peak_mb", "wer", "words", "ref_words", "wpm", "aligned_wpm",
               "silences_found"]
    print(f"model {args.model}, baseline {args.baseline} against the working tree, each clip in fresh processes, "
          f"load average {os.getloadavg()[0]:.1f}")
    print("\t".join(columns))
    rows: dict[str, list[dict]] = {"baseline": [], "current": []}
    for clip in args.clips:
        for name, script, cwd in (("baseline", tree / "benchmarks" / "eval_pipeline.py", tree),
                                  ("current", Path(__file__), REPO)):
            out = subprocess.run([sys.executable, str(script), "--one", clip, "--model", args.model],
                                 capture_output=True, text=True, check=True, cwd=cwd).stdout
            row = json.loads(out.strip().splitlines()[-1]) | {"code": name}
            rows[name].append(row)
            print("\t".join(str(row.get(c, "")) for c in columns), flush=True)
    for name, measured in rows.items():
        audio_s = sum(r["duration_s"] for r in measured)
        print(f"{name}: real-time factor over all clips {sum(r['elapsed_s'] for r in measured) / audio_s:.3f}, "
              f"mean WER {sum(r['wer'] for r in measured) / len(measured):.3f}")
    print(f"load average {os.getloadavg()[0]:.1f} at the end")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="tiny.en")
    parser.add_argument("--clips", nargs="*", default=evaldata.CLIPS)
    parser.add_argument("--baseline", help="a git revision (or a checkout folder) to measure beside the working tree")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure_clip(args.one, args.model)))
        return
    if args.baseline:
        import tempfile

        with tempfile.TemporaryDirectory(prefix="eval-baseline-") as folder:
            compare(args, Path(folder))
        return

    columns = ["clip", "duration_s", "rtf", "load_s", "spacy_load_s", "peak_mb", "cli_peak_mb", "wer", "words", "ref_words", "word_diff_pct",
               "wpm_audio", "ref_wpm_audio", "wpm", "aligned_wpm", "wpm_diff_pct", "silences_found"]
    print(f"model {args.model}, CPU int8, {len(args.clips)} clips, each in a fresh process")
    print("\t".join(columns))
    rows = []
    for clip in args.clips:
        out = subprocess.run([sys.executable, __file__, "--one", clip, "--model", args.model],
                             capture_output=True, text=True, check=True).stdout
        rows.append(json.loads(out.strip().splitlines()[-1]))
        rows[-1]["cli_peak_mb"] = cli_peak_mb(clip, args.model)
        print("\t".join(str(rows[-1].get(c, "")) for c in columns), flush=True)
    audio_s = sum(r["duration_s"] for r in rows)
    # Whisper encodes every answer in 30 s windows, so a clip of a few seconds pays for a whole
    # window: the real-time factor over all the audio is the figure for typical answers.
    print(f"all clips: {audio_s:.0f} s of audio, real-time factor {sum(r['elapsed_s'] for r in rows) / audio_s:.3f}, "
          f"worst peak memory {max(r['peak_mb'] for r in rows)} MB with both models preloaded, "
          f"{max(r['cli_peak_mb'] for r in rows)} MB for `coach analyze`, slowest load {max(r['load_s'] for r in rows)} s")
    print(f"coach --help: {help_startup_s():.3f} s (median of 7)")


if __name__ == "__main__":
    main()
