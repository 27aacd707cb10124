"""Word error rate and CPU time of the live transcriber on the real recordings in ../shared/eval.

Each clip is fed to a LiveTranscriber as the recorder would give it (0.3 s blocks, the worker
looking after each one; tests/support/live.py), then stopped; the words are scored against the
reference transcript (Whisper's English normaliser, jiwer). Prints one row per clip (with the
utterances read ahead and kept), then the total word error rate and CPU seconds.

    .venv/bin/python benchmarks/live_eval.py [--tree DIR]

``--tree DIR`` measures the code in DIR instead (e.g. an older revision exported with
``git archive REV | tar -x -C DIR``), same virtualenv.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tree", type=Path, default=REPO, help="the code to measure (default: this checkout)")
    args = parser.parse_args()
    sys.path.insert(0, str(args.tree.resolve()))

    import jiwer
    from whisper_normalizer.english import EnglishTextNormalizer

    from coach.analysis.answer import transcriber_for
    from coach.audio.files import load_audio
    from coach.settings import Settings
    from tests import evaldata
    from tests.support.live import record_live

    if not (evaldata.EVAL / "audio").is_dir():
        raise SystemExit("needs the evaluation recordings in ../shared/eval")
    normalise = EnglishTextNormalizer()
    transcriber = transcriber_for(Settings())
    transcriber.load()
    errors = words_total = cpu_total = 0.0
    for clip in evaldata.CLIPS:
        samples = load_audio(evaldata.EVAL / "audio" / f"{clip}.wav").samples
        reference = normalise(evaldata.reference_text(clip))
        started = time.process_time()
        live, words = record_live(transcriber, samples)
        cpu = time.process_time() - started
        wer = jiwer.wer(reference, normalise(" ".join(w.text for w in words)))
        n = len(reference.split())
        errors, words_total, cpu_total = errors + wer * n, words_total + n, cpu_total + cpu
        ahead = (f"read ahead {live.read_ahead}, kept {live.kept_ahead}" if hasattr(live, "read_ahead")
                 else "no reading ahead")
        print(f"{clip:34} WER {wer:.3f}  CPU {cpu:5.1f} s  {ahead}", flush=True)
    print(f"all clips: WER {errors / words_total:.4f}, CPU {cpu_total:.1f} s ({args.tree.resolve()})")


if __name__ == "__main__":
    main()
