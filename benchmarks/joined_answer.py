"""A two-minute answer made of real clips: is any speech lost, is a pause reported over speech,
and is the transcript the same from run to run, also with the machine busy?

Six clips from ../shared/eval/audio are joined with 0.5 s of digital silence between them, in
three orders (the first is the one in issue 16). The joined files are written to a temporary
folder and removed at the end. For each run and order the full analysis runs (voice activity,
transcription, pauses) and prints:

* WER of the joined answer against the joined references, beside the WER of the same clips
  analysed one by one (the "alone" figure, measured once in the same process);
* the lowest words per voiced second over the 10 s windows holding 2 s of speech or more (a
  window whose speech vanished shows 0);
* the longest pause, and the speech no word covers (voice activity against the words: the
  coverage invariant, checked from outside the transcriber);
* how many different transcripts the runs gave per order.

Half of the runs have a CPU-bound process running beside them (a pure-Python busy loop).
References: the human transcripts with markup and fillers dropped, normalised with Whisper's
English normaliser; jiwer for the WER.

    .venv/bin/python benchmarks/joined_answer.py [--runs 10] [--model tiny.en]
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

from tests import evaldata  # noqa: E402  (the reference readers the tests use too)

CLIPS = ["mfa_acoustic_spont", "mfa_cold_spont", "mfa_cold3_spont", "jfk_ask_not",
         "librispeech_61-70968-0000", "mfa_acoustic_spont"]
#: The issue's order, and two more orders of the same six clips.
ORDERS = [CLIPS, [CLIPS[i] for i in (3, 1, 4, 0, 2, 5)], [CLIPS[i] for i in (4, 2, 0, 3, 1, 5)]]
GAP_S = 0.5
MAX_WER_GAP = 0.03
MAX_PAUSE_S = 4.0


def build(order: list[str], path: Path) -> Path:
    """Join the clips with digital silence (numpy and soundfile; the file stays in /tmp)."""
    import soundfile

    from coach.audio.files import SAMPLE_RATE

    parts = []
    for i, clip in enumerate(order):
        if i:
            parts.append(np.zeros(int(GAP_S * SAMPLE_RATE), np.float32))
        samples, rate = soundfile.read(evaldata.EVAL / "audio" / f"{clip}.wav", dtype="float32")
        assert rate == SAMPLE_RATE
        parts.append(samples)
    soundfile.write(path, np.concatenate(parts), SAMPLE_RATE, subtype="PCM_16")
    return path


def reference(order: list[str]) -> str:
    return " ".join(" ".join(evaldata.reference_words(clip)) for clip in order)


def lowest_words_per_voiced_s(analysis, window_s: float = 10.0) -> float:
    lowest = float("inf")
    start = 0.0
    while start < analysis.duration_s:
        end = start + window_s
        voiced = sum(max(0.0, min(r.end, end) - max(r.start, start)) for r in analysis.speech_regions)
        if voiced >= 2.0:
            n = sum(1 for w in analysis.words if start <= (w.start + w.end) / 2 < end)
            lowest = min(lowest, n / voiced)
        start = end
    return lowest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--model", default="tiny.en")
    args = parser.parse_args()

    import jiwer
    from whisper_normalizer.english import EnglishTextNormalizer

    from coach.analysis.answer import analyse_file, transcriber_for
    from coach.settings import Settings
    from coach.speech.transcriber import uncovered_speech

    normalise = EnglishTextNormalizer()
    settings = Settings()
    transcriber = transcriber_for(settings, args.model)
    transcriber.load()
    alone = {}
    for clip in set(CLIPS):
        alone[clip] = analyse_file(evaldata.EVAL / "audio" / f"{clip}.wav", settings, transcriber=transcriber)
    print(f"model {args.model}, {os.cpu_count()} cores, load average at start {os.getloadavg()[0]:.1f}")
    print("run\tbusy\torder\tduration_s\twer_joined\twer_alone\tlowest_words_per_voiced_s\tlongest_pause_s\t"
          "untranscribed\tseconds\tok")
    failures = 0
    transcripts: dict[int, set[str]] = {i: set() for i in range(len(ORDERS))}
    with tempfile.TemporaryDirectory(prefix="joined-answer-") as folder:
        files = [build(order, Path(folder) / f"joined{i}.wav") for i, order in enumerate(ORDERS)]
        for run in range(args.runs):
            busy = run % 2 == 1
            hog = subprocess.Popen([sys.executable, "-c", "while True: pass"]) if busy else None
            try:
                for i, (order, path) in enumerate(zip(ORDERS, files)):
                    ref = normalise(reference(order))
                    started = time.perf_counter()
                    analysis = analyse_file(path, settings, transcriber=transcriber)
                    seconds = time.perf_counter() - started
                    wer = jiwer.wer(ref, normalise(analysis.transcript))
                    wer_alone = jiwer.wer(ref, normalise(" ".join(alone[c].transcript for c in order)))
                    longest = max((p.duration_s for p in analysis.pauses), default=0.0)
                    holes = uncovered_speech(analysis.speech_regions, analysis.words)
                    ok = wer <= wer_alone + MAX_WER_GAP and longest <= MAX_PAUSE_S
                    failures += not ok
                    transcripts[i].add(analysis.transcript)
                    print(f"{run + 1}\t{'yes' if busy else 'no'}\t{i + 1}\t{analysis.duration_s:.1f}\t{wer:.3f}\t"
                          f"{wer_alone:.3f}\t{lowest_words_per_voiced_s(analysis):.2f}\t{longest:.2f}\t"
                          f"{sum(h.duration_s for h in holes):.1f} s in {len(holes)}\t{seconds:.1f}\t"
                          f"{'ok' if ok else 'FAIL'}", flush=True)
            finally:
                if hog is not None:
                    hog.kill()
                    hog.wait()
    total = args.runs * len(ORDERS)
    print(f"{total - failures}/{total} analyses with WER within {MAX_WER_GAP} of the clips alone and no pause over "
          f"{MAX_PAUSE_S:.0f} s; different transcripts per order over {args.runs} runs: "
          f"{[len(t) for t in transcripts.values()]}; load average at the end {os.getloadavg()[0]:.1f}")
    raise SystemExit(1 if failures else 0)


if __name__ == "__main__":
    main()
