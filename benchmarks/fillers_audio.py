"""Filled pauses on the real recordings in ../shared/eval: kept by Whisper, recovered from audio.

For each setting (model x initial prompt) every clip is transcribed once; the fillers are then
counted from the words alone and from the words plus audio recovery
(coach.analysis.filled_pauses). Prints a per-clip table for each setting, then one comparison
row per setting with its real-time factor, WER and filler scores.

    .venv/bin/python benchmarks/fillers_audio.py [--models tiny.en base] [--hotwords]

How a found filler counts (the same rules the tests use, see score_clip):
* mfa_acoustic_spont, mfa_cold_spont, mfa_cold3_spont: the reference fillers are the "uh"/"um"
  intervals of align/<clip>.TextGrid. The reference transcript of mfa_acoustic_spont has a third
  filler ("intensity uh we're") that the aligner left inside the silence 13.90-14.87 s
  (evaldata.NOT_SILENT); its interval is the part of that silence where Silero hears voice.
  A found filler matches a reference filler when its midpoint lies within 0.5 s of the
  reference interval; matching is one to one (maximum bipartite matching).
* mfa_elicited_fillers has no alignment. It is six recordings joined with 0.5 s of digital
  silence, one reference line each; the joins are found in the audio, and within each phrase
  min(found, reference) fillers match and any excess is false.
* The three filler-free clips: every filler found is false.
WER is computed on Whisper's normalised text (which drops "um"/"uh" on both sides), so it
measures the words, not the fillers.

Run to run: decoding is greedy (beam 1) and repeats exactly, except where faster-whisper's
temperature fallback samples: without a prompt, the runs of "uh uh uh" in mfa_elicited_fillers
trip the compression-ratio check (tiny.en: the last segment only; base: the first 30 s window,
which it sometimes drops entirely), so "base default" varies between runs (16-24 matched seen).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from tests import evaldata  # noqa: E402  (the reference readers the tests use too)

#: The short filler-laden prompt from PRODUCT.md (long prompts drop sentences and loop).
FILLER_PROMPT = "Umm, let me think like, hmm... Okay, here's what I'm, like, thinking."
TOLERANCE_S = 0.5
MFA_CLIPS = [c for c in evaldata.CLIPS if c.startswith("mfa_")]
CLEAN_CLIPS = [c for c in evaldata.CLIPS if not c.startswith("mfa_")]
ELICITED = "mfa_elicited_fillers"
#: The reference filler the aligner left inside a silence (see the module docstring).
UNALIGNED_FILLER = {"mfa_acoustic_spont": (13.90, 14.87)}


# --- References and scoring (shared with tests/test_filled_pauses.py) ----------------------


def phrase_bounds(samples: np.ndarray, sample_rate: int = 16_000) -> list[float]:
    """Start and end times of the phrases of a clip joined with 0.5 s of digital silence.

    The joins are runs of at least 0.45 s whose 10 ms blocks all stay within 2 LSB of zero
    (the conversion's dither leaves the silence not quite zero).
    """
    block = sample_rate // 100
    blocks = samples[: len(samples) // block * block].reshape(-1, block)
    silent = np.abs(blocks).max(1) <= 2.5 / 32768
    edges = np.flatnonzero(np.diff(np.concatenate(([0], silent.astype(np.int8), [0]))))
    cuts = [(a + b) / 2 / 100 for a, b in zip(edges[::2], edges[1::2])
            if b - a >= 45 and a > 0 and b < len(silent)]
    return [0.0, *cuts, len(samples) / sample_rate]


def elicited_counts() -> list[int]:
    """Reference fillers in each phrase of the elicited clip (one reference line per phrase)."""
    lines = (evaldata.EVAL / "ref" / f"{ELICITED}.txt").read_text(encoding="utf-8").strip().splitlines()
    return [sum(1 for w in line.lower().split() if w in evaldata.FILLERS) for line in lines]


def reference_intervals(clip: str, samples: np.ndarray | None = None,
                        regions=None) -> list[tuple[float, float]]:
    """Timed reference fillers of an aligned clip ([] for a filler-free clip)."""
    if clip in CLEAN_CLIPS:
        return []
    intervals = [(i.start, i.end) for i in evaldata.alignment(clip) if i.label in evaldata.FILLERS]
    if clip in UNALIGNED_FILLER:
        start, end = UNALIGNED_FILLER[clip]
        if regions is None:
            from coach.speech.vad import speech_regions

            regions = speech_regions(samples)
        voiced = [r for r in regions if r.end > start and r.start < end]
        if voiced:
            start = max(start, voiced[0].start)
        intervals.append((start, end))
    return sorted(intervals)


def reference_count(clip: str) -> int:
    if clip == ELICITED:
        return sum(elicited_counts())
    if clip in CLEAN_CLIPS:
        return 0
    return len([i for i in evaldata.alignment(clip) if i.label in evaldata.FILLERS]) + (clip in UNALIGNED_FILLER)


@dataclass
class ClipScore:
    clip: str
    duration_s: float
    reference: int
    from_words: int
    from_audio: int
    matched: int
    false: int
    missed: list[tuple[float, float]] = field(default_factory=list)
    #: Recovered (audio) fillers matched to an aligned "uh"/"um", and how many carry its label.
    labelled: int = 0
    labels_right: int = 0

    @property
    def false_per_min(self) -> float:
        return 60.0 * self.false / self.duration_s


def _max_matching(candidates: list[list[int]]) -> dict[int, int]:
    """Maximum bipartite matching (augmenting paths): found index -> reference index."""
    match: dict[int, int] = {}

    def augment(ref: int, seen: set[int]) -> bool:
        for found in candidates[ref]:
            if found in seen:
                continue
            seen.add(found)
            if found not in match or augment(match[found], seen):
                match[found] = ref
                return True
        return False

    for ref in range(len(candidates)):
        augment(ref, set())
    return match


def score_clip(clip: str, samples: np.ndarray, fillers, regions=None) -> ClipScore:
    """Score the fillers found in one clip against its reference (rules in the module doc)."""
    duration = len(samples) / 16_000
    words = sum(1 for f in fillers if f.source == "words")
    score = ClipScore(clip, duration, reference_count(clip), words, len(fillers) - words, 0, 0)
    if clip == ELICITED:
        bounds = phrase_bounds(samples)
        counts = elicited_counts()
        if len(bounds) != len(counts) + 1:
            raise RuntimeError(f"{clip}: found {len(bounds) - 1} phrases, the reference has {len(counts)}")
        for i, expected in enumerate(counts):
            found = sum(1 for f in fillers if bounds[i] <= (f.start + f.end) / 2 < bounds[i + 1])
            score.matched += min(found, expected)
            score.false += max(0, found - expected)
        return score
    references = reference_intervals(clip, samples, regions)
    labels = {(i.start, i.end): i.label for i in evaldata.alignment(clip)} if clip in evaldata.ALIGNED else {}
    mids = [(f.start + f.end) / 2 for f in fillers]
    candidates = [[j for j, m in enumerate(mids) if a - TOLERANCE_S <= m <= b + TOLERANCE_S] for a, b in references]
    match = _max_matching(candidates)
    score.matched = len(match)
    score.false = len(fillers) - len(match)
    score.missed = [references[i] for i in range(len(references)) if i not in match.values()]
    for found, ref in match.items():
        label = labels.get(references[ref])
        if fillers[found].source == "audio" and label in ("uh", "um"):
            score.labelled += 1
            score.labels_right += fillers[found].text == label
    return score


# --- Running the settings -------------------------------------------------------------------


@dataclass
class Setting:
    model: str
    prompt: bool
    hotwords: bool = False

    @property
    def name(self) -> str:
        how = "hotwords" if self.hotwords else ("prompt" if self.prompt else "default")
        return f"{self.model} {how}"


@dataclass
class Run:
    setting: Setting
    words: dict[str, list]
    transcribe_s: float
    audio_s: float
    wer: float
    wer_by_clip: dict[str, float]


def _normaliser():
    from whisper_normalizer.english import EnglishTextNormalizer

    return EnglishTextNormalizer()


def transcribe_all(setting: Setting, clips: dict[str, np.ndarray]) -> Run:
    import jiwer

    from coach.analysis.answer import transcriber_for
    from coach.settings import Settings
    from coach.speech.transcriber import Word

    transcriber = transcriber_for(Settings(), setting.model)
    whisper = transcriber.load()
    normalise = _normaliser()
    words: dict[str, list] = {}
    refs, hyps, wer_by_clip = [], [], {}
    elapsed = 0.0
    for clip, samples in clips.items():
        started = time.perf_counter()
        if setting.hotwords:
            # The Transcriber has no hotwords option: the same call it makes, with the prompt
            # given as hotwords so that it primes every 30 s window, not only the first.
            segments, _ = whisper.transcribe(samples, language="en", beam_size=1, word_timestamps=True,
                                             condition_on_previous_text=False, hotwords=FILLER_PROMPT)
            found = [Word(w.word.strip(), round(w.start, 3), round(w.end, 3), round(w.probability, 3))
                     for s in segments for w in (s.words or [])]
            found = [w for w in found if w.text]
        else:
            found = transcriber.transcribe(samples, initial_prompt=FILLER_PROMPT if setting.prompt else None).words
        elapsed += time.perf_counter() - started
        words[clip] = found
        ref = normalise(evaldata.reference_text(clip))
        hyp = normalise(" ".join(w.text for w in found))
        refs.append(ref)
        hyps.append(hyp)
        wer_by_clip[clip] = jiwer.wer(ref, hyp)
    audio_s = sum(len(s) for s in clips.values()) / 16_000
    return Run(setting, words, elapsed, audio_s, jiwer.wer(refs, hyps), wer_by_clip)


def score_run(run: Run, clips: dict[str, np.ndarray], regions: dict, audio: bool) -> tuple[list[ClipScore], float]:
    """Scores per clip, and the milliseconds the audio recovery took per minute of audio."""
    from coach.analysis.filled_pauses import fillers_from_words, find_filled_pauses

    scores = []
    spent = 0.0
    for clip, samples in clips.items():
        if audio:
            started = time.perf_counter()
            fillers = find_filled_pauses(samples, run.words[clip], regions[clip])
            spent += time.perf_counter() - started
        else:
            fillers = fillers_from_words(run.words[clip])
        scores.append(score_clip(clip, samples, fillers, regions[clip]))
    return scores, 1000 * spent / (run.audio_s / 60)


def print_clip_table(title: str, scores: list[ClipScore]) -> None:
    print(f"\n{title}")
    print(f"{'clip':28s} {'ref':>4s} {'words':>6s} {'audio':>6s} {'matched':>8s} {'recall':>7s} {'false':>6s} {'false/min':>10s}")
    for s in scores:
        recall = f"{s.matched / s.reference:.0%}" if s.reference else "-"
        print(f"{s.clip:28s} {s.reference:4d} {s.from_words:6d} {s.from_audio:6d} {s.matched:8d} {recall:>7s} "
              f"{s.false:6d} {s.false_per_min:10.2f}")
    mfa = [s for s in scores if s.clip in MFA_CLIPS]
    clean = [s for s in scores if s.clip in CLEAN_CLIPS]
    ref = sum(s.reference for s in mfa)
    matched = sum(s.matched for s in mfa)
    clean_min = sum(s.duration_s for s in clean) / 60
    print(f"{'total, 4 mfa clips':28s} {ref:4d} {sum(s.from_words for s in mfa):6d} {sum(s.from_audio for s in mfa):6d} "
          f"{matched:8d} {matched / ref:7.0%} {sum(s.false for s in mfa):6d} {'':>10s}")
    if clean:
        print(f"{'total, 3 filler-free clips':28s} {0:4d} {sum(s.from_words for s in clean):6d} "
              f"{sum(s.from_audio for s in clean):6d} {0:8d} {'-':>7s} {sum(s.false for s in clean):6d} "
              f"{sum(s.false for s in clean) / clean_min:10.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", nargs="*", default=["tiny.en", "base"])
    parser.add_argument("--hotwords", action="store_true",
                        help="also run each model with the prompt given as hotwords (primes every window)")
    parser.add_argument("--quiet", action="store_true", help="only the comparison table")
    args = parser.parse_args()

    from coach.audio.files import load_audio
    from coach.errors import ModelError
    from coach.speech.vad import speech_regions

    clips = {c: load_audio(evaldata.EVAL / "audio" / f"{c}.wav").samples for c in evaldata.CLIPS}
    regions = {c: speech_regions(s) for c, s in clips.items()}
    settings = []
    for model in args.models:
        settings += [Setting(model, False), Setting(model, True)]
        if args.hotwords:
            settings.append(Setting(model, True, hotwords=True))

    print(f"{len(clips)} clips, {sum(len(s) for s in clips.values()) / 16_000:.0f} s; CPU int8, beam 1; "
          f"prompt {FILLER_PROMPT!r}")
    rows = []
    for setting in settings:
        try:
            run = transcribe_all(setting, clips)
        except ModelError as exc:
            print(f"\n{setting.name}: skipped ({exc})")
            continue
        for audio in (False, True):
            scores, ms_per_min = score_run(run, clips, regions, audio)
            if not args.quiet:
                print_clip_table(f"{setting.name}, {'words + audio recovery' if audio else 'words only'}", scores)
            rows.append((run, audio, scores, ms_per_min))

    print("\nComparison (recall and false over the 4 mfa clips, 31 reference fillers; false/min over the 3 "
          "filler-free clips, 247 s; WER over all 7 clips and on the 231 s LJ Speech clip)")
    print(f"{'setting':24s} {'audio':>6s} {'RTF':>6s} {'WER':>6s} {'WER LJ':>7s} {'words':>6s} {'audio':>6s} "
          f"{'matched':>8s} {'recall':>7s} {'false':>6s} {'false/min':>10s} {'ms/min':>7s}")
    for run, audio, scores, ms_per_min in rows:
        mfa = [s for s in scores if s.clip in MFA_CLIPS]
        clean = [s for s in scores if s.clip in CLEAN_CLIPS]
        ref = sum(s.reference for s in mfa)
        matched = sum(s.matched for s in mfa)
        clean_min = sum(s.duration_s for s in clean) / 60
        lj = run.wer_by_clip.get("ljspeech_LJ001_0001-0032", float("nan"))
        print(f"{run.setting.name:24s} {'yes' if audio else 'no':>6s} {run.transcribe_s / run.audio_s:6.3f} "
              f"{run.wer:6.3f} {lj:7.3f} {sum(s.from_words for s in mfa):6d} {sum(s.from_audio for s in mfa):6d} "
              f"{matched:8d} {matched / ref:7.0%} {sum(s.false for s in mfa):6d} "
              f"{sum(s.false for s in clean) / clean_min:10.2f} {ms_per_min if audio else 0:7.1f}")
    labelled = [(sum(s.labelled for s in scores), sum(s.labels_right for s in scores))
                for _, audio, scores, _ in rows if audio]
    print(f"\num/uh labels of recovered fillers matched to an aligned filler: "
          f"{sum(r for _, r in labelled)} of {sum(n for n, _ in labelled)} agree with the alignment (all settings)")
    _print_speed(clips["ljspeech_LJ001_0001-0032"], rows)


def _print_speed(long_clip: np.ndarray, rows) -> None:
    """The cost of the recovery on a 120 s answer (the first 120 s of the LJ Speech clip)."""
    from coach.analysis.filled_pauses import recover_filled_pauses
    from coach.speech.vad import speech_regions

    if not rows:
        return
    samples = long_clip[: 120 * 16_000]
    regions = speech_regions(samples)
    words = [w for w in rows[0][0].words["ljspeech_LJ001_0001-0032"] if w.end <= 120]
    times = []
    for _ in range(7):
        started = time.perf_counter()
        recover_filled_pauses(samples, words, regions)
        times.append(time.perf_counter() - started)
    print(f"\naudio recovery on a 120 s answer (words and voice activity given): "
          f"median {1000 * statistics.median(times):.0f} ms, best {1000 * min(times):.0f} ms of 7 runs")


if __name__ == "__main__":
    main()
