"""The interviewer voice: how well it is understood, how soon it starts, what it costs in memory.

1. Intelligibility: every question in the bank written with the same function as `coach speak -o`
   by Piper (the bundled joe voice) and by espeak-ng (the fallback), question by question in turn,
   and transcribed by the bundled Whisper; total WER (jiwer, Whisper's English normaliser) of each.
   Piper's noise differs from one reading to the next (its generator is seeded once per process, so
   the readings are the same in every run), so it reads the bank 3 times (--renders) and the mean
   is its figure.
   The written file starts with 0.3 s of silence (as a listener hears the question after a quiet
   moment); each Piper reading is also transcribed with that lead-in cut off, and printed beside.
2. Time to first audio: from asking for a question to its first piece of audio being ready to
   play (the synthesis of the first sentence, cut at a comma when long), cold and prepared ahead
   (`voice.prepare`), for each engine, interleaved; medians.
3. Memory: resident memory of a fresh process with Whisper loaded, before and after the voice is
   loaded and has spoken a question.

    .venv/bin/python benchmarks/voice_eval.py [--limit N] [--renders 3]
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

_RSS_CHILD = """
import sys
from coach.settings import Settings
from coach.analysis.answer import transcriber_for

def rss():
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) / 1024 for line in status if line.startswith("VmRSS:"))

