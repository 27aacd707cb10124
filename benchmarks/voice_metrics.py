"""What the voice measures (coach/analysis/prosody.py) cost, beside the whole analysis, in one run.

On a ~2-minute answer (the four MFA clips of ../shared/eval joined: real spontaneous speech;
espeak-ng speech without them) it prints, each the median of --runs:
- the whole `analyse_audio` (transcription included) and its real-time factor;
- prosody alone (track + measure) over the whole answer: what `coach analyze` adds, as RTF;
- the live path's share at the stop: tracking only the last utterance (the live transcriber
  tracks the others while the user speaks) plus measuring, against the whole-answer figure.

    .venv/bin/python benchmarks/voice_metrics.py [--runs 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests import evaldata  # noqa: E402

RATE = 16_000


def answer_audio() -> tuple[np.ndarray, str]:
    import soundfile

    clips = [evaldata.EVAL / "audio" / f"{n}.wav"
             for n in ("mfa_acoustic_spont", "mfa_cold_spont", "mfa_cold3_spont", "mfa_elicited_fillers")]
    if all(c.is_file() for c in clips):
        parts = [soundfile.read(c, dtype="float32")[0] for c in clips]
        label = "four MFA clips joined"
    else:
        from tests.support import speech

        parts = [speech.speak(speech.STAR_ANSWER).astype(np.float32) for _ in range(4)]
        label = "espeak-ng STAR answer x4"
    gap = np.zeros(RATE // 2, np.float32)
    return np.concatenate([p for part in parts for p in (part, gap)]), label


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    from coach.analysis import prosody
    from coach.analysis.answer import analyse_audio, transcriber_for
    from coach.audio.files import Audio
    from coach.settings import Settings
    from coach.speech.live import _utterance_end
    from coach.speech.vad import speech_regions

    samples, label = answer_audio()
    duration = len(samples) / RATE
    settings = Settings()
    transcriber = transcriber_for(settings)
    transcriber.load()
    regions = speech_regions(samples)
    # The last utterance the live transcriber would leave for the stop: everything after the
    # last utterance end it could cut before the final 1 s.
    cut = _utterance_end(samples[: len(samples) - RATE]) or 0
    last = samples[cut:]
    last_regions = speech_regions(last)

    whole, voice_whole, voice_stop = [], [], []
    analysis = None
    for _ in range(args.runs):
        t = time.perf_counter()
        analysis = analyse_audio(Audio(samples), settings, transcriber=transcriber)
        whole.append(time.perf_counter() - t)
        t = time.perf_counter()
        frames = prosody.track(samples, regions)
        prosody.measure_voice(frames, analysis.words)
        voice_whole.append(time.perf_counter() - t)
        t = time.perf_counter()
        tail = prosody.track(last, last_regions, cut / RATE)
        prosody.measure_voice(prosody.VoiceFrames.join([frames, tail]), analysis.words)
        voice_stop.append(time.perf_counter() - t)

    med = statistics.median
    print(f"answer: {label}, {duration:.1f} s; last utterance at the stop {len(last) / RATE:.1f} s; runs {args.runs}")
    print(f"{'':40} {'seconds':>8} {'RTF':>8}")
    print(f"{'whole analysis (analyse_audio)':40} {med(whole):8.3f} {med(whole) / duration:8.4f}")
    print(f"{'  of which voice, whole answer':40} {med(voice_whole):8.3f} {med(voice_whole) / duration:8.4f}")
    print(f"{'  analysis without voice':40} {med(whole) - med(voice_whole):8.3f} "
          f"{(med(whole) - med(voice_whole)) / duration:8.4f}")
    print(f"{'voice at the stop (live path)':40} {med(voice_stop):8.3f}")
    v = analysis.voice
    print(f"measures: variation {v.pitch['variation'] if v.pitch else None}, range "
          f"{v.pitch['range_semitones'] if v.pitch else None} st, level "
          f"{v.loudness['median_dbfs'] if v.loudness else None} dBFS")


if __name__ == "__main__":
    main()