transcriber_for(Settings()).load()
before = rss()
from coach.speech import voice
settings = Settings().voice
engine = voice.engine_for(settings)
voice.render(sys.argv[1], settings)
print(f"{engine.name} {before:.0f} {rss():.0f}")
"""


def _settings(engine: str):
    from coach.settings import VoiceSettings

    return VoiceSettings(engine=engine)


_SPELLINGS = ((re.compile(r"isation"), "ization"), (re.compile(r"elled\b"), "eled"), (re.compile(r"elling\b"), "eling"))


def same_spelling(reference: str, heard: str) -> tuple[str, str]:
    """Both normalised texts with the two differences Whisper's normaliser leaves that are not
    mishearings: a compound written joined or apart ("dataset" heard as "data set", "trade offs"
    as "tradeoffs"), settled in favour of the reference only where the letters are the same,
    and British spellings it does not map ("initialisation", "unlabelled"), on both sides."""
    for pattern, american in _SPELLINGS:
        reference, heard = pattern.sub(american, reference), pattern.sub(american, heard)
    ref_words = set(reference.split())
    ref_pairs = {a + b: f"{a} {b}" for a, b in zip(reference.split(), reference.split()[1:])}
    words, out = heard.split(), []
    index = 0
    while index < len(words):
        pair = "".join(words[index:index + 2])
        if index + 1 < len(words) and pair in ref_words and " ".join(words[index:index + 2]) not in reference:
            out.append(pair)
            index += 2
            continue
        out.append(ref_pairs.get(words[index], words[index]) if words[index] not in ref_words else words[index])
        index += 1
    return reference, " ".join(out)


def intelligibility(questions, transcriber, folder: Path, show_errors: bool = False,
                    engines: tuple[str, ...] = ("piper", "espeak-ng"), renders: int = 3) -> None:
    """Piper's generator is random, so one reading of the bank differs from the next by a few
    words: Piper reads every question ``renders`` times and the mean WER over the readings is the
    figure. espeak-ng reads the same way every time and is read once."""
    import jiwer
    import soundfile
    from whisper_normalizer.english import EnglishTextNormalizer

    from coach.audio.files import load_audio
    from coach.speech.voice import FILE_LEAD_IN_S, VoiceError, write_wav

    normalise = EnglishTextNormalizer()
    # One reading of the bank is a "run": ("piper", 0), ("piper", 1), ..., ("espeak-ng", 0).
    runs = [(engine, n) for engine in engines for n in range(renders if engine == "piper" else 1)]
    seconds = {run: 0.0 for run in runs}
    refs: list[str] = []
    raw_refs: list[str] = []
    as_is: dict[tuple[str, int], list[str]] = {run: [] for run in runs}
    heard: dict[tuple[str, int], list[str]] = {run: [] for run in runs}
    worst: dict[str, list[tuple[float, str, str]]] = {engine: [] for engine in engines}
    failed = {run: 0 for run in runs}
    lead_in = int(16000 * FILE_LEAD_IN_S)
    no_lead_in: dict[int, list[str]] = {n: [] for n in range(renders)}
    started = time.perf_counter()
    for n, question in enumerate(questions, 1):
        reference = normalise(question.text)
        for engine, render in runs if n % 2 else runs[::-1]:
            path = folder / f"{engine}.wav"
            try:
                write_wav(question.text, path, _settings(engine))
            except VoiceError as exc:  # counted as nothing heard: every word of the question missed
                print(f"   {engine} did not speak {question.id}: {exc}", flush=True)
                failed[engine, render] += 1
                raw = ""
                if engine == "piper":
                    no_lead_in[render].append("")
            else:
                seconds[engine, render] += soundfile.info(str(path)).duration
                samples = load_audio(path).samples
                raw = normalise(transcriber.transcribe(samples).text)
                if engine == "piper":  # the comparator: the same reading without the file's lead-in
                    clipped = normalise(transcriber.transcribe(samples[lead_in:]).text)
                    no_lead_in[render].append(same_spelling(reference, clipped)[1])
            as_is[engine, render].append(raw)
            ref, text = same_spelling(reference, raw)
            heard[engine, render].append(text)
            worst[engine].append((jiwer.wer(ref, text), question.id, text))
            if show_errors and engine == "piper" and text != ref:
                print(f"   {question.id} (reading {render + 1}): {ref}\n"
                      f"   {' ' * len(question.id)}  heard {text}", flush=True)
        refs.append(ref)
        raw_refs.append(reference)
        if n % 20 == 0:
            print(f"  {n}/{len(questions)} questions, {time.perf_counter() - started:.0f} s, "
                  f"load average {os.getloadavg()[0]:.1f}", flush=True)
    words = sum(len(r.split()) for r in refs)
    for engine in engines:
        spoken = sum(s for (e, _), s in seconds.items() if e == engine) / sum(e == engine for e, _ in runs)
        print(f"   {engine}: {sum(len(q.text.split()) for q in questions) / spoken * 60:.0f} words a minute "
              "at rate 170 (the whole written file, pauses included)")
    print(f"\n1. Intelligibility: {len(questions)} questions, {words} words, transcribed by the bundled Whisper")
    for engine, label in (("piper", "Piper joe (default)"), ("espeak-ng", "espeak-ng (fallback)")):
        if engine not in engines:
            continue
        mine = [run for run in runs if run[0] == engine]
        totals = [jiwer.wer(refs, heard[run]) for run in mine]
        unsettled = [jiwer.wer(raw_refs, as_is[run]) for run in mine]
        total = statistics.mean(totals)
        each = f"; readings {', '.join(f'{t:.4f}' for t in totals)}" if len(totals) > 1 else ""
        print(f"   {label:22s} total WER {total:.4f}{' mean of ' + str(len(totals)) + ' readings' if len(totals) > 1 else ''}"
              f"   ({'meets' if total <= 0.03 else 'misses'} <= 0.03{each}; "
              f"{statistics.mean(unsettled):.4f} without settling compounds and British spellings; "
              f"{sum(failed[run] for run in mine)} questions not spoken, counted as all missed)")
    if "piper" in engines:
        totals = [jiwer.wer(refs, no_lead_in[n]) for n in range(renders)]
        print(f"   {'Piper, no lead-in':22s} total WER {statistics.mean(totals):.4f}   (the same readings with the "
              f"written file's {FILE_LEAD_IN_S} s of silence before the first word cut off, as played; "
              f"readings {', '.join(f'{t:.4f}' for t in totals)})")
    for engine in engines:
        for wer, qid, text in sorted(worst[engine], reverse=True)[:3]:
            if wer:
                print(f"   worst {engine:8s} {wer:.2f} {qid}: {text}")


def first_audio(questions) -> None:
    from coach.speech import voice

    cold: dict[str, list[float]] = {"piper": [], "espeak-ng": []}
    ready: dict[str, list[float]] = {"piper": [], "espeak-ng": []}
    for n, question in enumerate(questions, 1):
        for engine in ("piper", "espeak-ng") if n % 2 else ("espeak-ng", "piper"):
            settings = _settings(engine)
            started = time.perf_counter()
            _, parts = voice.pieces(question.text, settings)
            next(parts)
            cold[engine].append(time.perf_counter() - started)
            parts.close()
            voice.prepare(question.text, settings)
            started = time.perf_counter()
            _, parts = voice.pieces(question.text, settings)
            next(parts)
            ready[engine].append(time.perf_counter() - started)
    print(f"\n2. Time to the first piece of audio ready to play, {len(questions)} questions, median (max):")
    for engine, label in (("piper", "Piper joe"), ("espeak-ng", "espeak-ng (today)")):
        print(f"   {label:18s} cold {statistics.median(cold[engine]):.3f} s ({max(cold[engine]):.3f})   "
              f"prepared ahead {statistics.median(ready[engine]) * 1000:.2f} ms "
              f"({max(ready[engine]) * 1000:.2f})")


def memory(question: str) -> None:
    print("\n3. Resident memory of a fresh process with Whisper loaded, before and after the voice "
          "(loaded, one question spoken):")
    for engine in ("piper", "espeak-ng"):
        with tempfile.TemporaryDirectory() as folder:
            config = Path(folder) / "config.toml"
            config.write_text(f'[voice]\nengine = "{engine}"\n')
            # Settings() are the defaults; the child reads the engine from its own config below.
            code = _RSS_CHILD.replace("settings = Settings().voice",
                                      "from coach.settings import load_settings\nsettings = load_settings().voice")
            out = subprocess.run([sys.executable, "-c", code, question], capture_output=True, text=True, check=True,
                                 env={**os.environ, "COACH_CONFIG": str(config)}, cwd=REPO).stdout.split()
        name, before, after = out[0], float(out[1]), float(out[2])
        print(f"   {name:10s} {before:6.0f} MB -> {after:6.0f} MB  (+{after - before:.0f} MB)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=0, help="only the first N questions (0 = all)")
    parser.add_argument("--first-every", type=int, default=4,
                        help="time the first audio of every Nth question (each is made twice per engine)")
    parser.add_argument("--errors", action="store_true", help="print every question Piper's speech was misheard in")
    parser.add_argument("--engines", default="piper,espeak-ng",
                        help="intelligibility of these engines only (comma-separated; two processes can split them)")
    parser.add_argument("--skip", default="", help="comma-separated parts to skip: wer,first,memory")
    parser.add_argument("--renders", type=int, default=3,
                        help="readings of the bank by Piper, whose generator is random; the WER is their mean")
    args = parser.parse_args()

    import coach  # noqa: F401  (telemetry off before onnxruntime loads)
    from coach.analysis.answer import transcriber_for
    from coach.questions.bank import load_questions
    from coach.settings import Settings
    from coach.speech import voice

    questions = load_questions()
    if args.limit:
        questions = questions[: args.limit]
    skip = set(filter(None, args.skip.split(",")))
    load = os.getloadavg()
    print(f"{len(questions)} questions; {os.cpu_count()} cores, load average {load[0]:.1f} at the start")
    for engine in ("piper", "espeak-ng"):
        started = time.perf_counter()
        print(f"   {voice.engine_for(_settings(engine)).reason}: loaded in {time.perf_counter() - started:.2f} s")
    if "memory" not in skip:
        memory(questions[0].text)
    if "first" not in skip:
        first_audio(questions[:: args.first_every])
    if "wer" not in skip:
        transcriber = transcriber_for(Settings())
        with tempfile.TemporaryDirectory() as folder:
            engines = tuple(e for e in ("piper", "espeak-ng") if e in args.engines.split(","))
            intelligibility(questions, transcriber, Path(folder), args.errors, engines, args.renders)
    print(f"\nload average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
